// MemorySource: lines held in memory, each with the line number it reports, read as an input
// (the `given` events of a rule file's test blocks, LANGUAGE.md 5). Stage: adapters (sources).
// Interface: MemorySource(lines), then Source::Next() until false. Not resumable.
// Covered by test/rule_tests_test.cc and the `strix test` runs of test/cli_test.sh.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "adapters/line_source.h"

namespace strix::adapters {

class MemorySource : public Source {
 public:
  // (text without its newline, line number) in reading order.
  explicit MemorySource(const std::vector<std::pair<std::string, uint64_t>>& lines);
  bool Next(Line& line) override;
  bool LineReady() const override { return next_ < lines_.size(); }
  const std::string& error() const override { return error_; }

 private:
  std::vector<OwnedLine> lines_;
  size_t next_ = 0;
  std::string error_;
};

}  // namespace strix::adapters
