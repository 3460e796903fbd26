// Test-block checks (LANGUAGE.md 5): what makes a `test` block malformed, as compile errors
// with line and column. Stage: query-lang (check). Interface: CheckTests().
// Each event under `given` must be one JSON object; each `expect` must name a loaded rule,
// with fields that are emit fields of that rule, written once, with JSON values; `expect N`
// needs N >= 1. Two tests with the same name get a warning. Called by LoadRules() after the
// rules are checked. Covered by test/checker_test.cc.
#pragma once

#include <vector>

#include "query-lang/ast.h"
#include "query-lang/diagnostics.h"

namespace strix::ql {

struct CheckedRules;

// Appends its diagnostics to `out` (the caller sorts and counts them).
void CheckTests(const CheckedRules& rules, std::vector<Diagnostic>& out);

}  // namespace strix::ql
