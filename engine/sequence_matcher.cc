// Sequence matching per rule and partition (see sequence_matcher.h).
// The numbered rules below refer to LANGUAGE.md 3.2 "Matching semantics".
#include "engine/sequence_matcher.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <tuple>

#include "common/json_text.h"

namespace strix::engine {
SequenceMatcher::SequenceMatcher(const Program& p, size_t max_partial_matches, bool suppress)
    : p_(p),
      max_partial_(std::max<size_t>(1, max_partial_matches)),
      rules_(p.automata.size()),
      rule_of_(p.automata.size()),
      suppress_on_(suppress) {
  for (uint32_t r = 0; r < p.rules.size(); ++r) {
    if (p.checks[r].sequence) rule_of_[static_cast<size_t>(p.rules[r].automaton)] = r;
  }
  for (const Automaton& a : p.automata) runs_allowed_.push_back(RunsAllowed(a));
  blank_.slots.resize(p.fields.size());
  for (size_t i = 0; i < rules_.size(); ++i) {
    rules_[i].inferable = rules_[i].by_inferred = !p.automata[i].inferred_key.empty();
  }
  std::map<std::vector<uint32_t>, uint32_t> memo_of;  // distinct key slots -> memo
  for (const Automaton& a : p.automata) {
    std::vector<uint32_t>& ids = keyset_ids_.emplace_back();
    for (const std::vector<uint32_t>& slots : a.keysets)
      ids.push_back(
          memo_of.try_emplace(slots, static_cast<uint32_t>(memo_of.size())).first->second);
  }
  key_memo_.resize(memo_of.size());
}

size_t SequenceMatcher::partitions() const {
  size_t n = 0;
  for (const RuleState& rs : rules_) n += rs.parts.size();
  return n;
}

size_t SequenceMatcher::StateBytes() const {
  size_t b = 0;
  for (const RuleState& rs : rules_) {
    b += rs.parts.bytes() + rs.timers.size() * sizeof(Timer);
    rs.parts.ForEach([&](const Partition& part) {
      b += sizeof(Partition) + 16;  // 16: allocator overhead
      if (part.key_text.capacity() > 15) b += part.key_text.capacity();
      b += part.pms.capacity() * sizeof(PartialMatch);
      for (const PartialMatch& pm : part.pms) b += pm.heap_bytes();
      if (part.run) b += Cost(*part.run);
    });
  }
  return b;
}

size_t SequenceMatcher::RecountBytes(const RuleState& rs) {
  size_t b = rs.timers.size() * sizeof(Timer);
  rs.parts.ForEach([&](const Partition& part) {
    b += Cost(part);
    for (const PartialMatch& pm : part.pms) b += Cost(pm);
    if (part.run) b += Cost(*part.run);
  });
  return b;
}

size_t SequenceMatcher::RecountBytes() const {
  size_t b = 0;
  for (const RuleState& rs : rules_) b += RecountBytes(rs);
  return b;
}

void SequenceMatcher::SetStateLimit(size_t bytes, EventMeter* meter, unsigned workers) {
  max_state_ = bytes;
  meter_ = meter;
  state_share_ = std::max(1u, workers);
}

size_t SequenceMatcher::Used() const {
  int64_t events = meter_ ? meter_->load(std::memory_order_relaxed) : 0;
  return bytes_ + static_cast<size_t>(std::max<int64_t>(0, events)) / state_share_;
}

void SequenceMatcher::EnforceStateLimit(RunStats& stats) {
  const size_t limit = max_state_ / state_share_;
  if (Used() <= limit) return;
  if (capturing_) {  // everything below may change any partition: the capture gets them first
    for (RuleState& rs : rules_)
      rs.parts.ForEachMutable([&](Partition& part) { Touch(rs, &part); });
  }
  // Oldest first: by first event (input order), then rule, then place in the partition.
  // Runs go back to partial matches first (their matches are not in first-event order).
  for (size_t r = 0; r < rules_.size(); ++r) {
    rules_[r].parts.ForEachMutable([&](Partition& part) {
      if (part.run) Dissolve(p_.automata[r], &part);
    });
  }
  struct Victim {
    uint64_t seq;
    uint32_t rule;
    Partition* part;
    uint32_t index;
  };
  std::vector<Victim> all;
  for (size_t r = 0; r < rules_.size(); ++r) {
    rules_[r].parts.ForEachMutable([&](Partition& part) {
      for (size_t i = 0; i < part.pms.size(); ++i)
        all.push_back({part.pms[i].start_seq(), rule_of_[r], &part, static_cast<uint32_t>(i)});
    });
  }
  std::stable_sort(all.begin(), all.end(), [](const Victim& x, const Victim& y) {
    return std::tie(x.seq, x.rule) < std::tie(y.seq, y.rule);
  });
  const size_t target = limit - limit / 8;
  size_t dropped = 0;
  for (const Victim& v : all) {
    if (Used() <= target) break;
    PartialMatch& pm = v.part->pms[v.index];
    Forget(pm);
    pm = PartialMatch();  // releases its events; an empty match marks the place
    ++dropped;
  }
  if (dropped == 0) return;
  for (size_t r = 0; r < rules_.size(); ++r) {
    std::vector<Partition*> idle;
    rules_[r].parts.ForEachMutable([&](Partition& part) {
      auto gone = [](const PartialMatch& pm) { return pm.events.empty(); };
      size_t before = part.pms.size();
      part.pms.erase(std::remove_if(part.pms.begin(), part.pms.end(), gone), part.pms.end());
      rules_[r].live -= before - part.pms.size();
      if (part.pms.empty() && part.timers == 0) idle.push_back(&part);  // (runs dissolved above)
    });
    for (Partition* part : idle) DropIfIdle(rules_[r], part);
  }
  live_ -= dropped;
  stats.dropped_partial += dropped;
  stats.dropped_state += dropped;
}

const StoredEvent* SequenceMatcher::Ref(const Event& e) {
  if (!current_ || current_of_ != &e || current_seq_ != e.seq) {
    current_ = EventRef(StoredEvent::Make(e, meter_, &p_.stored_slots));
    current_of_ = &e;
    current_seq_ = e.seq;
  }
  return current_.get();
}

bool SequenceMatcher::InPartition(const Automaton& a, uint32_t keyset,
                                  const std::string& key_text) const {
  if (a.keysets[keyset].empty() || a.keysets[0].empty()) return true;
  return key_of_[keyset]->ok && key_of_[keyset]->text == key_text;
}

bool SequenceMatcher::FilterHolds(const Automaton& a, const SeqFilter& f, const Event& e,
                                  const std::string& key_text, MatchState* view, bool keyed) {
  if (!f.any_type && !(e.type().is_string() && e.type().text == f.type)) return false;
  if (!InPartition(a, f.keyset, key_text)) return false;
  if (keyed) {  // the key equalities hold in this partition: the other conjuncts
    bool ok = true;
    eval_.match = view;
    for (size_t i = 0; ok && i < f.keyed_rest.size(); ++i) {
      eval_.Reset();
      ok = Test(p_, f.keyed_rest[i], e, eval_);
    }
    eval_.match = nullptr;
    return ok;
  }
  if (f.condition == kNoNode) return true;
  eval_.Reset();
  eval_.match = view;
  bool ok = Test(p_, f.condition, e, eval_);
  eval_.match = nullptr;
  return ok;
}

bool SequenceMatcher::HavingHolds(const Automaton& a, const PartialMatch& pm, uint32_t term,
                                  const Event* e) {
  if (a.having == kNoNode) return true;
  MatchState view(a, &pm);
  if (e) view.SetExtra(term, e);
  eval_.Reset();
  eval_.match = &view;
  bool ok = Test(p_, a.having, e ? *e : blank_, eval_);  // (no bare fields: LANGUAGE.md 3)
  eval_.match = nullptr;
  return ok;
}

const SequenceMatcher::KeyMemo& SequenceMatcher::KeyOf(const Automaton& a, size_t k,
                                                       const Event& e) {
  const size_t id = keyset_ids_[static_cast<size_t>(&a - p_.automata.data())][k];
  KeyMemo& m = key_memo_[id];
  if (m.epoch != key_epoch_ || m.event != &e) {
    m.epoch = key_epoch_;
    m.event = &e;
    m.text.clear();
    m.ok = true;
    for (uint32_t slot : a.keysets[k]) {
      if (!AppendKeyPart(m.text, e.slots[slot])) {
        m.ok = false;
        break;
      }
    }
    m.hash = HashBytes(m.text);
  }
  return m;
}

void SequenceMatcher::ComputeKeys(const Automaton& a, const Event& e) {
  // The event's key under each keyset; missing or null key fields: no part in that keyset.
  key_of_.resize(a.keysets.size());
  for (size_t k = 0; k < a.keysets.size(); ++k) key_of_[k] = &KeyOf(a, k, e);
}

uint64_t SequenceMatcher::Owners(uint32_t rule, const Event& e, uint32_t workers) {
  const Automaton& a = p_.automata[static_cast<size_t>(p_.rules[rule].automaton)];
  ComputeKeys(a, e);
  if (a.unkeyed_terms) return workers >= 64 ? ~uint64_t(0) : (uint64_t(1) << workers) - 1;
  uint64_t mask = 0;
  for (size_t k = 0; k < a.keysets.size(); ++k) {
    if (key_of_[k]->ok) mask |= uint64_t(1) << Shard::OwnerOf(key_of_[k]->hash, workers);
  }
  return mask;
}

bool SequenceMatcher::Process(uint32_t rule, const Event& e, bool starts, ComplexEventSink& sink,
                              RunStats& stats, const Shard* shard) {
  const Automaton& a = p_.automata[static_cast<size_t>(p_.rules[rule].automaton)];
  RuleState& rs = rules_[static_cast<size_t>(p_.rules[rule].automaton)];
  if (!starts) {
    if (rs.parts.empty()) return false;
    // The usual case with many rules: one key, and no partition of it here.
    if (!rs.by_inferred && a.keysets.size() == 1 && !a.unkeyed_terms) {
      const KeyMemo& key = KeyOf(a, 0, e);
      if (!key.ok || (shard && !shard->OwnsKey(key.hash)) || !rs.parts.Find(key.hash, key.text))
        return false;
    }
  }
  const size_t live_before = live_;
  std::vector<Completion>& done = done_;
  done.clear();
  if (rs.by_inferred && !ProcessInferred(rule, rs, e, starts, done, stats, shard)) {
    Unpartition(a, rs);
  }
  if (!rs.by_inferred) ProcessAsWritten(rule, rs, e, starts, done, stats, shard);
  rs.live = rs.live + live_ - live_before;  // (unsigned: wraps back when fewer)
  if (max_state_) EnforceStateLimit(stats);
  if (done.empty()) return false;
  Emit(rule, done, sink, stats);
  return true;
}

void SequenceMatcher::ProcessAsWritten(uint32_t rule, RuleState& rs, const Event& e, bool starts,
                                       std::vector<Completion>& done, RunStats& stats,
                                       const Shard* shard) {
  const Automaton& a = p_.automata[static_cast<size_t>(p_.rules[rule].automaton)];
  ComputeKeys(a, e);
  // Every partition the event belongs to under some keyset (usually exactly one).
  for (size_t k = 0; k < a.keysets.size(); ++k) {
    const KeyMemo& key = *key_of_[k];
    if (!key.ok) continue;
    bool seen = false;
    for (size_t j = 0; j < k; ++j) seen = seen || (key_of_[j]->ok && key_of_[j]->text == key.text);
    if (seen) continue;
    if (!a.keysets[0].empty() && a.keysets[k].empty()) continue;  // unkeyed terms: see below
    uint64_t h = key.hash;
    if (shard && !shard->OwnsKey(h)) continue;
    Partition* part = rs.parts.Find(h, key.text);
    if (part) Touch(rs, part);
    bool can_start = starts && k == 0;
    if (!part && !can_start) continue;
    Step(rule, rs, part, key.text, h, e, can_start, done, stats);
  }
  // Terms without any key (no `by` anywhere on them) apply in every partition of a keyed
  // rule; such rules are rare, so they visit every partition.
  if (a.unkeyed_terms) {
    std::vector<std::string> visit;
    rs.parts.ForEach([&](const Partition& part) {
      bool covered = false;
      for (size_t k = 0; k < a.keysets.size(); ++k) {
        covered = covered || (key_of_[k]->ok && key_of_[k]->text == part.key_text);
      }
      if (!covered) visit.push_back(part.key_text);
    });
    for (const std::string& kt : visit) {
      uint64_t h = HashBytes(kt);
      if (Partition* part = rs.parts.Find(h, kt)) {
        Touch(rs, part);
        Step(rule, rs, part, kt, h, e, false, done, stats);
      }
    }
  }
}

bool SequenceMatcher::TermHolds(const Automaton& a, size_t k, const Event& e,
                                const std::string& key_text, MatchState* view) {
  const SeqFilter& f = a.terms[k].filter;
  const bool keyed = key_exact_ && f.keyed;  // (constant for the whole step: the cache holds)
  if (keyed ? !f.keyed_match_free : !f.match_free)
    return FilterHolds(a, f, e, key_text, view, keyed);
  int8_t& c = term_cache_[k];
  if (c < 0) c = FilterHolds(a, f, e, key_text, nullptr, keyed) ? 1 : 0;
  return c != 0;
}

namespace {

// Whether branch b of `g`, standing at `bp`, has its minimum: on its last term, with that
// term's minimum number of events.
bool BranchHasMin(const Automaton& a, const SeqGroup& g, size_t b, BranchPos bp) {
  return bp.term == g.BranchEnd(b) - 1 && bp.count >= a.terms[bp.term].min;
}

// Whether the step `pm` stands on has its minimum (a group: every branch has).
bool HasMin(const Automaton& a, const PartialMatch& pm) {
  const SeqGroup* g = a.GroupOf(pm.pos);
  if (!g) return pm.count >= a.terms[pm.pos].min;
  for (size_t b = 0; b < g->starts.size(); ++b) {
    if (!BranchHasMin(a, *g, b, pm.Branch(b))) return false;
  }
  return true;
}

// Whether `pm`, once an event is bound to `term`, has the last step's minimum: the match may
// complete (rules 3 and 7; a group: its last missing event).
bool LastStepFull(const Automaton& a, const PartialMatch& pm, uint32_t term) {
  if (term < a.last_step || term > a.last_positive) return false;
  const SeqGroup* g = a.GroupOf(term);
  if (!g) return (!pm.events.empty() && pm.pos == term ? pm.count + 1 : 1) >= a.terms[term].min;
  const bool inside = !pm.events.empty() && a.terms[pm.pos].group == a.terms[term].group;
  for (size_t b = 0; b < g->starts.size(); ++b) {
    BranchPos bp = inside ? pm.Branch(b) : BranchPos{};
    if (b == a.terms[term].branch) bp = BranchPos{term, bp.term == term ? bp.count + 1 : 1};
    if (!BranchHasMin(a, *g, b, bp)) return false;
  }
  return true;
}

}  // namespace

bool SequenceMatcher::Offer(const Automaton& a, const PartialMatch& pm, uint32_t term,
                            const Event& e, std::vector<Option>& out) {
  if (a.trailing_not || !LastStepFull(a, pm, term)) {
    out.push_back({term, false});
    return true;
  }
  if (HavingHolds(a, pm, term, &e)) {
    out.push_back({term, true});
    return true;
  }
  if (!a.terms[term].list) return false;
  out.push_back({term, false});  // a quantified last term keeps collecting
  return true;
}

bool SequenceMatcher::TermOffers(const Automaton& a, const PartialMatch& pm, uint32_t term,
                                 const Event& e, const std::string& key_text,
                                 std::vector<Option>& out) {
  MatchState view(a, &pm);
  if (term == pm.pos || pm.Branch(a.terms[term].branch).term == term) {
    view.SetPrev(view.LastOf(term));  // another event for the term: prev() is its last one
  }
  return TermHolds(a, term, e, key_text, &view) && Offer(a, pm, term, e, out);
}

bool SequenceMatcher::Options(const Automaton& a, const PartialMatch& pm, const Event& e,
                              const std::string& key_text, std::vector<Option>& out) {
  const bool every = a.policy == SeqPolicy::kEvery;
  // Rule 5: window.
  if (a.within_ms && e.time > WindowDeadline(pm.start_time(), *a.within_ms)) return false;
  const size_t before = out.size();
  const uint32_t next = a.StepEnd(pm.pos);
  if (HasMin(a, pm)) {
    // Rule 4: absence. Guards stand in the gap after the current step, and after any
    // following terms with minimum 0 (the match may pass them).
    for (size_t k = next; k < a.terms.size(); ++k) {
      const SeqTerm& t = a.terms[k];
      if (t.negated) {
        MatchState view(a, &pm);
        if (TermHolds(a, k, e, key_text, &view)) return false;
      } else if (t.min > 0) {
        break;
      }
    }
    // Rules 2, 3 and 7: hand-over to a later step (the quantifier is reluctant). A group is
    // entered through the first term of any branch, in written order.
    for (uint32_t k = next; k <= a.last_positive; ++k) {
      const SeqTerm& t = a.terms[k];
      if (t.negated) continue;
      if (const SeqGroup* g = a.GroupOf(k)) {
        for (uint32_t s : g->starts) {
          if (TermOffers(a, pm, s, e, key_text, out) && !every) return true;
        }
        break;  // every term of a group has a minimum of at least 1
      }
      if (TermOffers(a, pm, k, e, key_text, out) && !every) return true;
      if (t.min > 0) break;
    }
  }
  if (!every && out.size() > before) return true;
  // Rule 3: another event for the current term; inside a group, for any branch in written
  // order (its next term first, once its current one has its minimum).
  if (const SeqGroup* g = a.GroupOf(pm.pos)) {
    for (size_t b = 0; b < g->starts.size(); ++b) {
      const BranchPos bp = pm.Branch(b);
      if (bp.term == kNoBranchTerm) {
        if (TermOffers(a, pm, g->starts[b], e, key_text, out) && !every) return true;
        continue;
      }
      const SeqTerm& cur = a.terms[bp.term];
      if (bp.count >= cur.min && bp.term + 1 < g->BranchEnd(b) &&
          TermOffers(a, pm, bp.term + 1, e, key_text, out) && !every)
        return true;
      if (bp.count < cur.max && TermOffers(a, pm, bp.term, e, key_text, out) && !every) return true;
    }
  } else if (pm.count < a.terms[pm.pos].max) {
    TermOffers(a, pm, pm.pos, e, key_text, out);
  }
  return true;
}

void SequenceMatcher::PlanStart(const Automaton& a, const Event& e, const std::string& key_text,
                                std::vector<Option>& out) {
  out.clear();
  static const PartialMatch kNone{};
  const SeqGroup* g = a.GroupOf(0);
  if (!g) {
    TermOffers(a, kNone, 0, e, key_text, out);
    return;
  }
  for (uint32_t s : g->starts) {  // a leading group starts with any branch
    if (TermOffers(a, kNone, s, e, key_text, out) && a.policy != SeqPolicy::kEvery) return;
  }
}

void SequenceMatcher::StepEvery(const Automaton& a, Partition* part, const std::string& key_text,
                                const Event& e, const std::vector<Option>& starts,
                                std::vector<Completion>& done, RunStats& stats) {
  std::vector<PartialMatch>& pms = part->pms;
  // Pass 1: each partial match's choices, and how many survivors (m) and open branches (b).
  plan_.clear();
  options_.clear();
  size_t m = 0, b = 0;
  for (size_t i = 0; i < pms.size(); ++i) {
    uint32_t begin = static_cast<uint32_t>(options_.size());
    if (!Options(a, pms[i], e, key_text, options_)) {
      options_.resize(begin);
      Forget(pms[i]);
      continue;  // ended by the window or an absence
    }
    plan_.push_back({static_cast<uint32_t>(i), begin, static_cast<uint32_t>(options_.size())});
    ++m;
    for (size_t o = begin; o < options_.size(); ++o) b += !options_[o].completes;
  }
  // The list becomes survivors, branches, then the start, in this order; the bound drops the
  // first `drop` of them (rule 11).
  size_t started = 0;
  for (const Option& o : starts) started += !o.completes;
  const size_t total = m + b + started;
  const size_t drop = total > max_partial_ ? total - max_partial_ : 0;
  stats.dropped_partial += drop;
  // Pass 2.
  std::vector<PartialMatch>& born = born_;
  born.clear();
  size_t w = 0, k = 0;  // survivors kept, branches so far
  for (size_t j = 0; j < plan_.size(); ++j) {
    const Planned& pl = plan_[j];
    PartialMatch& pm = pms[pl.index];
    const bool survives = j >= drop;
    Forget(pm);
    // The last branch that is made may take the original when it does not survive.
    size_t last = pl.end, kk = k;
    for (size_t o = pl.begin; o < pl.end; ++o) {
      if (options_[o].completes || m + kk >= drop) last = o;
      kk += !options_[o].completes;
    }
    for (size_t o = pl.begin; o < pl.end; ++o) {
      const Option& opt = options_[o];
      const bool made = opt.completes || m + k >= drop;
      k += !opt.completes;
      if (!made) continue;
      PartialMatch branch = !survives && o == last ? std::move(pm) : PartialMatch(pm);
      branch.Take(a, opt.term, Ref(e));
      if (opt.completes) {
        done.push_back(Completion{std::move(branch), e.time, part->key_event});
      } else {
        Remember(branch);
        born.push_back(std::move(branch));
      }
    }
    if (survives) {
      Remember(pm);
      if (w != pl.index) pms[w] = std::move(pm);
      ++w;
    }
  }
  live_ -= pms.size() - w;
  pms.resize(w);
  FitFor(pms, born.size());
  for (PartialMatch& br : born) pms.push_back(std::move(br));
  live_ += born.size();
  born.clear();
}

void SequenceMatcher::Step(uint32_t rule, RuleState& rs, Partition* part,
                           const std::string& key_text, uint64_t hash, const Event& e,
                           bool can_start, std::vector<Completion>& done, RunStats& stats) {
  const Automaton& a = p_.automata[static_cast<size_t>(p_.rules[rule].automaton)];
  const bool every = a.policy == SeqPolicy::kEvery;
  const size_t done_before = done.size();
  term_cache_.assign(a.terms.size(), -1);
  // Rule 6: `until` discards every partial match of the partition first.
  if (part && a.until && FilterHolds(a, *a.until, e, key_text, nullptr)) ForgetAll(part);
  // Under `every`, whether the event starts a match is known before the splits (the bound
  // counts it); otherwise it is decided after them (a completion forbids it, rule 8).
  std::vector<Option>& starts = starts_;
  starts.clear();
  bool planned = false;
  if (every && can_start) {
    PlanStart(a, e, key_text, starts);
    planned = true;
  }
  // A partition kept as a run steps as one (sequence_run.cc), or dissolves first.
  bool stepped = false, starts_taken = false;
  if (part && part->run) {
    RunOutcome r = StepRun(a, rs, part, key_text, e, starts, done, stats);
    if (r == RunOutcome::kFallBack) {
      Dissolve(a, part);
    } else {
      stepped = true;
      starts_taken = r == RunOutcome::kDone;
    }
  }
  if (!stepped && part && !part->pms.empty()) {
    if (every) {
      StepEvery(a, part, key_text, e, starts, done, stats);
    } else {
      // Rule 9: under `strict`, an event of the partition (by its header key) must be taken.
      const bool discard_unused = a.policy == SeqPolicy::kStrict && InPartition(a, 0, key_text);
      size_t w = 0;
      for (size_t i = 0; i < part->pms.size(); ++i) {
        PartialMatch& pm = part->pms[i];
        options_.clear();
        bool alive = Options(a, pm, e, key_text, options_);
        if (!alive || (options_.empty() && discard_unused)) {
          Forget(pm);
          continue;
        }
        if (!options_.empty()) {
          Forget(pm);
          pm.Take(a, options_[0].term, Ref(e));
          if (options_[0].completes) {
            done.push_back(Completion{std::move(pm), e.time, part->key_event});
            continue;
          }
          Remember(pm);
        }
        if (w != i) part->pms[w] = std::move(pm);  // rule 2: pass, or took the event
        ++w;
      }
      live_ -= part->pms.size() - w;
      part->pms.resize(w);
    }
  }
  // Rule 8: under the default policy and `strict`, a completion discards the partition's
  // partial matches, and the completing event starts none.
  bool completed = done.size() > done_before;
  if (completed && !every) {
    ForgetAll(part);
    can_start = false;
  }
  // Rule 1: start.
  if (can_start && !starts_taken) {
    if (!planned) PlanStart(a, e, key_text, starts);
    bool timer = false;
    for (const Option& opt : starts) {
      if (!part) {
        part = NewPartition(rs, hash, key_text);
        part->key_event = EventRef(Ref(e));
      }
      PartialMatch pm;
      pm.Take(a, opt.term, Ref(e));
      if (opt.completes) {
        done.push_back(Completion{std::move(pm), e.time, part->key_event});
        if (!every) ForgetAll(part);
        continue;
      }
      Remember(pm);
      FitFor(part->pms, 1);
      part->pms.push_back(std::move(pm));
      ++live_;
      timer = true;
    }
    if (timer && a.within_ms) QueueWindowTimer(a, rs, part, part->pms.back().first());
  }
  if (!part) return;
  // Rule 8: of the matches completing on this event, the earliest first event wins.
  if (!every && done.size() > done_before + 1) {
    auto first = std::min_element(done.begin() + static_cast<long>(done_before), done.end(),
                                  [](const Completion& x, const Completion& y) {
                                    return std::make_pair(x.pm.start_time(), x.pm.start_seq()) <
                                           std::make_pair(y.pm.start_time(), y.pm.start_seq());
                                  });
    Completion winner = std::move(*first);
    done.resize(done_before);
    done.push_back(std::move(winner));
  }
  // Rule 11: bounded state; the oldest partial matches go first. (Under `every` StepEvery
  // already dropped them.) The vector is in creation order (survivors keep their places,
  // branches and starts are appended), so the oldest are in front.
  if (part->pms.size() > max_partial_) {
    size_t drop = part->pms.size() - max_partial_;
    for (size_t i = 0; i < drop; ++i) Forget(part->pms[i]);
    part->pms.erase(part->pms.begin(), part->pms.begin() + static_cast<long>(drop));
    live_ -= drop;
    stats.dropped_partial += drop;
  }
  if (runs_allowed_[static_cast<size_t>(p_.rules[rule].automaton)] && !part->run)
    TryFormRun(a, part);
  DropIfIdle(rs, part);
}

void SequenceMatcher::QueueWindowTimer(const Automaton& a, RuleState& rs, Partition* part,
                                       const StoredEvent* first) {
  // One for the matches this event started: a timer ends all the matches of its start.
  const TimeMs deadline = WindowDeadline(first->head.time, *a.within_ms);
  const bool was_empty = rs.timers.empty();
  rs.timers.push_back(Timer{deadline, first->head.seq, part});
  if (was_empty) {
    PushFront(static_cast<size_t>(&rs - rules_.data()));
    next_deadline_ = std::min(next_deadline_, deadline);
  }
  bytes_ += sizeof(Timer);
  ++part->timers;
  // Amortized: compacted only once the queue is twice the live matches (and more).
  if (rs.timers.size() > 2 * live_ + 64) CompactTimers(rs);
}

void SequenceMatcher::ForgetAll(Partition* part) {
  for (const PartialMatch& pm : part->pms) Forget(pm);
  live_ -= part->pms.size();
  part->pms.clear();
  if (part->run) {
    bytes_ -= Cost(*part->run);
    live_ -= part->run->size();
    part->run.reset();
  }
}

void SequenceMatcher::FitFor(std::vector<PartialMatch>& pms, size_t more) {
  const size_t need = pms.size() + more;
  if (need > pms.capacity()) {
    pms.reserve(need + need / 4);  // exactly below 4; 1.25x for many (amortized moves)
  } else if (pms.capacity() >= 4 && need <= pms.capacity() / 4) {
    // (A quarter: a partition that shrinks and grows back a little keeps its room.)
    std::vector<PartialMatch> fit;
    fit.reserve(need);
    std::move(pms.begin(), pms.end(), std::back_inserter(fit));
    pms.swap(fit);
  }
}

size_t SequenceMatcher::Cost(const Partition& part) {
  return sizeof(Partition) + 16 + (part.key_text.capacity() > 15 ? part.key_text.capacity() : 0);
}

SequenceMatcher::Partition* SequenceMatcher::NewPartition(RuleState& rs, uint64_t hash,
                                                          const std::string& key_text) {
  Partition* part = rs.parts.Insert(hash, key_text);
  bytes_ += Cost(*part);
  if (capturing_) part->snap.store(2 * cap_.epoch, std::memory_order_relaxed);  // not in it
  return part;
}

void SequenceMatcher::DropIfIdle(RuleState& rs, Partition* part) {
  if (part->pms.empty() && !part->run && part->timers == 0) {
    if (rs.inferable) MayInferAgain(rs, part);
    bytes_ -= Cost(*part);
    Touch(rs, part);
    if (!capturing_) {
      rs.parts.Erase(part);
      return;
    }
    rs.parts.Remove(part);  // the capture in progress may still read it
    cap_.graveyard.push_back(part);
  }
}

// A window timer stays queued when its partial matches go before the deadline (completed,
// discarded, dropped by a bound): the queue is in deadline order and cannot lose entries in
// the middle cheaply. Left alone, a long window would keep one timer (and the partition it
// points to) per match started within it, whatever became of the match; so once the queue
// outgrows the live matches, the timers of matches that are gone are dropped here, and the
// partitions nothing else holds with them. What fires is unchanged: such a timer would find
// no partial match of its start and only drop the partition.
void SequenceMatcher::CompactTimers(RuleState& rs) {
  std::unordered_set<uint64_t>& live = live_seqs_;
  live.clear();
  rs.parts.ForEach([&](const Partition& p) {
    for (const PartialMatch& pm : p.pms) live.insert(pm.start_seq());
    for (size_t i = 0; p.run && i < p.run->size(); ++i) live.insert(p.run->first(i)->head.seq);
  });
  size_t w = 0;
  for (size_t i = 0; i < rs.timers.size(); ++i) {
    Timer t = rs.timers[i];
    if (live.count(t.seq)) {
      rs.timers[w++] = t;
      continue;
    }
    bytes_ -= sizeof(Timer);
    Touch(rs, t.part);
    --t.part->timers;
    DropIfIdle(rs, t.part);
  }
  rs.timers.resize(w);
  if (!rs.timers.empty()) PushFront(static_cast<size_t>(&rs - rules_.data()));
  SettleFronts();
}

TimeMs SequenceMatcher::NextDeadline() const {
  return next_deadline_;
}

namespace {

// The heap's order: std::push_heap keeps the greatest on top, so "greater" puts the earliest
// (deadline, rule, first event) there.
template <class F>
bool Later(const F& x, const F& y) {
  return std::tie(x.deadline, x.rule, x.seq) > std::tie(y.deadline, y.rule, y.seq);
}

}  // namespace

void SequenceMatcher::PushFront(size_t automaton) {
  const Timer& t = rules_[automaton].timers.front();
  fronts_.push_back(
      Front{t.deadline, rule_of_[automaton], t.seq, static_cast<uint32_t>(automaton)});
  std::push_heap(fronts_.begin(), fronts_.end(), Later<Front>);
}

void SequenceMatcher::SettleFronts() {
  while (!fronts_.empty()) {
    const Front& f = fronts_.front();
    const std::deque<Timer>& q = rules_[f.automaton].timers;
    if (!q.empty() && q.front().deadline == f.deadline && q.front().seq == f.seq) break;
    std::pop_heap(fronts_.begin(), fronts_.end(), Later<Front>);
    fronts_.pop_back();
  }
  next_deadline_ = fronts_.empty() ? kEndOfTime : fronts_.front().deadline;
}

void SequenceMatcher::UpdateNextDeadline() {
  fronts_.clear();
  for (size_t r = 0; r < rules_.size(); ++r) {
    if (!rules_[r].timers.empty()) PushFront(r);
  }
  SettleFronts();
}

void SequenceMatcher::FireQueued(TimeMs watermark, ComplexEventSink& sink, RunStats& stats) {
  SettleFronts();
  while (next_deadline_ < watermark) {
    // The earliest timer in (deadline, rule, first event) order: the top queue front.
    const size_t best = fronts_.front().automaton;
    std::pop_heap(fronts_.begin(), fronts_.end(), Later<Front>);
    fronts_.pop_back();
    RuleState& rs = rules_[best];
    Timer t = rs.timers.front();
    rs.timers.pop_front();
    bytes_ -= sizeof(Timer);
    if (!rs.timers.empty()) PushFront(best);
    SettleFronts();
    uint32_t rule = rule_of_[best];
    const Automaton& a = p_.automata[best];
    Partition* part = t.part;
    Touch(rs, part);
    --part->timers;
    const size_t live_before = live_;
    if (part->run && !RunTimer(a, part, t)) Dissolve(a, part);
    // The partial matches that started with this event: a trailing absence completes
    // (rule 4), anything else can no longer complete (rule 5). Others keep their place.
    std::vector<Completion>& done = done_;
    done.clear();
    size_t w = 0;
    for (size_t i = 0; i < part->pms.size(); ++i) {
      PartialMatch& pm = part->pms[i];
      // By start time first (kept in the match), then by the first event's arrival order.
      if (WindowDeadline(pm.start_time(), *a.within_ms) != t.deadline || pm.start_seq() != t.seq) {
        if (w != i) part->pms[w] = std::move(pm);
        ++w;
        continue;
      }
      Forget(pm);
      if (a.trailing_not && pm.pos >= a.last_step && HasMin(a, pm) &&
          HavingHolds(a, pm, 0, nullptr)) {
        done.push_back(Completion{std::move(pm), t.deadline, part->key_event});
      }
    }
    live_ -= part->pms.size() - w;
    part->pms.resize(w);
    FitFor(part->pms, 0);
    if (!done.empty() && a.policy != SeqPolicy::kEvery) {
      done.resize(1);  // same first event: the earliest-created run stands for the burst
      ForgetAll(part);
    }
    rs.live = rs.live + live_ - live_before;
    if (!done.empty()) Emit(rule, done, sink, stats);
    DropIfIdle(rs, part);
  }
}

void SequenceMatcher::RecountPartialMatchesByRule(std::vector<uint64_t>& add) const {
  for (size_t r = 0; r < rules_.size(); ++r) {
    rules_[r].parts.ForEach([&](const Partition& part) {
      if (rule_of_[r] < add.size())
        add[rule_of_[r]] += part.pms.size() + (part.run ? part.run->size() : 0);
    });
  }
}

void SequenceMatcher::PartialMatchesByRule(std::vector<uint64_t>& add) const {
  for (size_t r = 0; r < rules_.size(); ++r) {
    if (rules_[r].live && rule_of_[r] < add.size()) add[rule_of_[r]] += rules_[r].live;
  }
}

void SequenceMatcher::Emit(uint32_t rule, std::vector<Completion>& done, ComplexEventSink& sink,
                           RunStats& stats) {
  const CompiledRule& cr = p_.rules[rule];
  const Automaton& a = p_.automata[static_cast<size_t>(cr.automaton)];
  // Section 3.4: then in the input order of the first events, then of the second, and so on;
  // ties keep the order of completion. `done` is usually in that order already (matches are
  // kept by start); otherwise its positions are sorted, never the completions themselves.
  auto before = [](const Completion& x, const Completion& y) {
    const BoundEvents &a = x.pm.events, &b = y.pm.events;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (a.stored(i)->head.seq != b.stored(i)->head.seq)
        return a.stored(i)->head.seq < b.stored(i)->head.seq;
    }
    return a.size() < b.size();
  };
  order_.resize(done.size());
  for (uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
  if (!std::is_sorted(done.begin(), done.end(), before)) {
    std::sort(order_.begin(), order_.end(), [&](uint32_t i, uint32_t j) {
      if (before(done[i], done[j])) return true;
      return !before(done[j], done[i]) && i < j;
    });
  }
  for (uint32_t at : order_) {
    Completion& c = done[at];
    ce_.rule = rule;
    ce_.time = c.time;
    ce_.key.clear();
    for (uint32_t slot : a.keysets[0]) ce_.key.push_back(c.key_event->slot(slot));
    if (suppress_on_ && !suppress_.Admit(rule, ce_.key, c.time, cr.suppress_ms)) {
      ++stats.suppressed;
      continue;
    }
    MatchState view(a, &c.pm);
    ce_.fields.clear();
    for (NodeId v : cr.emit_values) {
      eval_.Reset();
      eval_.match = &view;
      ce_.fields.push_back(Calc(p_, v, blank_, eval_));  // (no bare fields: LANGUAGE.md 3)
    }
    eval_.match = nullptr;
    ce_.events.clear();
    for (size_t i = 0; i < c.pm.events.size(); ++i) {
      uint32_t term = c.pm.events.term(i);
      int32_t as = cr.aliases[term].empty() ? -1 : static_cast<int32_t>(term);
      ce_.events.push_back(MatchedEvent(as, c.pm.events.stored(i)));
    }
    ++stats.emitted;
    sink.Emit(ce_);
  }
  done.clear();
}

}  // namespace strix::engine
