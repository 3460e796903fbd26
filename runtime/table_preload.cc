// Table preloading (see table_preload.h).
#include "runtime/table_preload.h"

#include "adapters/line_source.h"

namespace strix::runtime {

Result<std::pair<std::string, std::string>> ParseTableOption(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return Status::Error("--table takes NAME=FILE, not '" + text + "'");
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

Status PreloadTables(const std::vector<std::pair<std::string, std::string>>& tables,
                     const engine::Program& p, engine::Engine& eng, adapters::EventDecoder& decoder,
                     adapters::DeadLetters& dead, size_t max_line, PreloadReport& report) {
  for (const auto& [name, file] : tables) {
    uint32_t t = 0;
    while (t < p.tables.size() && p.tables[t].name != name) ++t;
    if (t == p.tables.size()) {
      std::string known;
      for (const engine::TableSpec& s : p.tables) known += (known.empty() ? "" : ", ") + s.name;
      return Status::Error("--table " + name + "=" + file + ": the rules have no table '" + name +
                           "'" + (known.empty() ? "" : " (tables: " + known + ")"));
    }
    auto src = adapters::LineSource::Open(file, max_line);
    if (!src.ok()) return Status::Error("--table " + name + ": " + src.status().message());
    uint64_t rows = 0, rejected = 0;
    adapters::Line line;
    while ((*src)->Next(line)) {
      if (line.too_long) {
        dead.Reject("too long", file, line.number, line.text);
        ++rejected;
        continue;
      }
      Event ev;
      adapters::DecodeOutcome outcome = decoder.Decode(line.text, ev);
      if (outcome == adapters::DecodeOutcome::kBlank) continue;
      if (outcome != adapters::DecodeOutcome::kEvent) {
        dead.Reject(adapters::ReasonText(outcome), file, line.number, line.text);
        ++rejected;
        continue;
      }
      if (!eng.PreloadRow(t, ev)) {
        dead.Reject("no table key", file, line.number, line.text);
        ++rejected;
        continue;
      }
      ++rows;
    }
    if (!(*src)->error().empty())
      return Status::Error("--table " + name + ": reading '" + file + "': " + (*src)->error());
    report.lines.push_back("table " + name + ": " + std::to_string(rows) + " rows from " + file +
                           (rejected ? " (" + std::to_string(rejected) + " rejected)" : ""));
  }
  return Status::Ok();
}

}  // namespace strix::runtime
