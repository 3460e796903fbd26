// strix: the command-line entry point. Parses the subcommand with CLI11 and dispatches.
// Stage: cli. Usage errors exit 2 (CLI.md), --help and --version exit 0. A mistyped subcommand
// gets a "did you mean".
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "common/suggest.h"

int main(int argc, char** argv) {
  CLI::App app{"strix: complex-event processing and stream search"};
  app.set_version_flag("--version", "strix " STRIX_VERSION);
  app.require_subcommand(1);
  std::vector<std::pair<std::string, std::function<int()>>> runners = {
      {"run", strix::cli::RegisterRun(app)},         {"check", strix::cli::RegisterCheck(app)},
      {"test", strix::cli::RegisterTest(app)},       {"replay", strix::cli::RegisterReplay(app)},
      {"explain", strix::cli::RegisterExplain(app)},
  };
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (auto& r : runners) names.push_back(r.first);
    std::string word = argv[1];
    bool known = false;
    for (const std::string& n : names) known = known || n == word;
    if (!known) {
      std::string hint = strix::Suggest(word, names);
      std::fprintf(stderr, "strix: unknown command '%s'%s; commands: run, replay, test, check, explain\n",
                   word.c_str(), hint.empty() ? "" : ("; did you mean '" + hint + "'?").c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  for (auto& [name, run] : runners) {
    if (app.get_subcommand(name)->parsed()) return run();
  }
  return 2;
}
