// Loading rule files for every subcommand (see commands.h).
#include <cstdio>

#include "cli/commands.h"
#include "runtime/rule_set.h"

namespace strix::cli {

int LoadRuleFiles(const std::vector<std::string>& args, ql::CheckedRules& out,
                  const ql::LoadOptions& options) {
  auto paths = runtime::ExpandRulePaths(args);
  if (!paths.ok()) {
    std::fprintf(stderr, "strix: %s\n", paths.message().c_str());
    return 2;
  }
  std::vector<ql::SourceFile> files;
  for (const std::string& p : *paths) {
    auto text = runtime::ReadWholeFile(p);
    if (!text) {
      std::fprintf(stderr, "strix: cannot open rule file '%s'\n", p.c_str());
      return 2;
    }
    files.push_back(ql::SourceFile{p, std::move(*text)});
  }
  out = ql::LoadRules(std::move(files), options);
  std::string diags = out.FormatDiagnostics();
  std::fputs(diags.c_str(), stderr);
  return 0;
}

}  // namespace strix::cli
