// Partial-match state and its evaluator view (see partial_match.h).
#include "engine/partial_match.h"

#include <algorithm>
#include <cstring>

#include "common/hash.h"

namespace strix::engine {

uint64_t DistinctHash(const Value& v) {
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

void AggState::Add(const AggInput& in, const Event& e) {
  ++events;
  if (in.count_only) return;
  const Value& v = e.slots[in.slot];
  if (v.is_number()) {
    ++numbers;
    sum += v.number;
    min = std::min(min, v.number);
    max = std::max(max, v.number);
  }
  if (in.distinct && !v.missing()) {
    uint64_t h = DistinctHash(v);
    auto it = std::lower_bound(distinct.begin(), distinct.end(), h);
    if (it == distinct.end() || *it != h) distinct.insert(it, h);
  }
}

Value AggState::Get(AggFn fn) const {
  switch (fn) {
    case AggFn::kCount: return Value::Number(events);
    case AggFn::kSum: return Value::Number(sum);
    case AggFn::kAvg: return numbers ? Value::Number(sum / numbers) : Value();
    case AggFn::kMin: return numbers ? Value::Number(min) : Value();
    case AggFn::kMax: return numbers ? Value::Number(max) : Value();
    case AggFn::kDistinct: return Value::Number(static_cast<double>(distinct.size()));
  }
  return Value();
}

void PartialMatch::Take(const Automaton& a, uint32_t term, EventRef e) {
  if (events.empty() || term != pos) {
    pos = term;
    count = 0;
  }
  ++count;
  if (aggs.size() != a.aggregates.size()) aggs.resize(a.aggregates.size());
  for (size_t i = 0; i < a.aggregates.size(); ++i) {
    if (a.aggregates[i].term == term) aggs[i].Add(a.aggregates[i], *e);
  }
  events.push_back(Binding{term, std::move(e)});
}

void MatchState::SetExtra(uint32_t term, const Event* e) {
  extra_term_ = term;
  extra_ = e;
  extra_aggs_.assign(a_.aggregates.size(), AggState());
  for (size_t i = 0; i < a_.aggregates.size(); ++i) {
    if (pm_ && i < pm_->aggs.size()) extra_aggs_[i] = pm_->aggs[i];
    if (a_.aggregates[i].term == term) extra_aggs_[i].Add(a_.aggregates[i], *e);
  }
}

const Event* MatchState::First(uint32_t term) const {
  if (pm_) {
    for (const Binding& b : pm_->events) {
      if (b.term == term) return b.event.get();
    }
  }
  return extra_ && extra_term_ == term ? extra_ : nullptr;
}

const Event* MatchState::Last(uint32_t term) const {
  if (extra_ && extra_term_ == term) return extra_;
  if (pm_) {
    for (auto it = pm_->events.rbegin(); it != pm_->events.rend(); ++it) {
      if (it->term == term) return it->event.get();
    }
  }
  return nullptr;
}

Value MatchState::Aggregate(uint32_t input, AggFn fn) const {
  if (extra_) return extra_aggs_[input].Get(fn);
  if (pm_ && input < pm_->aggs.size()) return pm_->aggs[input].Get(fn);
  return AggState().Get(fn);
}

}  // namespace strix::engine
