// strix: the command-line entry point. Parses the subcommand with CLI11 and dispatches.
// Stage: cli. Usage errors exit 2 (CLI.md), --help exits 0.
#include <cstdio>
#include <utility>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"strix: complex-event processing and stream search"};
  app.require_subcommand(1);
  std::vector<std::pair<std::string, std::function<int()>>> runners = {
      {"run", strix::cli::RegisterRun(app)},         {"check", strix::cli::RegisterCheck(app)},
      {"test", strix::cli::RegisterTest(app)},       {"replay", strix::cli::RegisterReplay(app)},
      {"explain", strix::cli::RegisterExplain(app)},
  };
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
