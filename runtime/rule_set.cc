// Loading and compiling rule files (see rule_set.h).
#include "runtime/rule_set.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "engine/engine.h"
#include "runtime/rule_tests.h"

namespace strix::runtime {

Result<std::vector<std::string>> ExpandRulePaths(const std::vector<std::string>& args) {
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
      return Status::Error("folder '" + a + "' " +
                           (ec ? "cannot be read: " + ec.message() : "holds no *.strix files"));
    }
    std::sort(found.begin(), found.end());
    paths.insert(paths.end(), found.begin(), found.end());
  }
  return paths;
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  std::string text;
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    text.resize(static_cast<size_t>(st.st_size));  // one read of the size seen now
    text.resize(std::fread(text.data(), 1, text.size(), f));
  }
  char buf[1 << 16];  // the rest: a file that grew, a pipe, a device
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return std::nullopt;
  return text;
}

Result<std::shared_ptr<const RuleSet>> LoadRuleSet(const std::vector<std::string>& args,
                                                   const RuleSetOptions& options) {
  auto paths = ExpandRulePaths(args);
  if (!paths.ok()) return paths.status();
  std::vector<ql::SourceFile> files;
  for (const std::string& p : *paths) {
    auto text = ReadWholeFile(p);
    if (!text) return Status::Error("cannot open rule file '" + p + "'");
    files.push_back(ql::SourceFile{p, std::move(*text)});
  }
  auto set = std::make_shared<RuleSet>();
  set->rules = ql::LoadRules(std::move(files), options.load);
  std::string diags = set->rules.FormatDiagnostics();
  if (!set->rules.ok()) return Status::Error(diags);
  set->warnings = std::move(diags);
  engine::CompileOptions compile = options.compile;
  if (options.seed) compile.seed_fields = options.seed->fields;
  auto prog = engine::Compile(set->rules, compile);
  if (!prog.ok()) return prog.status();
  set->program = std::move(*prog);
  if (options.seed) {
    set->seeded_from = options.seed->serial;
    set->rule_map = engine::RuleMap(*options.seed, *set->program);
  }
  if (options.require_tests) {
    std::vector<runtime::RuleTestResult> results = runtime::RunRuleTests(set->rules, *set->program);
    std::string failed;
    for (const runtime::RuleTestResult& r : results) {
      if (!r.passed) failed += (failed.empty() ? "" : ", ") + r.where + " \"" + r.name + "\"";
    }
    if (results.empty()) return Status::Error("the rule files hold no test blocks");
    if (!failed.empty()) return Status::Error("tests failed: " + failed);
  }
  return std::shared_ptr<const RuleSet>(std::move(set));
}

std::string RuleFilesStamp(const std::vector<std::string>& args) {
  std::string stamp;
  auto paths = ExpandRulePaths(args);
  if (!paths.ok()) return "unreadable: " + paths.message();
  for (const std::string& p : *paths) {
    struct stat st {};
    stamp += p;
    if (::stat(p.c_str(), &st) != 0) {
      stamp += " missing\n";
      continue;
    }
    stamp += " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec) + " " + std::to_string(st.st_ino) + "\n";
  }
  return stamp;
}

}  // namespace strix::runtime
