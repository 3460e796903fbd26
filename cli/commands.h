// The strix subcommands, one file each (run.cc, check.cc, test.cc, explain.cc, rules.cc,
// import.cc), wired
// in main.cc.
// Stage: cli. Interface: Register*() adds a subcommand and its options to the CLI11 app;
// Run*() executes it and returns the exit status of CLI.md (0 ok, 1 check failed,
// 2 bad usage or an input that could not be opened). No logic a library user needs lives here.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "query-lang/check.h"

namespace strix::cli {

// Reads the rule files (a folder: its *.strix files in name order) and checks them; prints
// diagnostics to standard error. Returns 2 (with a message) when a file cannot be read or a
// folder holds no rule files, else 0 and fills `out`.
int LoadRuleFiles(const std::vector<std::string>& paths, ql::CheckedRules& out,
                  const ql::LoadOptions& options = {});

// Each returns the function that runs the subcommand after parsing.
std::function<int()> RegisterRun(CLI::App& app);
std::function<int()> RegisterCheck(CLI::App& app);
std::function<int()> RegisterExplain(CLI::App& app);
std::function<int()> RegisterTest(CLI::App& app);
std::function<int()> RegisterReplay(CLI::App& app);
std::function<int()> RegisterRules(CLI::App& app);
std::function<int()> RegisterImport(CLI::App& app);

}  // namespace strix::cli
