// strix import sigma: Sigma rule files (YAML) into one strix rule file (CLI.md "strix import
// sigma"). Each Sigma rule becomes a rule named after its file, on the event type of its
// logsource, with its detection as the condition and `emit { title, id, level }`; a rule that
// cannot be translated is reported with its file and reason, and the others go on.
// Stage: sigma (files -> YAML -> sigma_values / sigma_condition -> strix text). Interface:
// ImportSigma, TranslateSigmaYaml, ListSigmaFiles. No printing: the caller reports.
// Covered by test/sigma_test.cc and test/cli_test.sh.
#pragma once

#include <string>
#include <vector>

namespace strix::sigma {

struct Skipped {
  std::string file;
  std::string reason;
};

struct ImportResult {
  std::string text;  // the strix rule file
  size_t translated = 0;
  std::vector<Skipped> skipped;  // in file order
  std::vector<Skipped> notes;    // translated, but worth saying (a name taken twice)
};

// The Sigma files under `paths` (files as given; folders searched for *.yml, in name order).
// A path that does not exist is an error (`error` names it) and nothing is returned.
std::vector<std::string> ListSigmaFiles(const std::vector<std::string>& paths, std::string& error);

// Translates the files (read with their names as given).
ImportResult ImportSigma(const std::vector<std::string>& files);

// One rule from YAML text (for tests): the strix rule text named `name`, or the reason.
struct RuleTranslation {
  std::string text;
  std::string error;
};
RuleTranslation TranslateSigmaYaml(const std::string& yaml, const std::string& name,
                                   const std::string& source);

}  // namespace strix::sigma
