// The compiler: checked AST -> Program (compiled conditions, slot table, condition index).
// Stage: engine/compiler. Interface: Compile(). For every rule the access planner
// (access_plan.h) chooses how it enters the index.
// Covered by test/engine_test.cc and test/differential_test.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/access_plan.h"
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

// Splits "a.b" into path segments (for --type-field and friends).
std::vector<std::string> SplitPath(std::string_view dotted);

}  // namespace strix::engine
