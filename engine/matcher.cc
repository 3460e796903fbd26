// Routing and single-event matching (see matcher.h).
#include "engine/matcher.h"

#include <algorithm>

#include "common/sorted_ids.h"

namespace strix::engine {

Matcher::Matcher(const Program& p, size_t max_partial_matches, bool suppress)
    : p_(p),
      scratch_(p.rules.size()),
      starts_(p.rules.size(), 0),
      suppress_on_(suppress),
      seq_(p, max_partial_matches, suppress) {
  for (uint32_t r = 0; r < p.rules.size(); ++r) {
    if (!p.checks[r].sequence) continue;  // (8 bytes a rule: a reload builds this in its pause)
    const CompiledRule& cr = p.rules[r];
    const Automaton& a = p.automata[static_cast<size_t>(cr.automaton)];
    if (a.any_type) {
      seq_any_.push_back(r);
      continue;
    }
    for (const std::string& t : a.types) seq_by_type_[t].push_back(r);
  }
}

void Matcher::Candidates(const Event& e, bool singles) {
  candidates_.clear();
  if (!seq_by_type_.empty() || !seq_any_.empty()) {
    p_.start_index.Probe(e.type(), e.slots, scratch_, candidates_);
    for (index::TermId r : candidates_) starts_[r] = 1;
  }
  if (singles) p_.index.Probe(e.type(), e.slots, scratch_, candidates_);
  // Output in rule order: what the indexes found is sorted, and the lists below (each in rule
  // order already, without repeats: an automaton's types are distinct) are merged in, so that
  // many sequence rules on a type cost no sort. They add only rules the start index did not
  // offer, and the single-event index holds no sequence rule: no rule comes twice.
  SortUniqueIds(candidates_, static_cast<uint32_t>(p_.rules.size()), id_bits_);
  // Sequences with live partial matches see the types their later terms name.
  auto merge_in = [&](const std::vector<uint32_t>& rules) {
    const auto mid = static_cast<std::ptrdiff_t>(candidates_.size());
    for (uint32_t r : rules) {
      if (!starts_[r]) candidates_.push_back(r);
    }
    std::inplace_merge(candidates_.begin(), candidates_.begin() + mid, candidates_.end());
  };
  merge_in(seq_any_);
  if (!seq_by_type_.empty() && e.type().is_string()) {
    auto it = seq_by_type_.find(e.type().text);
    if (it != seq_by_type_.end()) merge_in(it->second);
  }
}

void Matcher::Process(const Event& e, ComplexEventSink& sink, RunStats& stats, const Shard* shard) {
  seq_.NextEvent();
  bool any = Visit(e, !shard || shard->OwnsEvent(), sink, stats, [&](uint32_t r, bool starts) {
    return seq_.Process(r, e, starts, sink, stats, shard);
  });
  if (any) ++stats.matched;
}

void Matcher::Route(const Event& e, uint32_t workers, std::vector<RouteItem>& items,
                    ComplexEventSink& sink, RunStats& stats) {
  seq_.NextEvent();
  Visit(e, true, sink, stats, [&](uint32_t r, bool starts) {
    uint64_t owners = seq_.Owners(r, e, workers);
    if (owners) items.push_back(RouteItem{r, starts, owners});
    return false;
  });
}

void Matcher::ProcessRouted(const Event& e, const RouteItem* begin, const RouteItem* end,
                            const Shard& shard, ComplexEventSink& sink, RunStats& stats) {
  seq_.NextEvent();
  for (const RouteItem* it = begin; it != end; ++it) {
    if (it->owners >> shard.index & 1) seq_.Process(it->rule, e, it->starts, sink, stats, &shard);
  }
}

void Matcher::Single(uint32_t r, const Event& e, ComplexEventSink& sink, RunStats& stats,
                     bool& any) {
  const RuleCheck& check = p_.checks[r];
  eval_.Reset();
  ce_.key.clear();
  if (check.keyed) {
    for (uint32_t slot : p_.rules[r].key_slots) {
      const Value& v = e.slots[slot];
      if (v.missing() || v.kind == ValueKind::kNull) return;
      ce_.key.push_back(v);
    }
  }
  if (check.residual != kNoNode && !Test(p_, check.residual, e, eval_)) return;
  any = true;
  ce_.fields.clear();
  if (!check.plain) {
    const CompiledRule& rule = p_.rules[r];
    if (suppress_on_ && !suppress_.Admit(r, ce_.key, e.time, rule.suppress_ms)) {
      ++stats.suppressed;
      return;
    }
    for (NodeId v : rule.emit_values) ce_.fields.push_back(Calc(p_, v, e, eval_));
  }
  ce_.rule = r;
  ce_.time = e.time;
  ce_.events.assign(1, MatchedEvent(-1, e));
  ++stats.emitted;
  sink.Emit(ce_);
}

}  // namespace strix::engine
