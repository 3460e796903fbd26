// explain: what each rule compiled to, as text or Graphviz dot.
// Stage: engine (reads the Program and the checked AST). Interface: Explain().
// Shows, per rule, the index entries through which an event reaches it (type, equality,
// range, regex set, literal, or the always-check list) and its residual condition.
// Covered by test/engine_test.cc (explain section) and the CLI tests.
#pragma once

#include <string>

#include "engine/program.h"
#include "query-lang/check.h"

namespace strix::engine {

enum class ExplainFormat { kText, kDot };

// `only_rule` empty means every rule. Returns false when only_rule names no rule.
bool Explain(const ql::CheckedRules& rules, const Program& p, const std::string& only_rule,
             ExplainFormat format, std::string& out);

}  // namespace strix::engine
