// strix import sigma PATH... [-o FILE]: Sigma rules into a strix rule file (CLI.md). Prints
// one line per skipped rule (file and reason) and the count line on standard error.
// Stage: cli. Exit 0 when at least one rule was translated and written; 1 when none was; 2 on
// a path that does not exist or an output that cannot be written.
#include <cstdio>
#include <fstream>

#include "cli/commands.h"
#include "sigma/sigma_import.h"

namespace strix::cli {

std::function<int()> RegisterImport(CLI::App& app) {
  auto* cmd = app.add_subcommand("import", "Translate rules of other languages into strix");
  cmd->require_subcommand(1);
  auto* sigma = cmd->add_subcommand("sigma", "Translate Sigma rules (YAML) into a strix rule file");
  auto paths = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  sigma->add_option("paths", *paths, "Sigma rule files, or folders searched for *.yml")->required();
  sigma->add_option("-o,--output", *output,
                    "Write the strix rules here (default: standard output)");
  return [paths, output]() {
    std::string error;
    std::vector<std::string> files = sigma::ListSigmaFiles(*paths, error);
    if (!error.empty()) {
      std::fprintf(stderr, "strix: %s\n", error.c_str());
      return 2;
    }
    sigma::ImportResult r = sigma::ImportSigma(files);
    for (const sigma::Skipped& n : r.notes)
      std::fprintf(stderr, "%s: note: %s\n", n.file.c_str(), n.reason.c_str());
    for (const sigma::Skipped& s : r.skipped)
      std::fprintf(stderr, "%s: skipped: %s\n", s.file.c_str(), s.reason.c_str());
    std::string header = "# Translated by strix import sigma from " + std::to_string(files.size()) +
                         " file(s): " + std::to_string(r.translated) + " rules.\n\n";
    std::string text = header + r.text;
    if (output->empty()) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    } else {
      std::ofstream out(*output, std::ios::binary | std::ios::trunc);
      out << text;
      out.close();
      if (!out) {
        std::fprintf(stderr, "strix: cannot write '%s'\n", output->c_str());
        return 2;
      }
    }
    std::fprintf(stderr, "%zu rules translated, %zu skipped\n", r.translated, r.skipped.size());
    return r.translated > 0 ? 0 : 1;
  };
}

}  // namespace strix::cli
