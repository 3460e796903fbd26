// strix check RULES...: compile, report every error and warning, print a one-line summary.
// Stage: cli. Exit 1 on any error (CLI.md).
#include <cstdio>

#include "cli/commands.h"

namespace strix::cli {

std::function<int()> RegisterCheck(CLI::App& app) {
  auto* cmd = app.add_subcommand("check", "Compile rule files and report errors and warnings");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("rules", *files, "Rule files (*.strix) or folders of them")->required();
  return [files]() {
    ql::CheckedRules rules;
    if (int rc = LoadRuleFiles(*files, rules)) return rc;
    auto plural = [](size_t n, const char* word) {
      return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
    };
    std::printf("%s, %s, %s\n", plural(rules.rules.size(), "rule").c_str(),
                plural(static_cast<size_t>(rules.errors), "error").c_str(),
                plural(static_cast<size_t>(rules.warnings), "warning").c_str());
    if (rules.rules.empty()) std::fprintf(stderr, "strix: warning: no rules in the given files\n");
    return rules.ok() ? 0 : 1;
  };
}

}  // namespace strix::cli
