// Single-event matching (see matcher.h).
#include "engine/matcher.h"

#include <algorithm>

#include "common/hash.h"
#include "common/json_text.h"

namespace strix::engine {

uint64_t KeyHash(uint32_t rule, const std::vector<Value>& key) {
  Hasher h;
  h.Add(rule);
  std::string text;
  for (const Value& v : key) {
    text.clear();
    AppendJsonValue(text, v);
    h.Add(text);
  }
  return h.value();
}

Matcher::Matcher(const Program& p) : p_(p), scratch_(p.rules.size()) {}

void Matcher::Process(const Event& e, ComplexEventSink& sink, RunStats& stats) {
  candidates_.clear();
  p_.index.Probe(e.type(), e.slots, scratch_, candidates_);
  if (candidates_.empty()) return;
  std::sort(candidates_.begin(), candidates_.end());  // output in rule order
  bool any = false;
  for (index::TermId r : candidates_) {
    const CompiledRule& rule = p_.rules[r];
    eval_.Reset();
    ce_.key.clear();
    bool keyed = true;
    for (uint32_t slot : rule.key_slots) {
      const Value& v = e.slots[slot];
      if (v.missing() || v.kind == ValueKind::kNull) {
        keyed = false;
        break;
      }
      ce_.key.push_back(v);
    }
    if (!keyed) continue;
    if (rule.condition != kNoNode && !Test(p_, rule.condition, e, eval_)) continue;
    any = true;
    if (rule.suppress_ms) {
      uint64_t k = KeyHash(r, ce_.key);
      auto it = suppressed_until_.find(k);
      if (it != suppressed_until_.end() && e.time < it->second) {
        ++stats.suppressed;
        continue;
      }
      suppressed_until_[k] = e.time + *rule.suppress_ms;
    }
    ce_.rule = r;
    ce_.time = e.time;
    ce_.fields.clear();
    for (NodeId v : rule.emit_values) ce_.fields.push_back(Calc(p_, v, e, eval_));
    ce_.events.assign(1, MatchedEvent{-1, &e});
    ++stats.emitted;
    sink.Emit(ce_);
  }
  if (any) ++stats.matched;
}

}  // namespace strix::engine
