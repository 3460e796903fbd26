// RuleSet: rule files loaded, checked and compiled, which is what a run matches with, and
// loading them again for a live reload (CLI.md "Live operation"). Stage: runtime (rules).
// Interface: ExpandRulePaths(), ReadWholeFile(), LoadRuleSet(), RuleFilesStamp().
// No printing: diagnostics come back as text (GCC style) in the error or in `warnings`.
// Covered by test/reload_test.sh and test/cli_test.sh.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/compile.h"
#include "engine/engine.h"
#include "engine/program.h"
#include "query-lang/check.h"

namespace strix::runtime {

struct RuleSet {
  ql::CheckedRules rules;
  std::unique_ptr<engine::Program> program;
  std::string warnings;  // the checker's warnings, formatted
  // Compiled to take over from the program with serial `seeded_from` (RuleSetOptions::seed;
  // 0: none): its fields kept their slots, and `rule_map` maps its rules to these
  // (engine::RuleMap), for Engine::TakeOver.
  uint64_t seeded_from = 0;
  std::vector<int64_t> rule_map;
  // An engine for `program`, built beside the run (its per-rule tables take time in
  // proportion to the rules), taken once by the run that takes these rules over.
  mutable std::unique_ptr<engine::Engine> prepared_engine;
};

struct RuleSetOptions {
  ql::LoadOptions load;
  engine::CompileOptions compile;
  bool require_tests = false;  // the files' `test` blocks must pass (--reload-requires-tests)
  // The program running now (a reload): its fields keep their slots (CompileOptions::
  // seed_fields) and its rules are mapped to the new ones, so the state moves whole.
  std::shared_ptr<const engine::Program> seed;
};

// The whole content of a file (a regular file read in one piece, anything else in chunks);
// nullopt when it cannot be opened or read.
std::optional<std::string> ReadWholeFile(const std::string& path);

// Folders stand for their *.strix files (not subfolders), in name order. An error names a
// folder that cannot be read or holds no rule files.
Result<std::vector<std::string>> ExpandRulePaths(const std::vector<std::string>& paths);

// Reads, checks and compiles the files (and runs their tests with require_tests). The error
// says why not: a file that cannot be read, the diagnostics, or the tests that failed.
Result<std::shared_ptr<const RuleSet>> LoadRuleSet(const std::vector<std::string>& paths,
                                                   const RuleSetOptions& options);

// The names, sizes and modification times of the rule files (folders expanded): a different
// stamp means a file changed, appeared or went (--watch).
std::string RuleFilesStamp(const std::vector<std::string>& paths);

}  // namespace strix::runtime
