// strix explain RULES... [--rule NAME] [--format text|dot]: what each rule compiled to.
// Stage: cli.
#include "engine/explain.h"

#include <cstdio>

#include "cli/commands.h"
#include "engine/compile.h"

namespace strix::cli {

std::function<int()> RegisterExplain(CLI::App& app) {
  auto* cmd = app.add_subcommand("explain", "Show the index entries and residual of each rule");
  struct Opts {
    std::vector<std::string> files;
    std::string rule, format = "text";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("rules", o->files, "Rule files (*.strix) or folders of them")->required();
  cmd->add_option("--rule", o->rule, "Only this rule");
  cmd->add_option("--format", o->format, "text or dot")->check(CLI::IsMember({"text", "dot"}));
  return [o]() {
    ql::CheckedRules rules;
    if (int rc = LoadRuleFiles(o->files, rules)) return rc;
    if (!rules.ok()) return 1;
    engine::CompileOptions copts;
    copts.keep_index_choices = true;  // explain shows the entries Compile chose
    auto prog = engine::Compile(rules, copts);
    if (!prog.ok()) {
      std::fprintf(stderr, "strix: %s\n", prog.message().c_str());
      return 1;
    }
    std::string out;
    if (!engine::Explain(
            rules, **prog, o->rule,
            o->format == "dot" ? engine::ExplainFormat::kDot : engine::ExplainFormat::kText, out)) {
      std::fprintf(stderr, "strix: no rule named '%s'\n", o->rule.c_str());
      return 2;
    }
    std::fputs(out.c_str(), stdout);
    return 0;
  };
}

}  // namespace strix::cli
