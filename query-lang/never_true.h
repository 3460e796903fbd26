// NeverTrue: finds conditions that no event can satisfy, for the "can never fire" warning
// (LANGUAGE.md 6). Stage: query-lang (check). Interface: NeverTrue().
// Sound, not complete: "never" is said only when it is certain. Within a conjunction the tests
// of one field against constants are intersected (numeric ranges with Boost.ICL intervals,
// string equalities and `in` lists of strings); a value that is both a string and a number,
// an empty range, or two different strings is impossible. A disjunction is never true when
// none of its alternatives is. The rule's own event type (`on login`) counts as a test of the
// type field. Paths through sequence aliases, functions and `not` are left alone.
// Covered by test/checker_test.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "query-lang/ast.h"

namespace strix::ql {

// When `where` (kNoExpr: none) together with `type == event_type` (when given) can never be
// true, the name of a field whose tests contradict each other ("" when the contradiction is
// not one field's, such as `false`); nullopt when it may be true.
std::optional<std::string> NeverTrue(const Ast& ast, ExprId where,
                                     const std::optional<std::string>& event_type,
                                     const std::vector<std::string>& type_field);

}  // namespace strix::ql
