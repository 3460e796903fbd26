// Loading rule files for every subcommand (see commands.h).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"

namespace strix::cli {

int LoadRuleFiles(const std::vector<std::string>& paths, ql::CheckedRules& out) {
  std::vector<ql::SourceFile> files;
  for (const std::string& p : paths) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "strix: cannot open rule file '%s'\n", p.c_str());
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    files.push_back(ql::SourceFile{p, ss.str()});
  }
  out = ql::LoadRules(std::move(files));
  std::string diags = out.FormatDiagnostics();
  std::fputs(diags.c_str(), stderr);
  return 0;
}

}  // namespace strix::cli
