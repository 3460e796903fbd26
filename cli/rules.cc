// strix rules RULES... [--format text|json]: the rules of the files, one per line (CLI.md
// "Live operation"). Stage: cli.
#include <cstdio>

#include "cli/commands.h"
#include "query-lang/rule_list.h"

namespace strix::cli {

std::function<int()> RegisterRules(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "rules", "List the rules of the files: name, kind, event types, key, window, file:line");
  struct Opts {
    std::vector<std::string> files;
    std::string format = "text";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("rules", o->files, "Rule files (*.strix) or folders of them")->required();
  cmd->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  return [o]() {
    ql::CheckedRules rules;
    if (int rc = LoadRuleFiles(o->files, rules)) return rc;
    if (!rules.ok()) return 1;  // the diagnostics are printed
    std::string out = ql::FormatRuleList(ql::ListRules(rules), o->format == "json");
    std::fputs(out.c_str(), stdout);
    return 0;
  };
}

}  // namespace strix::cli
