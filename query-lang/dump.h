// Canonical printer of the AST: one line per item, expressions fully parenthesised.
// Stage: query-lang. Interface: Dump(Ast), DumpExpr(Ast, id). The oracle of the table-driven
// parser tests (re-parsing a Dump gives the same Dump) and the residual text of `explain`.
// Covered by test/parser_test.cc.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "query-lang/ast.h"

namespace strix::ql {

std::string Dump(const Ast& ast);
// One rule as `Dump` writes it (one line). With `let`s expanded by the checker, its text is the
// rule's identity for checkpoints.
// A table item on one line.
std::string DumpTable(const Ast& ast, const Table& t);
std::string DumpRule(const Ast& ast, const Rule& r);
void DumpRuleTo(const Ast& ast, const Rule& r, std::string& out);  // replaces `out`, reusing it
std::string DumpExpr(const Ast& ast, ExprId id);
std::string DumpFilter(const Ast& ast, const Filter& f);
// A regex as written in a rule: /pattern/flags, slashes escaped, reading back the same.
std::string DumpRegex(std::string_view pattern, std::string_view flags);
std::string DumpPath(std::span<const std::string> path, bool head_backticked = false);

}  // namespace strix::ql
