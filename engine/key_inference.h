// Key inference: the partition key a keyless `every` sequence implies by its equalities.
// Stage: engine (compile -> Automaton::inferred_key -> sequence matching). Interface:
//
//   std::optional<std::vector<std::string>> path = InferSequenceKey(ast, rule.sequence);
//
// `sequence within 1s every a: A  b: B where id == a.id` is written without `by`, so the
// whole stream is one partition and every B is tested against every live A. But no B can
// ever be taken by a match whose first event has another `id`: when every term after the
// first requires its event's field P to equal P of an earlier single event, the matches of
// different P values never meet. The matcher may then keep the partial matches in
// partitions by P (sequence_inferred.cc) and test each event against its own value's only,
// while the output stays that of the rule as written (key null, suppression over the whole
// rule, same complex events in the same order). Only where that is exact: `every` (no
// completion discards others), no header or term `by`, no `until`, no `not` term, no
// all(...) group, a first term that binds one event. Covered by test/sequence_test.cc
// ([inferred]) and the sequence differential test.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "query-lang/ast.h"

namespace strix::engine {

// The field path P, or nothing when the rule does not qualify.
std::optional<std::vector<std::string>> InferSequenceKey(const ql::Ast& ast, const ql::Sequence& q);

// For a sequence whose key P was inferred: per term after the first, the top-level conjuncts of
// its condition other than its equalities `P == x.P` (x an earlier single event). Inside one
// partition those equalities hold whenever the event's P has one value per key text (a number,
// a boolean or a valid UTF-8 string; sequence_inferred.cc): the matcher then tests only these.
std::vector<std::vector<ql::ExprId>> ConjunctsBesideKey(const ql::Ast& ast, const ql::Sequence& q,
                                                        const std::vector<std::string>& key);

}  // namespace strix::engine
