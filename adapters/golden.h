// Golden files: compares complex events with a recorded golden JSON Lines file (strix replay
// --expect). Stage: adapters (sinks). Interface: CompareGolden().
// Complex events are paired by their deterministic `id` (rule + matched events + time): an id
// only in the golden file disappeared, one only in the output appeared, one in both with
// other members changed (each differing member shown before -> after). With `ignore_events`
// (--output-events none) the `events` member is not compared. Same events in another order is
// a difference too. Errors are values: a golden line that is not a JSON object with a string
// `id` fails with its line number. Covered by test/adapters_test.cc and test/cli_test.sh.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace strix::adapters {

struct GoldenDiff {
  size_t golden = 0, actual = 0;   // complex events on each side
  std::vector<std::string> lines;  // readable differences; empty when equal
  bool equal() const { return lines.empty(); }
};

Result<GoldenDiff> CompareGolden(const std::string& golden_text,
                                 const std::vector<std::string>& actual_lines, bool ignore_events);

}  // namespace strix::adapters
