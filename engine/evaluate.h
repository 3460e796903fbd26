// The evaluator: computes compiled conditions and values over one event.
// Stage: engine (match). Interface: Test(), Calc(). Missing values follow LANGUAGE.md 3.3:
// any comparison, membership, string or regex test with a missing value, a null or operands
// of the wrong type is false, and `not` turns it true. noexcept; recursion is bounded by the
// checker's depth limit. Covered by test/engine_test.cc and test/differential_test.cc.
#pragma once

#include <deque>
#include <string>

#include "engine/program.h"

namespace strix::engine {

// Scratch space for strings made while evaluating (lower/upper of a computed value).
struct EvalScratch {
  std::deque<std::string> strings;
  void Reset() { strings.clear(); }
};

bool Test(const Program& p, NodeId node, const Event& e, EvalScratch& s) noexcept;
Value Calc(const Program& p, NodeId node, const Event& e, EvalScratch& s) noexcept;

}  // namespace strix::engine
