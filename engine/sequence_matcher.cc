// Sequence matching per rule and partition (see sequence_matcher.h).
// The numbered rules below refer to LANGUAGE.md 3.2 "Matching semantics".
#include "engine/sequence_matcher.h"

#include <algorithm>

#include "common/json_text.h"

namespace strix::engine {
namespace {

TimeMs Deadline(TimeMs start, int64_t within) {
  return start > kEndOfTime - within ? kEndOfTime - 1 : start + within;
}

}  // namespace

SequenceMatcher::SequenceMatcher(const Program& p, size_t max_partial_matches, bool suppress)
    : p_(p),
      max_partial_(std::max<size_t>(1, max_partial_matches)),
      rules_(p.automata.size()),
      rule_of_(p.automata.size()),
      suppress_on_(suppress) {
  for (uint32_t r = 0; r < p.rules.size(); ++r) {
    if (p.rules[r].sequence) rule_of_[static_cast<size_t>(p.rules[r].automaton)] = r;
  }
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
    });
  }
  return b;
}

const StoredEvent* SequenceMatcher::Ref(const Event& e) {
  if (shared_) return shared_;
  if (!current_ || current_of_ != &e || current_seq_ != e.seq) {
    current_ = EventRef(new StoredEvent(e.Clone()));
    current_of_ = &e;
    current_seq_ = e.seq;
  }
  return current_.get();
}

bool SequenceMatcher::InPartition(const Automaton& a, uint32_t keyset,
                                  const std::string& key_text) const {
  if (a.keysets[keyset].empty() || a.keysets[0].empty()) return true;
  return key_ok_[keyset] && keys_[keyset] == key_text;
}

bool SequenceMatcher::FilterHolds(const Automaton& a, const SeqFilter& f, const Event& e,
                                  const std::string& key_text, MatchState* view) {
  if (!f.any_type && !(e.type().is_string() && e.type().text == f.type)) return false;
  if (!InPartition(a, f.keyset, key_text)) return false;
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
  bool ok = Test(p_, a.having, e ? *e : *pm.events.event(pm.events.size() - 1), eval_);
  eval_.match = nullptr;
  return ok;
}

void SequenceMatcher::ComputeKeys(const Automaton& a, const Event& e) {
  // The event's key under each keyset; missing or null key fields: no part in that keyset.
  keys_.resize(a.keysets.size());
  hashes_.resize(a.keysets.size());
  key_ok_.assign(a.keysets.size(), true);
  for (size_t k = 0; k < a.keysets.size(); ++k) {
    keys_[k].clear();
    for (uint32_t slot : a.keysets[k]) {
      const Value& v = e.slots[slot];
      if (v.missing() || v.kind == ValueKind::kNull) {
        key_ok_[k] = false;
        break;
      }
      AppendJsonValue(keys_[k], v);
      keys_[k] += '\n';
    }
    hashes_[k] = HashBytes(keys_[k]);
  }
}

uint64_t SequenceMatcher::Owners(uint32_t rule, const Event& e, uint32_t workers) {
  const Automaton& a = p_.automata[static_cast<size_t>(p_.rules[rule].automaton)];
  ComputeKeys(a, e);
  if (a.unkeyed_terms) return workers >= 64 ? ~uint64_t(0) : (uint64_t(1) << workers) - 1;
  uint64_t mask = 0;
  for (size_t k = 0; k < a.keysets.size(); ++k) {
    if (key_ok_[k]) mask |= uint64_t(1) << Shard::OwnerOf(hashes_[k], workers);
  }
  return mask;
}

bool SequenceMatcher::Process(uint32_t rule, const Event& e, bool starts, ComplexEventSink& sink,
                              RunStats& stats, const Shard* shard) {
  const Automaton& a = p_.automata[static_cast<size_t>(p_.rules[rule].automaton)];
  RuleState& rs = rules_[static_cast<size_t>(p_.rules[rule].automaton)];
  if (rs.parts.empty() && !starts) return false;
  shared_ = shard ? shard->stored : nullptr;
  ComputeKeys(a, e);
  std::vector<Completion>& done = done_;
  done.clear();
  // Every partition the event belongs to under some keyset (usually exactly one).
  for (size_t k = 0; k < a.keysets.size(); ++k) {
    if (!key_ok_[k]) continue;
    bool seen = false;
    for (size_t j = 0; j < k; ++j) seen = seen || (key_ok_[j] && keys_[j] == keys_[k]);
    if (seen) continue;
    if (!a.keysets[0].empty() && a.keysets[k].empty()) continue;  // unkeyed terms: see below
    uint64_t h = hashes_[k];
    if (shard && !shard->OwnsKey(h)) continue;
    Partition* part = rs.parts.Find(h, keys_[k]);
    bool can_start = starts && k == 0;
    if (!part && !can_start) continue;
    Step(rule, rs, part, keys_[k], h, e, can_start, done, stats);
  }
  // Terms without any key (no `by` anywhere on them) apply in every partition of a keyed
  // rule; such rules are rare, so they visit every partition.
  if (a.unkeyed_terms) {
    std::vector<std::string> visit;
    rs.parts.ForEach([&](const Partition& part) {
      bool covered = false;
      for (size_t k = 0; k < a.keysets.size(); ++k) {
        covered = covered || (key_ok_[k] && keys_[k] == part.key_text);
      }
      if (!covered) visit.push_back(part.key_text);
    });
    for (const std::string& kt : visit) {
      uint64_t h = HashBytes(kt);
      if (Partition* part = rs.parts.Find(h, kt))
        Step(rule, rs, part, kt, h, e, false, done, stats);
    }
  }
  if (done.empty()) return false;
  Emit(rule, done, sink, stats);
  return true;
}

void SequenceMatcher::Step(uint32_t rule, RuleState& rs, Partition* part,
                           const std::string& key_text, uint64_t hash, const Event& e,
                           bool can_start, std::vector<Completion>& done, RunStats& stats) {
  const Automaton& a = p_.automata[static_cast<size_t>(p_.rules[rule].automaton)];
  const bool every = a.policy == SeqPolicy::kEvery;
  const size_t done_before = done.size();
  // Rule 6: `until` discards every partial match of the partition first.
  if (part && a.until && FilterHolds(a, *a.until, e, key_text, nullptr)) {
    live_ -= part->pms.size();
    part->pms.clear();
  }
  // Rule 9: under `strict`, an event of the partition (by its header key) must be taken.
  const bool in_header_partition = InPartition(a, 0, key_text);
  std::vector<Option>& options = options_;
  if (part && !part->pms.empty()) {
    // Survivors are compacted in place (w); branches of `every` are appended after them.
    std::vector<PartialMatch>& born = born_;
    born.clear();
    size_t w = 0;
    auto keep = [&](size_t i) {
      if (w != i) part->pms[w] = std::move(part->pms[i]);
      ++w;
    };
    for (size_t i = 0; i < part->pms.size(); ++i) {
      PartialMatch& pm = part->pms[i];
      // Rule 5: window.
      if (a.within_ms && e.time > Deadline(pm.start_time(), *a.within_ms)) continue;
      const SeqTerm& cur = a.terms[pm.pos];
      const bool has_min = pm.count >= cur.min;
      // Rule 4: absence. Guards stand in the gap after the current term, and after any
      // following terms with minimum 0 (the match may pass them).
      bool absent_violated = false;
      if (has_min) {
        for (size_t k = pm.pos + 1; k < a.terms.size() && !absent_violated; ++k) {
          const SeqTerm& t = a.terms[k];
          if (t.negated) {
            MatchState view(a, &pm);
            absent_violated = FilterHolds(a, t.filter, e, key_text, &view);
          } else if (t.min > 0) {
            break;
          }
        }
      }
      if (absent_violated) continue;
      options.clear();
      // Rules 2, 3 and 7: hand-over to a later term (the quantifier is reluctant).
      if (has_min) {
        for (size_t k = pm.pos + 1; k <= a.last_positive; ++k) {
          const SeqTerm& t = a.terms[k];
          if (t.negated) continue;
          MatchState view(a, &pm);
          if (FilterHolds(a, t.filter, e, key_text, &view)) {
            uint32_t term = static_cast<uint32_t>(k);
            if (k == a.last_positive && !a.trailing_not && t.min <= 1) {
              if (HavingHolds(a, pm, term, &e)) {
                options.push_back({term, true});
              } else if (t.list) {
                options.push_back({term, false});  // a quantified last term keeps collecting
              }
            } else {
              options.push_back({term, false});
            }
            if (!every && !options.empty()) break;
          }
          if (t.min > 0) break;
        }
      }
      // Rule 3: another event for the current term.
      if ((every || options.empty()) && pm.count < cur.max) {
        MatchState view(a, &pm);
        view.SetPrev(pm.events.event(pm.events.size() - 1));
        if (FilterHolds(a, cur.filter, e, key_text, &view)) {
          bool completes = pm.pos == a.last_positive && !a.trailing_not &&
                           pm.count + 1 >= cur.min && HavingHolds(a, pm, pm.pos, &e);
          options.push_back({pm.pos, completes});
        }
      }
      if (every) {
        // Rule 10: split on each choice; the original passes the event over.
        for (const Option& o : options) {
          PartialMatch branch = pm;
          branch.Take(a, o.term, Ref(e));
          if (o.completes) {
            done.push_back(Completion{std::move(branch), e.time, part->key_event});
          } else {
            born.push_back(std::move(branch));
          }
        }
        keep(i);
        continue;
      }
      if (options.empty()) {
        if (a.policy == SeqPolicy::kStrict && in_header_partition) continue;  // rule 9
        keep(i);                                                              // rule 2: pass
        continue;
      }
      pm.Take(a, options[0].term, Ref(e));
      if (options[0].completes) {
        done.push_back(Completion{std::move(pm), e.time, part->key_event});
      } else {
        keep(i);
      }
    }
    live_ -= part->pms.size() - w;
    part->pms.resize(w);
    for (PartialMatch& b : born) part->pms.push_back(std::move(b));
    live_ += born.size();
    born.clear();
  }
  // Rule 8: under the default policy and `strict`, a completion discards the partition's
  // partial matches, and the completing event starts none.
  bool completed = done.size() > done_before;
  if (completed && !every) {
    live_ -= part->pms.size();
    part->pms.clear();
    can_start = false;
  }
  // Rule 1: start.
  if (can_start) {
    MatchState view(a, nullptr);
    const SeqTerm& first = a.terms[0];
    if (FilterHolds(a, first.filter, e, key_text, &view)) {
      if (!part) {
        part = rs.parts.Insert(hash, key_text);
        part->key_event = EventRef(Ref(e));
      }
      PartialMatch pm;
      bool completes = false, keep = true;
      if (a.last_positive == 0 && !a.trailing_not && first.min <= 1) {
        completes = HavingHolds(a, pm, 0, &e);
        keep = completes || first.list;
      }
      if (keep) {
        pm.Take(a, 0, Ref(e));
        if (completes) {
          done.push_back(Completion{std::move(pm), e.time, part->key_event});
          if (!every) {
            live_ -= part->pms.size();
            part->pms.clear();
          }
        } else {
          part->pms.push_back(std::move(pm));
          ++live_;
          if (a.within_ms) {  // the window's timer (rule 5, and rule 4's trailing deadline)
            const PartialMatch& started = part->pms.back();
            if (rs.timers.empty())
              next_deadline_ =
                  std::min(next_deadline_, Deadline(started.start_time(), *a.within_ms));
            rs.timers.push_back(Timer{Deadline(started.start_time(), *a.within_ms),
                                      started.start_seq(), started.first(), part});
            ++part->timers;
          }
        }
      }
    }
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
  // Rule 11: bounded state; the oldest partial matches go first.
  if (part->pms.size() > max_partial_) {
    // The vector is in creation order (survivors keep their places, branches and starts are
    // appended), so the oldest are in front.
    size_t drop = part->pms.size() - max_partial_;
    part->pms.erase(part->pms.begin(), part->pms.begin() + static_cast<long>(drop));
    live_ -= drop;
    stats.dropped_partial += drop;
  }
  DropIfIdle(rs, part);
}

void SequenceMatcher::DropIfIdle(RuleState& rs, Partition* part) {
  if (part->pms.empty() && part->timers == 0) rs.parts.Erase(part);
}

TimeMs SequenceMatcher::NextDeadline() const {
  return next_deadline_;
}

void SequenceMatcher::UpdateNextDeadline() {
  next_deadline_ = kEndOfTime;
  for (const RuleState& rs : rules_) {
    if (!rs.timers.empty()) next_deadline_ = std::min(next_deadline_, rs.timers.front().deadline);
  }
}

void SequenceMatcher::FireDeadlines(TimeMs watermark, ComplexEventSink& sink, RunStats& stats) {
  while (next_deadline_ < watermark) {
    // The earliest timer in (deadline, rule, first event) order: the queue fronts.
    size_t best = rules_.size();
    for (size_t r = 0; r < rules_.size(); ++r) {
      if (rules_[r].timers.empty()) continue;
      const Timer& t = rules_[r].timers.front();
      if (best == rules_.size()) {
        best = r;
        continue;
      }
      const Timer& b = rules_[best].timers.front();
      if (std::make_tuple(t.deadline, rule_of_[r], t.seq) <
          std::make_tuple(b.deadline, rule_of_[best], b.seq))
        best = r;
    }
    RuleState& rs = rules_[best];
    Timer t = rs.timers.front();
    rs.timers.pop_front();
    UpdateNextDeadline();
    uint32_t rule = rule_of_[best];
    const Automaton& a = p_.automata[best];
    Partition* part = t.part;
    --part->timers;
    // The partial matches that started with this event: a trailing absence completes
    // (rule 4), anything else can no longer complete (rule 5). Others keep their place.
    std::vector<Completion>& done = done_;
    done.clear();
    size_t w = 0;
    for (size_t i = 0; i < part->pms.size(); ++i) {
      PartialMatch& pm = part->pms[i];
      // The pointer may name a newer event at a reused address: the seq tells them apart.
      if (pm.first() != t.first || Deadline(pm.start_time(), *a.within_ms) != t.deadline ||
          pm.start_seq() != t.seq) {
        if (w != i) part->pms[w] = std::move(pm);
        ++w;
        continue;
      }
      if (a.trailing_not && pm.pos == a.last_positive && pm.count >= a.terms[pm.pos].min &&
          HavingHolds(a, pm, 0, nullptr)) {
        done.push_back(Completion{std::move(pm), t.deadline, part->key_event});
      }
    }
    live_ -= part->pms.size() - w;
    part->pms.resize(w);
    if (!done.empty() && a.policy != SeqPolicy::kEvery) {
      done.resize(1);  // same first event: the earliest-created run stands for the burst
      live_ -= part->pms.size();
      part->pms.clear();
    }
    if (!done.empty()) Emit(rule, done, sink, stats);
    DropIfIdle(rs, part);
  }
}

void SequenceMatcher::Emit(uint32_t rule, std::vector<Completion>& done, ComplexEventSink& sink,
                           RunStats& stats) {
  const CompiledRule& cr = p_.rules[rule];
  const Automaton& a = p_.automata[static_cast<size_t>(cr.automaton)];
  // Section 3.4: then in the input order of the first events, then of the second, and so on.
  std::stable_sort(done.begin(), done.end(), [](const Completion& x, const Completion& y) {
    const BoundEvents &a = x.pm.events, &b = y.pm.events;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (a.event(i)->seq != b.event(i)->seq) return a.event(i)->seq < b.event(i)->seq;
    }
    return a.size() < b.size();
  });
  for (Completion& c : done) {
    ce_.rule = rule;
    ce_.time = c.time;
    ce_.key.clear();
    for (uint32_t slot : a.keysets[0]) ce_.key.push_back(c.key_event.event()->slots[slot]);
    if (suppress_on_ && !suppress_.Admit(rule, ce_.key, c.time, cr.suppress_ms)) {
      ++stats.suppressed;
      continue;
    }
    MatchState view(a, &c.pm);
    ce_.fields.clear();
    for (NodeId v : cr.emit_values) {
      eval_.Reset();
      eval_.match = &view;
      ce_.fields.push_back(Calc(p_, v, *c.pm.events.event(c.pm.events.size() - 1), eval_));
    }
    eval_.match = nullptr;
    ce_.events.clear();
    for (size_t i = 0; i < c.pm.events.size(); ++i) {
      uint32_t term = c.pm.events.term(i);
      int32_t as = cr.aliases[term].empty() ? -1 : static_cast<int32_t>(term);
      ce_.events.push_back(MatchedEvent{as, c.pm.events.event(i), c.pm.events.stored(i)});
    }
    ++stats.emitted;
    sink.Emit(ce_);
  }
  done.clear();
}

}  // namespace strix::engine
