// Suppression: `suppress D` (LANGUAGE.md 3.5) for single-event and sequence rules alike.
// Stage: engine (match -> sinks). Interface: Suppression::Admit().
// After a complex event of a rule and key at time t, further ones of that rule and key before
// t + D are dropped (the caller counts them). Entries whose window has passed are purged as
// the table grows, so idle keys do not hold memory. Not thread-safe.
// Covered by test/engine_test.cc and conformance case 09.
#pragma once

#include <cstdint>
#include <cstring>
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
  bool Admit(uint32_t rule, const std::vector<Value>& key, TimeMs time,
             std::optional<int64_t> window_ms);
  // Every open window: f(rule, key text (JSON texts, each followed by '\n'), end).
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& [k, until] : until_) {
      uint32_t rule;
      std::memcpy(&rule, k.data(), sizeof rule);
      f(rule, std::string_view(k).substr(sizeof rule), until);
    }
  }
  // Opens a window again (checkpoint restore).
  void Restore(uint32_t rule, std::string_view key_text, TimeMs until);
  // Adds the complex events refused per rule since the last call to `add[rule]` (metrics).
  void TakeRefused(std::vector<uint64_t>& add);

 private:
  // (rule, key) -> end of the window. The map key is the rule number and the key values'
  // JSON texts, each followed by a line break (which JSON text never holds): the whole key is
  // compared, so no two keys can share a window (a 64-bit hash alone could be made to collide).
  std::unordered_map<std::string, TimeMs> until_;
  std::string scratch_;
  size_t purge_at_ = 1024;
  std::vector<uint64_t> refused_;  // per rule, since the last TakeRefused
};

// The map key of a rule and key (see Suppression::until_), written into `out`.
void SuppressionKey(uint32_t rule, const std::vector<Value>& key, std::string& out);

}  // namespace strix::engine
