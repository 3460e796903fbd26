// Diagnostics: errors and warnings with file, line and column, printed GCC style with the
// source line and a caret (LANGUAGE.md section 6).
// Stage: query-lang (shared by parse and check). Interface: Diagnostic, SourceFile, Format().
// Covered by test/parser_test.cc and test/checker_test.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strix::ql {

enum class Severity : uint8_t { kError, kWarning };

struct Diagnostic {
  Diagnostic() = default;
  Diagnostic(Severity sev, uint32_t in_file, uint32_t at, std::string msg)
      : severity(sev), file(in_file), offset(at), message(std::move(msg)) {}

  Severity severity = Severity::kError;
  uint32_t file = 0;    // index into the loaded files
  uint32_t offset = 0;  // byte offset in that file
  std::string message;
  // An optional note at another place (for example where a `let` used wrongly is defined),
  // printed after the diagnostic as "file:line:col: note: ...".
  std::string note;
  uint32_t note_file = 0, note_offset = 0;
};

struct SourceFile {
  std::string name;  // as given on the command line
  std::string text;
};

struct LineCol {
  uint32_t line = 1;    // from 1
  uint32_t column = 1;  // from 1, in code points
};

LineCol LocateOffset(std::string_view text, uint32_t offset);

// "file:12:31: error: message\n  <source line>\n  <caret>\n"
std::string FormatDiagnostic(const Diagnostic& d, const std::vector<SourceFile>& files);

}  // namespace strix::ql
