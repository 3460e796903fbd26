// strix test RULES...: runs the `test` blocks of the files (LANGUAGE.md 5) and reports.
// Stage: cli. For each failure it prints the expectations beside the complex events that came
// out and why they differ; ends with "N passed, N failed". Exit 1 on compile errors or any
// failed test, 2 when a file cannot be read (CLI.md).
#include <cstdio>

#include "cli/commands.h"
#include "engine/compile.h"
#include "runtime/rule_tests.h"

namespace strix::cli {

std::function<int()> RegisterTest(CLI::App& app) {
  auto* cmd = app.add_subcommand("test", "Run the test blocks of rule files");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("rules", *files, "Rule files (*.strix) or folders of them")->required();
  return [files]() {
    ql::CheckedRules rules;
    if (int rc = LoadRuleFiles(*files, rules)) return rc;
    if (!rules.ok()) return 1;
    auto prog = engine::Compile(rules, engine::CompileOptions{});
    if (!prog.ok()) {
      std::fprintf(stderr, "strix: %s\n", prog.message().c_str());
      return 1;
    }
    std::vector<runtime::RuleTestResult> results = runtime::RunRuleTests(rules, **prog);
    size_t passed = 0, failed = 0;
    for (const runtime::RuleTestResult& r : results) {
      if (r.passed) {
        ++passed;
        std::printf("ok    %s \"%s\"\n", r.where.c_str(), r.name.c_str());
        continue;
      }
      ++failed;
      std::printf("FAIL  %s \"%s\"\n", r.where.c_str(), r.name.c_str());
      std::printf("  expected:\n");
      for (const std::string& e : r.expected) std::printf("    %s\n", e.c_str());
      std::printf("  got:\n");
      if (r.actual.empty()) std::printf("    (no complex events)\n");
      for (const std::string& a : r.actual) std::printf("    %s\n", a.c_str());
      std::printf("  because:\n");
      for (const std::string& p : r.problems) std::printf("    %s\n", p.c_str());
    }
    std::printf("%zu passed, %zu failed\n", passed, failed);
    if (results.empty()) {  // a test run that ran nothing must not look like a pass
      std::fprintf(stderr, "strix: no test blocks in the given files\n");
      return 1;
    }
    return failed ? 1 : 0;
  };
}

}  // namespace strix::cli
