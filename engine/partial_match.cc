// Partial-match state and its evaluator view (see partial_match.h).
#include "engine/partial_match.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "common/hash.h"

namespace strix::engine {

bool g_distinct_hash_collides_for_testing = false;

namespace {

uint64_t DistinctHash64(const Value& v) {
  if (g_distinct_hash_collides_for_testing) return 0;
  switch (v.kind) {
    case ValueKind::kNumber: {
      double d = v.number == 0 ? 0.0 : v.number;  // -0 == 0
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return MixHash(bits ^ 0x6e756d6265720000ULL);
    }
    case ValueKind::kString:
      return HashBytes(v.text, 0x737472696e670000ULL);
    case ValueKind::kBool:
      return MixHash(v.boolean ? 0x74727565ULL : 0x66616c7365ULL);
    case ValueKind::kNull:
      return MixHash(0x6e756c6cULL);
    default:
      return HashBytes(v.text, static_cast<uint64_t>(v.kind) * 0x9e3779b97f4a7c15ULL);
  }
}

}  // namespace

uint32_t DistinctHash(const Value& v) {
  const uint64_t h = DistinctHash64(v);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

bool DistinctEqual(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValueKind::kNumber:
      return a.number == b.number;  // -0 == 0
    case ValueKind::kBool:
      return a.boolean == b.boolean;
    case ValueKind::kNull:
      return true;
    default:
      return a.text == b.text;
  }
}

void AggState::Add(const Value& v) {
  if (!v.is_number()) return;
  ++numbers;
  sum += v.number;
  min = std::min(min, v.number);
  max = std::max(max, v.number);
}

Value AggState::Get(AggFn fn) const {
  switch (fn) {
    case AggFn::kSum:
      return Value::Number(sum);
    case AggFn::kAvg:
      return numbers ? Value::Number(sum / numbers) : Value();
    case AggFn::kMin:
      return numbers ? Value::Number(min) : Value();
    case AggFn::kMax:
      return numbers ? Value::Number(max) : Value();
    case AggFn::kCount:
    case AggFn::kDistinct:
      break;  // read off the bindings and the distinct set (MatchState::Aggregate)
  }
  return Value();
}

namespace {

// Whether `v` is in the set; `at` is where an entry of its hash would be inserted.
bool Contains(const DistinctSet& set, const BoundEvents& events, uint32_t slot, const Value& v,
              uint32_t h, const DistinctEntry** at = nullptr) {
  const DistinctEntry* it = std::lower_bound(set.begin(), set.end(), DistinctEntry{h, 0});
  if (at) *at = it;
  for (; it != set.end() && it->first == h; ++it) {
    if (DistinctEqual(events.stored(it->second)->slot(slot), v)) return true;
  }
  return false;
}

}  // namespace

PartialMatch::PartialMatch(const PartialMatch& o)
    : pos(o.pos),
      count(o.count),
      start(o.start),
      events(o.events),
      nbranches(o.nbranches),
      accounted(o.accounted),
      aggs(o.aggs) {
  if (o.branches) {
    branches = std::make_unique<BranchPos[]>(nbranches);
    std::copy(o.branches.get(), o.branches.get() + nbranches, branches.get());
  }
}

void Aggregates::Allocate(uint32_t n, bool distinct) {
  block_ = static_cast<char*>(::operator new(BlockBytes(n, distinct)));
  new (block_) Head{n, distinct};
}

void Aggregates::Make(uint32_t n, bool distinct) {
  Free();
  Allocate(n, distinct);
  for (uint32_t i = 0; i < n; ++i) new (states() + i) AggState();
  for (uint32_t i = 0; distinct && i < n; ++i) new (sets() + i) DistinctSet();
}

Aggregates::Aggregates(const Aggregates& o) {
  if (!o.block_) return;
  const uint32_t n = o.size();
  const bool distinct = o.has_distinct();
  Allocate(n, distinct);
  for (uint32_t i = 0; i < n; ++i) new (states() + i) AggState(o.state(i));
  for (uint32_t i = 0; distinct && i < n; ++i) new (sets() + i) DistinctSet(o.set(i));
}

void Aggregates::Free() {
  if (!block_) return;
  for (uint32_t i = 0; head()->distinct && i < head()->n; ++i) sets()[i].~DistinctSet();
  // (AggState and Head are trivially destructible)
  ::operator delete(block_);
  block_ = nullptr;
}

size_t Aggregates::heap_bytes() const {
  if (!block_) return 0;
  size_t b = BlockBytes(size(), has_distinct());
  for (uint32_t i = 0; has_distinct() && i < size(); ++i) b += set(i).heap_bytes();
  return b;
}

size_t Aggregates::used_bytes() const {
  if (!block_) return 0;
  size_t b = BlockBytes(size(), has_distinct());
  for (uint32_t i = 0; has_distinct() && i < size(); ++i) b += set(i).used_bytes();
  return b;
}

void PartialMatch::Take(const Automaton& a, uint32_t term, const StoredEvent* e) {
  if (events.empty()) start = e->head.time;
  if (const SeqGroup* g = a.GroupOf(term)) {
    if (events.empty() || a.terms[pos].group != a.terms[term].group) EnterGroup(*g);
    pos = term;
    count = TakeInBranch(a, term);
  } else {
    if (branches) {  // left the group
      branches.reset();
      nbranches = 0;
    }
    if (events.empty() || term != pos) {
      pos = term;
      count = 0;
    }
    ++count;
  }
  if (!a.aggregates.empty()) {
    if (!aggs) {
      bool has_distinct = false;
      for (const AggInput& in : a.aggregates) has_distinct = has_distinct || in.distinct;
      aggs.Make(static_cast<uint32_t>(a.aggregates.size()), has_distinct);
    }
    for (size_t i = 0; i < a.aggregates.size(); ++i) {
      const AggInput& in = a.aggregates[i];
      if (!a.Feeds(in.term, term)) continue;
      const Value& v = e->slot(in.slot);
      aggs.state(i).Add(v);
      if (in.distinct && !v.missing()) {
        const uint32_t h = DistinctHash(v);
        const DistinctEntry* at;
        if (!Contains(aggs.set(i), events, in.slot, v, h, &at))
          aggs.set(i).Insert(at, {h, static_cast<uint32_t>(events.size())});  // e's position
      }
    }
  }
  events.Push(term, e);
}

void PartialMatch::EnterGroup(const SeqGroup& g) {
  nbranches = static_cast<uint16_t>(g.starts.size());
  branches = std::make_unique<BranchPos[]>(nbranches);
}

uint32_t PartialMatch::TakeInBranch(const Automaton& a, uint32_t term) {
  BranchPos& b = branches[a.terms[term].branch];
  if (b.term != term) b = BranchPos{term, 0};  // a branch's terms only move forward
  return ++b.count;
}

void PartialMatch::RebuildBranches(const Automaton& a) {
  branches.reset();
  nbranches = 0;
  const SeqGroup* g = events.empty() ? nullptr : a.GroupOf(pos);
  if (!g) return;
  EnterGroup(*g);
  // The group's events are the last run of the bindings.
  for (size_t i = events.Begin(g->first); i < events.size(); ++i) {
    const uint32_t t = events.term(i);
    if (t < a.terms.size() && a.terms[t].group == a.terms[pos].group) TakeInBranch(a, t);
  }
}

size_t PartialMatch::heap_bytes() const {
  return events.heap_bytes() + nbranches * sizeof(BranchPos) + aggs.heap_bytes();
}

size_t PartialMatch::used_bytes() const {
  return events.used_bytes() + nbranches * sizeof(BranchPos) + aggs.used_bytes();
}

MatchState::Run MatchState::RunOf(uint32_t term) const {
  const BoundEvents& ev = pm_->events;
  if (const SeqGroup* all = a_.AliasGroup(term)) {  // every event of the group: no scan
    return {ev.Begin(all->first), ev.Begin(all->end), false, true};
  }
  const SeqGroup* g = a_.GroupOf(term);
  if (!g) return {ev.Begin(term), ev.Begin(term + 1), false, false};
  return {ev.Begin(g->first), ev.Begin(g->end), true, false};  // interleaved: scan for it
}

const Value& MatchState::Bound::slot(uint32_t i) const {
  static const Value kNone;
  return stored ? stored->slot(i) : live ? live->slots[i] : kNone;
}

MatchState::Bound MatchState::FirstOf(uint32_t term) const {
  if (pm_ && !a_.AliasGroup(term) && !a_.GroupOf(term)) {  // a plain term: one run, one search
    const BoundEvents& ev = pm_->events;
    const size_t i = ev.Begin(term);
    if (i < ev.size() && ev.term(i) == term) return {ev.stored(i)};
  } else if (pm_) {
    const Run r = RunOf(term);
    for (size_t i = r.begin; i < r.end; ++i) {
      if (r.whole || pm_->events.term(i) == term) return {pm_->events.stored(i)};
      if (!r.scan) break;
    }
  }
  if (extra_ && a_.Feeds(term, extra_term_)) return {nullptr, extra_};
  return {};
}

MatchState::Bound MatchState::LastOf(uint32_t term) const {
  if (extra_ && a_.Feeds(term, extra_term_)) return {nullptr, extra_};
  if (pm_ && !a_.AliasGroup(term) && !a_.GroupOf(term)) {  // a plain term: one run, one search
    const BoundEvents& ev = pm_->events;
    const size_t i = ev.Begin(term + 1);
    if (i > 0 && ev.term(i - 1) == term) return {ev.stored(i - 1)};
    return {};
  }
  if (pm_) {
    const Run r = RunOf(term);
    for (size_t i = r.end; i > r.begin; --i) {
      if (r.whole || pm_->events.term(i - 1) == term) return {pm_->events.stored(i - 1)};
      if (!r.scan) break;
    }
  }
  return {};
}

Value MatchState::Aggregate(uint32_t input, AggFn fn) const {
  if (fn == AggFn::kCount) {  // `input` is the term
    size_t n = extra_ && a_.Feeds(input, extra_term_) ? 1 : 0;
    if (pm_) {
      const Run r = RunOf(input);
      if (!r.scan) {
        n += r.end - r.begin;
      } else if (pm_->Branch(a_.terms[input].branch).term == input) {  // where its branch stands
        n += pm_->Branch(a_.terms[input].branch).count;
      } else {
        for (size_t i = r.begin; i < r.end; ++i) n += pm_->events.term(i) == input;
      }
    }
    return Value::Number(double(n));
  }
  const AggInput& in = a_.aggregates[input];
  const bool extra = extra_ && a_.Feeds(in.term, extra_term_);
  if (fn == AggFn::kDistinct) {
    const DistinctSet* set = pm_ && pm_->aggs.has_distinct() ? &pm_->aggs.set(input) : nullptr;
    size_t n = set ? set->size() : 0;
    if (extra) {
      const Value& v = extra_->slots[in.slot];
      if (!v.missing() && !(set && Contains(*set, pm_->events, in.slot, v, DistinctHash(v)))) ++n;
    }
    return Value::Number(double(n));
  }
  AggState st = pm_ && pm_->aggs ? pm_->aggs.state(input) : AggState();
  if (extra) st.Add(extra_->slots[in.slot]);
  return st.Get(fn);
}

}  // namespace strix::engine
