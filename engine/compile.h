// The compiler: checked AST -> Program (compiled conditions, slot table, condition index).
// Stage: engine/compiler. Interface: Compile(), PlanAccess(), AccessPredicates(), DescribeAtom().
// For every rule it chooses the access predicates under which the rule enters the index:
// a conjunction is anchored on its cheapest indexable part, a disjunction enters once per
// alternative, and a rule with nothing indexable goes on its type's always-check list.
// Covered by test/engine_test.cc and test/differential_test.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/program.h"
#include "query-lang/check.h"

namespace strix::engine {

struct CompileOptions {
  std::vector<std::string> type_field = {"type"};
  std::vector<std::string> time_field = {"ts"};
  std::vector<std::string> id_field = {"id"};
  // Keep what chose the index entries (Program::eq_frequency, node_expr) so that PlanAccess()
  // reproduces them later (explain); otherwise it is freed after the index is built.
  bool keep_index_choices = false;
  // The fields of a running program (a reload): they keep their slots, new fields come after,
  // so that the events its state holds can be moved to the new program as they are
  // (Engine::TakeOver). Fields no rule reads any more keep a slot until the run restarts.
  std::vector<FieldSpec> seed_fields;
};

// Fails only when the field options collide (the rules are already checked).
Result<std::unique_ptr<Program>> Compile(const ql::CheckedRules& rules, const CompileOptions& opts);

// How condition `node` enters the index: its atoms (several = any of them), and the
// conjuncts the atoms do not decide exactly (a regex prefilter, a conjunct beside the chosen
// one). Equality, `in`, ranges with numeric bounds and contains/startswith/endswith (up to
// LiteralMatcher::kMaxLiteral bytes) are exact: once the index offers the rule through them,
// they are not tested again.
struct AccessPlan {
  std::vector<index::Atom> atoms;
  std::vector<NodeId> residual;  // empty: the atoms decide the whole condition
};
// nullopt when nothing is indexable (always-check); no atoms when the condition never holds.
std::optional<AccessPlan> PlanAccess(const Program& p, NodeId node);
std::optional<std::vector<index::Atom>> AccessPredicates(const Program& p, NodeId node);

// "amount in [50000, 60000]" and the like, for explain.
std::string DescribeAtom(const Program& p, const index::Atom& a);
std::string DescribeField(const FieldSpec& f);

// Splits "a.b" into path segments (for --type-field and friends).
std::vector<std::string> SplitPath(std::string_view dotted);

}  // namespace strix::engine
