// Table preloading: `strix run --table NAME=FILE` (LANGUAGE.md 7, "Initial contents"). Each line
// of FILE (JSON Lines, plain or .gz) is decoded like an event and becomes the row of its key in
// table NAME, before the first event; a line that does not decode, or has no key, goes to the
// dead letters with the file's name and line. Stage: runtime (run pipeline, before the loop).
// Interface: PreloadTables. Covered by test/table_cli_test.sh.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "adapters/dead_letter.h"
#include "adapters/event_decoder.h"
#include "common/status.h"
#include "engine/engine.h"

namespace strix::runtime {

// What the load did, for one line of standard error per table.
struct PreloadReport {
  std::vector<std::string> lines;  // "table profile: 120 rows from users.jsonl (2 rejected)"
};

// An unknown table name or a file that cannot be read is an error (nothing is loaded then).
Status PreloadTables(const std::vector<std::pair<std::string, std::string>>& tables,
                     const engine::Program& p, engine::Engine& eng, adapters::EventDecoder& decoder,
                     adapters::DeadLetters& dead, size_t max_line, PreloadReport& report);

// NAME=FILE into its parts; an error when it is not of that form.
Result<std::pair<std::string, std::string>> ParseTableOption(const std::string& text);

}  // namespace strix::runtime
