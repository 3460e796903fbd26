// Suppression: `suppress D` (LANGUAGE.md 3.5) for single-event and sequence rules alike.
// Stage: engine (match -> sinks). Interface: Suppression::Admit().
// After a complex event of a rule and key at time t, further ones of that rule and key before
// t + D are dropped (the caller counts them). Windows are kept per rule, so that new rules
// can take an unchanged rule's windows over whole (MoveRule). Entries whose window has passed
// are purged as a rule's table grows, so idle keys do not hold memory. Not thread-safe.
// Covered by test/engine_test.cc and conformance case 09.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/time.h"
#include "common/value.h"

namespace strix::engine {

class Suppression {
 public:
  // True when the complex event may go out (and then starts a window when `window_ms` is set).
  // Inline for the usual rule without `suppress` (no call per complex event).
  bool Admit(uint32_t rule, const std::vector<Value>& key, TimeMs time,
             std::optional<int64_t> window_ms) {
    return !window_ms || AdmitInWindow(rule, key, time, *window_ms);
  }
  // Every open window: f(rule, key text (JSON texts, each followed by '\n'), end).
  template <typename F>
  void ForEach(F&& f) const {
    for (uint32_t r = 0; r < rules_.size(); ++r) {
      for (const auto& [k, until] : rules_[r].until) f(r, std::string_view(k), until);
    }
  }
  // Opens a window again (checkpoint restore).
  void Restore(uint32_t rule, std::string_view key_text, TimeMs until);
  // Takes rule `from_rule`'s windows from `from` as rule `rule`'s (new rules taking over).
  void MoveRule(Suppression& from, uint32_t from_rule, uint32_t rule);
  // MoveRule for every rule of `from` with open windows that `rule_map` (from's rule -> this
  // one's, -1: none) keeps; in time proportional to the rules that have windows.
  void MoveAll(Suppression& from, const std::vector<int64_t>& rule_map);
  // Adds the complex events refused per rule since the last call to `add[rule]` (metrics).
  void TakeRefused(std::vector<uint64_t>& add);

 private:
  bool AdmitInWindow(uint32_t rule, const std::vector<Value>& key, TimeMs time, int64_t window_ms);
  struct Windows {
    // Key (the key values' JSON texts, each followed by a line break, which JSON text never
    // holds: the whole key is compared, so no two keys share a window) -> end of the window.
    std::unordered_map<std::string, TimeMs> until;
    size_t purge_at = 1024;
    uint64_t refused = 0;  // since the last TakeRefused
  };
  Windows& Of(uint32_t rule) {
    if (rule >= rules_.size()) rules_.resize(rule + 1);
    return rules_[rule];
  }
  std::vector<Windows> rules_;  // by rule number
  std::string scratch_;
};

// The map key of a key (see Suppression::Windows), written into `out`.
void SuppressionKey(const std::vector<Value>& key, std::string& out);

}  // namespace strix::engine
