// A slow, obviously correct reference for single-event rules (test-only): evaluates every
// rule's AST directly on the parsed JSON of every event, with no index, no slots and no
// compiled code, and returns what should come out. Differential tests hold the engine to it.
#pragma once

#include <string>
#include <vector>

#include "query-lang/check.h"
#include "test/reference_eval.h"

namespace strix::test {

struct RefMatch {
  size_t rule;
  std::string key;     // JSON: null, a value or an array
  std::string fields;  // JSON object of the emit block
};

// Every complex event of every rule for one event (a JSON object line), in rule order.
// No suppression (the tests use rules without it). With `tables`, lookups read them, and the
// event's changes are applied to them after the rules saw it.
std::vector<RefMatch> ReferenceMatch(const ql::CheckedRules& rules, const std::string& json,
                                     RefTables* tables = nullptr);

}  // namespace strix::test
