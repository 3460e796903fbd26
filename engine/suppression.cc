// Suppression windows per rule and key (see suppression.h).
#include "engine/suppression.h"

#include <string>

#include "common/json_text.h"

namespace strix::engine {

void SuppressionKey(uint32_t rule, const std::vector<Value>& key, std::string& out) {
  out.assign(reinterpret_cast<const char*>(&rule), sizeof rule);
  for (const Value& v : key) {
    AppendJsonValue(out, v);
    out.push_back('\n');
  }
}

bool Suppression::Admit(uint32_t rule, const std::vector<Value>& key, TimeMs time,
                        std::optional<int64_t> window_ms) {
  if (!window_ms) return true;
  SuppressionKey(rule, key, scratch_);
  auto it = until_.find(scratch_);
  if (it != until_.end() && time < it->second) {
    if (rule >= refused_.size()) refused_.resize(rule + 1, 0);
    ++refused_[rule];
    return false;
  }
  if (it != until_.end()) {
    it->second = time + *window_ms;
  } else {
    until_.emplace(scratch_, time + *window_ms);
  }
  if (until_.size() >= purge_at_) {
    // Complex events come out in non-decreasing time, so windows ending by now are over.
    for (auto i = until_.begin(); i != until_.end();) {
      i = i->second <= time ? until_.erase(i) : std::next(i);
    }
    purge_at_ = std::max<size_t>(1024, until_.size() * 2);
  }
  return true;
}

void Suppression::TakeRefused(std::vector<uint64_t>& add) {
  for (size_t r = 0; r < refused_.size(); ++r) {
    if (refused_[r] == 0) continue;
    if (r >= add.size()) add.resize(r + 1, 0);
    add[r] += refused_[r];
    refused_[r] = 0;
  }
}

void Suppression::Restore(uint32_t rule, std::string_view key_text, TimeMs until) {
  std::string k(reinterpret_cast<const char*>(&rule), sizeof rule);
  k.append(key_text);
  until_[k] = until;
}

}  // namespace strix::engine
