// Suppression windows per rule and key (see suppression.h).
#include "engine/suppression.h"

#include <algorithm>
#include <string>

#include "common/json_text.h"

namespace strix::engine {

void SuppressionKey(const std::vector<Value>& key, std::string& out) {
  out.clear();
  for (const Value& v : key) {
    AppendJsonValue(out, v);
    out.push_back('\n');
  }
}

bool Suppression::AdmitInWindow(uint32_t rule, const std::vector<Value>& key, TimeMs time,
                                int64_t window_ms) {
  Windows& w = Of(rule);
  SuppressionKey(key, scratch_);
  auto it = w.until.find(scratch_);
  if (it != w.until.end() && time < it->second) {
    ++w.refused;
    return false;
  }
  if (it != w.until.end()) {
    it->second = time + window_ms;
  } else {
    w.until.emplace(scratch_, time + window_ms);
  }
  if (w.until.size() >= w.purge_at) {
    // Complex events come out in non-decreasing time, so windows ending by now are over.
    for (auto i = w.until.begin(); i != w.until.end();) {
      i = i->second <= time ? w.until.erase(i) : std::next(i);
    }
    w.purge_at = std::max<size_t>(1024, w.until.size() * 2);
  }
  return true;
}

void Suppression::TakeRefused(std::vector<uint64_t>& add) {
  for (size_t r = 0; r < rules_.size(); ++r) {
    if (rules_[r].refused == 0) continue;
    if (r >= add.size()) add.resize(r + 1, 0);
    add[r] += rules_[r].refused;
    rules_[r].refused = 0;
  }
}

void Suppression::Restore(uint32_t rule, std::string_view key_text, TimeMs until) {
  Of(rule).until[std::string(key_text)] = until;
}

void Suppression::MoveAll(Suppression& from, const std::vector<int64_t>& rule_map) {
  for (size_t r = 0; r < from.rules_.size() && r < rule_map.size(); ++r) {
    if (rule_map[r] >= 0 && !from.rules_[r].until.empty())
      MoveRule(from, static_cast<uint32_t>(r), static_cast<uint32_t>(rule_map[r]));
  }
}

void Suppression::MoveRule(Suppression& from, uint32_t from_rule, uint32_t rule) {
  if (from_rule >= from.rules_.size()) return;
  Windows& w = Of(rule);
  w.until = std::move(from.rules_[from_rule].until);
  w.purge_at = from.rules_[from_rule].purge_at;
  from.rules_[from_rule].until.clear();
}

}  // namespace strix::engine
