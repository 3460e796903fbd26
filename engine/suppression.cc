// Suppression windows per rule and key (see suppression.h).
#include "engine/suppression.h"

#include <string>

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

bool Suppression::Admit(uint32_t rule, const std::vector<Value>& key, TimeMs time,
                        std::optional<int64_t> window_ms) {
  if (!window_ms) return true;
  uint64_t k = KeyHash(rule, key);
  auto it = until_.find(k);
  if (it != until_.end() && time < it->second) return false;
  until_[k] = time + *window_ms;
  if (until_.size() >= purge_at_) {
    // Complex events come out in non-decreasing time, so windows ending by now are over.
    for (auto i = until_.begin(); i != until_.end();) {
      i = i->second <= time ? until_.erase(i) : std::next(i);
    }
    purge_at_ = std::max<size_t>(1024, until_.size() * 2);
  }
  return true;
}

}  // namespace strix::engine
