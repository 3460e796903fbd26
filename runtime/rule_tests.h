// Rule tests: runs the `test` blocks of loaded rule files (LANGUAGE.md 5) and judges them.
// Stage: runtime (`strix test`). Interface: RunRuleTests().
// Each test is a run of the pipeline (runtime/pipeline.h) of its own holding every loaded rule:
// its `given` events are its input (identity FILE:LINE without an `id`), then the input ends
// (deadlines fire); rejected and late events are problems of the test. Each
// `expect RULE {fields}` takes one complex event of RULE whose fields include those values
// (JSON values, numbers compared as numbers), `expect N RULE` N of them, `expect none RULE`
// none; expectations are matched to complex events as a maximum bipartite matching (counts are
// capacities; iterative augmenting paths; candidates through an index on the first field), so
// the order of expects does not matter. Complex events left over for a rule that an expect
// names fail the test. A failure says "expected N, got M" for counts and, for an expectation
// left without a complex event, how the closest one differs field by field. No printing:
// results are values. Covered by test/rule_tests_test.cc.
#pragma once

#include <string>
#include <vector>

#include "engine/program.h"
#include "query-lang/check.h"

namespace strix::runtime {

struct RuleTestResult {
  std::string where;  // FILE:LINE of the test
  std::string name;
  bool passed = false;
  std::vector<std::string> expected;  // one line per expectation, as written
  std::vector<std::string> actual;    // the complex events that came out (JSON lines)
  std::vector<std::string> problems;  // why it failed
};

std::vector<RuleTestResult> RunRuleTests(const ql::CheckedRules& rules, const engine::Program& p);

// Structural JSON equality with numbers compared numerically (for expectations and goldens).
bool JsonEqual(std::string_view a, std::string_view b);

}  // namespace strix::runtime
