// strix: the command-line entry point. Parses the subcommand with CLI11 and dispatches.
// Stage: cli. Usage errors exit 2 (CLI.md), --help and --version exit 0. A mistyped subcommand
// gets a "did you mean".
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "common/suggest.h"

namespace {

// After a usage error: "did you mean" for each --option the subcommand does not know.
void SuggestOptions(CLI::App& app, int argc, char** argv) {
  if (argc < 2) return;
  CLI::App* sub = nullptr;
  for (CLI::App* s : app.get_subcommands({})) {
    if (s->get_name() == argv[1]) sub = s;
  }
  if (!sub) return;
  std::vector<std::string> known;
  for (const CLI::Option* o : sub->get_options()) {
    for (const std::string& n : o->get_lnames()) known.push_back("--" + n);
  }
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    arg = arg.substr(0, arg.find('='));
    if (arg.rfind("--", 0) != 0 || std::find(known.begin(), known.end(), arg) != known.end())
      continue;
    std::string near = strix::Suggest(arg, known);
    if (!near.empty())
      std::fprintf(stderr, "strix: unknown option '%s'; did you mean '%s'?\n", arg.c_str(),
                   near.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"strix: complex-event processing and stream search"};
  app.set_version_flag("--version", "strix " STRIX_VERSION);
  app.require_subcommand(1);
  std::vector<std::pair<std::string, std::function<int()>>> runners = {
      {"run", strix::cli::RegisterRun(app)},         {"check", strix::cli::RegisterCheck(app)},
      {"test", strix::cli::RegisterTest(app)},       {"replay", strix::cli::RegisterReplay(app)},
      {"explain", strix::cli::RegisterExplain(app)}, {"rules", strix::cli::RegisterRules(app)},
      {"import", strix::cli::RegisterImport(app)},
  };
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (auto& r : runners) names.push_back(r.first);
    std::string word = argv[1];
    bool known = false;
    for (const std::string& n : names) known = known || n == word;
    if (!known) {
      std::string hint = strix::Suggest(word, names);
      std::fprintf(stderr,
                   "strix: unknown command '%s'%s; commands: run, replay, test, check, explain, "
                   "rules, import\n",
                   word.c_str(), hint.empty() ? "" : ("; did you mean '" + hint + "'?").c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    if (code != 0) SuggestOptions(app, argc, argv);
    return code == 0 ? 0 : 2;
  }
  for (auto& [name, run] : runners) {
    if (app.get_subcommand(name)->parsed()) return run();
  }
  return 2;
}
