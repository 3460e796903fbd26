// Front door of the parser: rule-file text -> Ast plus diagnostics.
// Stage: query-lang (parse). Interface: ParseFile(). Never throws; a syntax error in one
// item is reported and parsing resumes at the next line that starts an item, so every
// error of a file is reported. The grammar itself (and its EBNF) is in grammar.h.
// Covered by test/parser_test.cc.
#pragma once

#include <string_view>
#include <vector>

#include "query-lang/ast.h"
#include "query-lang/diagnostics.h"

namespace strix::ql {

// Parses `text` into `ast`. Appends syntax errors to `diags` (file index `file`).
// Returns true when there were no syntax errors.
bool ParseFile(std::string_view text, uint32_t file, Ast& ast, std::vector<Diagnostic>& diags);

// True for the reserved words of LANGUAGE.md section 2.
bool IsReserved(std::string_view word);

}  // namespace strix::ql
