// Loading rule files for every subcommand (see commands.h).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.h"

namespace strix::cli {

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int LoadRuleFiles(const std::vector<std::string>& args, ql::CheckedRules& out,
                  const ql::LoadOptions& options) {
  // A folder stands for its *.strix files (not its subfolders), in name order.
  std::vector<std::string> paths;
  for (const std::string& a : args) {
    std::error_code ec;
    if (!std::filesystem::is_directory(a, ec)) {
      paths.push_back(a);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(a, ec)) {
      if (entry.path().extension() == ".strix" && !entry.is_directory())
        found.push_back(entry.path().string());
    }
    if (ec || found.empty()) {
      std::fprintf(stderr, "strix: folder '%s' %s\n", a.c_str(),
                   ec ? ("cannot be read: " + ec.message()).c_str() : "holds no *.strix files");
      return 2;
    }
    std::sort(found.begin(), found.end());
    paths.insert(paths.end(), found.begin(), found.end());
  }
  std::vector<ql::SourceFile> files;
  for (const std::string& p : paths) {
    auto text = ReadWholeFile(p);
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
