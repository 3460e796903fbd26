// Take-over: new rules (a reload) taking a running engine's state over without a snapshot.
// Stage: engine (state). Interface: Engine::TakeOver(), and the TakeOver of the matchers it
// calls (declared in their headers; ShardedMatcher's is in sharded_matcher.cc, beside its
// workers). An unchanged rule (same name, kind and identity: the rule's text with lets
// expanded) hands its partition table, window timers and suppression windows to the new
// matcher as they are: pointer swaps per rule, so the run stands still in proportion to the
// number of rules, not to the state. That works because the new program keeps every field of
// the old one in its slot (CompileOptions::seed_fields), so the events the partial matches
// hold read the same under the new program. Events held for --max-delay are decoded again
// (new rules may read fields the old ones did not). Covered by test/take_over_test.cc (against
// the snapshot path, Save and Restore) and test/reload_test.sh.
#include <unordered_map>

#include "engine/engine.h"
#include "engine/matcher.h"
#include "engine/sequence_matcher.h"

namespace strix::engine {

void SequenceMatcher::TakeOver(SequenceMatcher& old, const std::vector<int64_t>& rule_map,
                               std::vector<uint64_t>& dropped, std::vector<bool>& had_state,
                               uint64_t& kept) {
  WaitCapture();
  old.WaitCapture();
  size_t dropped_bytes = 0;
  for (size_t r = 0; r < old.rules_.size(); ++r) {
    RuleState& from = old.rules_[r];
    const uint32_t old_rule = old.rule_of_[r];
    const int64_t to_rule = old_rule < rule_map.size() ? rule_map[old_rule] : -1;
    if (to_rule < 0) {
      if (from.parts.empty() && from.timers.empty()) continue;
      had_state[old_rule] = true;
      dropped[old_rule] += from.live;
      dropped_bytes += RecountBytes(from);
      continue;
    }
    RuleState& to = rules_[static_cast<size_t>(p_.rules[static_cast<size_t>(to_rule)].automaton)];
    to.parts.Swap(from.parts);
    to.timers.swap(from.timers);
    to.by_inferred = from.by_inferred;  // the same automaton: both may infer, or neither
    to.live = from.live;
    from.live = 0;
    live_ += to.live;
    kept += to.live;
  }
  suppress_.MoveAll(old.suppress_, rule_map);
  // The moved state's bytes: all the old matcher accounted but the dropped rules' share.
  bytes_ += old.bytes_ - dropped_bytes;
  old.bytes_ = dropped_bytes;
  old.live_ = 0;
  UpdateNextDeadline();
}

void Matcher::TakeOver(Matcher& old, const std::vector<int64_t>& rule_map,
                       std::vector<uint64_t>& dropped, std::vector<bool>& had_state,
                       uint64_t& kept) {
  suppress_.MoveAll(old.suppress_, rule_map);  // single-event rules' windows
  seq_.TakeOver(old.seq_, rule_map, dropped, had_state, kept);
}

std::vector<int64_t> RuleMap(const Program& from, const Program& to) {
  std::unordered_map<std::string_view, uint32_t> by_name;
  for (uint32_t r = 0; r < to.rules.size(); ++r) by_name.emplace(to.rules[r].name, r);
  std::vector<int64_t> map(from.rules.size(), -1);
  for (size_t r = 0; r < from.rules.size(); ++r) {
    const CompiledRule& was = from.rules[r];
    auto it = by_name.find(was.name);
    if (it == by_name.end()) continue;
    const CompiledRule& now = to.rules[it->second];
    if (now.identity == was.identity && now.sequence == was.sequence) map[r] = it->second;
  }
  return map;
}

std::optional<RestoreReport> Engine::TakeOver(Engine& old, const DecodeFn& decode,
                                              const std::vector<int64_t>* rule_map_given) {
  // The old fields must keep their slots: the events the state holds were decoded with them.
  if (p_.fields.size() < old.p_.fields.size() ||
      !std::equal(old.p_.fields.begin(), old.p_.fields.end(), p_.fields.begin()))
    return std::nullopt;
  if (workers() != old.workers()) return std::nullopt;
  // This engine is fresh: its workers take the way the old engine's state is in.
  if (old.sharded_ && parked_) sharded_ = std::move(parked_);
  if (!old.sharded_ && sharded_) parked_ = std::move(sharded_);
  std::vector<int64_t> computed;
  if (!rule_map_given || rule_map_given->size() != old.p_.rules.size()) {
    computed = RuleMap(old.p_, p_);
    rule_map_given = &computed;
  }
  const std::vector<int64_t>& rule_map = *rule_map_given;
  // The events the moved state holds stay metered where they were counted.
  // Every matcher holds the meter's address, limit or not: point them all at the kept one.
  meter_ = old.meter_;
  set_max_state(max_state_);
  RestoreReport report;
  std::vector<uint64_t> dropped(old.p_.rules.size(), 0);
  std::vector<bool> had_state(old.p_.rules.size(), false);
  if (sharded_) {
    sharded_->TakeOver(*old.sharded_, rule_map, dropped, had_state, report.partial_matches);
  } else {
    matcher_->TakeOver(*old.matcher_, rule_map, dropped, had_state, report.partial_matches);
  }
  for (size_t r = 0; r < dropped.size(); ++r) {
    if (!had_state[r]) continue;
    ++report.dropped_rules;
    report.dropped_partial += dropped[r];
  }
  for (const Event& e : old.held_.items()) {
    if (!Hold(EventRecord{std::string(e.raw), e.time, e.source, e.line, e.seq}, decode))
      ++report.undecodable_events;
  }
  if (old.tables_) {  // rows decoded again: the new rules may read members the old ones did not
    TableRows rows;
    old.tables_->Save(rows);
    RestoreTables(rows, decode, report);
  }
  seen_any_ = old.seen_any_;
  max_seen_ = old.max_seen_;
  watermark_ = old.watermark_;
  timers_before_ = old.timers_before_;
  advanced_ = old.advanced_;
  stats_ = old.stats_;
  return report;
}

}  // namespace strix::engine
