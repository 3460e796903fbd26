// The checker: resolves `let`s (any order, cycles are errors), aliases and list uses, and
// reports every compile error and warning of LANGUAGE.md sections 2, 3 and 6.
// Stage: query-lang (parse -> AST -> check). Interface: LoadRules(), CheckedRules.
// After a clean check every rule's expressions are self-contained in its file's arena: let
// names are expanded in place and alias paths carry alias_term. Never throws.
// Covered by test/checker_test.cc.
#pragma once

#include <string>
#include <vector>

#include "query-lang/ast.h"
#include "query-lang/diagnostics.h"

namespace strix::ql {

struct RuleRef {
  uint32_t file = 0;
  uint32_t index = 0;  // into asts[file].rules
};

struct CheckedRules {
  std::vector<SourceFile> files;
  std::vector<Ast> asts;          // one per file, lets expanded
  std::vector<RuleRef> rules;     // every rule in load order (rule order of the output)
  std::vector<RuleRef> tables;    // every table item in load order
  std::vector<Diagnostic> diags;  // errors and warnings, in file order
  int errors = 0;
  int warnings = 0;

  bool ok() const { return errors == 0; }
  const Rule& rule(size_t i) const { return asts[rules[i].file].rules[rules[i].index]; }
  const Ast& ast_of(size_t i) const { return asts[rules[i].file]; }
  const Table& table(size_t i) const { return asts[tables[i].file].tables[tables[i].index]; }
  // Every diagnostic formatted GCC style, in order.
  std::string FormatDiagnostics() const;
};

// What the checker needs to know of the run: the type field (--type-field), so that a test of
// it against the rule's own event type can be recognised as never true.
struct LoadOptions {
  std::vector<std::string> type_field = {"type"};
};

// The RE2 pattern of a `=~` / `!~` node: its flags (each once, in written order) as a leading
// `(?flags)` group, then the pattern. What the checker validates is what the compiler builds.
std::string Re2Pattern(const Expr& match);

// Parses and checks the files as one namespace.
CheckedRules LoadRules(std::vector<SourceFile> files, const LoadOptions& options = {});

// Maximum depth of an expression tree after expansion; deeper ones are a compile error so
// that every later pass may recurse safely.
constexpr int kMaxExprDepth = 1000;

// Expression nodes that expanding `let`s may copy, over all files and rules together (each use
// of a let copies its expanded body); past it the use is a compile error. Bounds memory and
// time against lets that double at each level (`let c2 = c1 or c1`) or long chains of lets.
constexpr size_t kMaxExpandedNodes = 2'000'000;

}  // namespace strix::ql
