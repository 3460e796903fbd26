// GCC-style diagnostic formatting (see diagnostics.h).
#include "query-lang/diagnostics.h"

#include "common/json_text.h"

namespace strix::ql {

LineCol LocateOffset(std::string_view text, uint32_t offset) {
  LineCol lc;
  size_t line_start = 0;
  size_t end = std::min<size_t>(offset, text.size());
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++lc.line;
      line_start = i + 1;
    }
  }
  lc.column = static_cast<uint32_t>(CountCodePoints(text.substr(line_start, end - line_start))) + 1;
  return lc;
}

namespace {

// "file:line:col: KIND: message", the source line and a caret under the column. A long line
// is cut to kContext bytes either side of the caret (marked "..."), so that a diagnostic stays
// readable and many diagnostics on one generated line do not multiply it.
constexpr size_t kContext = 100;

std::string FormatAt(const SourceFile& f, uint32_t offset, const char* kind,
                     const std::string& message) {
  LineCol lc = LocateOffset(f.text, offset);
  std::string out = f.name + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column) +
                    ": " + kind + message + "\n";
  size_t start = std::min<size_t>(offset, f.text.size());
  const size_t caret_at = start;
  while (start > 0 && f.text[start - 1] != '\n') --start;
  size_t stop = f.text.find('\n', start);
  if (stop == std::string::npos) stop = f.text.size();
  std::string_view line(f.text.data() + start, stop - start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const size_t caret = std::min(caret_at - start, line.size());
  auto continuation = [&](size_t i) {
    return i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80;
  };
  size_t from = caret > kContext ? caret - kContext : 0;
  while (from > 0 && continuation(from)) --from;
  size_t to = std::min(line.size(), caret + kContext);
  while (continuation(to)) ++to;
  const std::string_view shown = line.substr(from, to - from);
  out += from > 0 ? "  ..." : "  ";
  out.append(shown);
  out += to < line.size() ? "...\n  " : "\n  ";
  if (from > 0) out += "   ";
  // Keep tabs so the caret lines up under the source line.
  for (size_t i = 0; i < caret - from;) {
    out.push_back(shown[i] == '\t' ? '\t' : ' ');
    DecodeUtf8(shown, i);
  }
  out += "^\n";
  return out;
}

}  // namespace

std::string FormatDiagnostic(const Diagnostic& d, const std::vector<SourceFile>& files) {
  std::string out = FormatAt(files.at(d.file), d.offset,
                             d.severity == Severity::kError ? "error: " : "warning: ", d.message);
  if (!d.note.empty()) out += FormatAt(files.at(d.note_file), d.note_offset, "note: ", d.note);
  return out;
}

}  // namespace strix::ql
