// DeadLetters: where rejected input goes (CLI.md): one JSON object a line with its reason,
// source, line and input, plus counts per reason for the end-of-run summary.
// Stage: adapters (sinks). Interface: Reject(), Summary(). Covered by the conformance cases
// (10, 11, 12) and test/adapters_test.cc.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/output.h"

namespace strix::adapters {

class DeadLetters {
 public:
  // `out` may be null: then only counts are kept. `observe`, when set, hears of each one.
  using Observer =
      std::function<void(const char* reason, const std::string& source, uint64_t line)>;
  explicit DeadLetters(Output* out, Observer observe = nullptr)
      : out_(out), observe_(std::move(observe)) {}
  void Reject(const char* reason, const std::string& source, uint64_t line, std::string_view input);
  uint64_t total() const { return total_; }
  // "3 rejected (bad json: 1, late: 2)" or empty when nothing was rejected.
  std::string Summary() const;
  // The counts by reason, and setting them back (checkpoints).
  std::vector<std::pair<std::string, uint64_t>> Counts() const {
    return {counts_.begin(), counts_.end()};
  }
  void RestoreCounts(const std::vector<std::pair<std::string, uint64_t>>& counts) {
    counts_.clear();
    total_ = 0;
    for (const auto& [reason, n] : counts) {
      counts_[reason] = n;
      total_ += n;
    }
  }

 private:
  Output* out_;
  Observer observe_;
  std::map<std::string, uint64_t> counts_;
  uint64_t total_ = 0;
  std::string line_;
};

}  // namespace strix::adapters
