// Parser front door: loops over items, turns syntax errors into diagnostics and resumes at
// the next line that starts an item (see parse.h).
#include "query-lang/parse.h"

#include <algorithm>
#include <array>

#include "query-lang/grammar.h"

namespace strix::ql {

bool IsReserved(std::string_view w) {
  // The reserved words by length, so a name is compared with the few of its own length.
  switch (w.size()) {
    case 2:
      return w == "on" || w == "by" || w == "or" || w == "in" || w == "is";
    case 3:
      return w == "let" || w == "not" || w == "and" || w == "any" || w == "all";
    case 4:
      return w == "rule" || w == "emit" || w == "test" || w == "none" || w == "like" ||
             w == "cidr" || w == "true" || w == "null";
    case 5:
      return w == "given" || w == "every" || w == "until" || w == "where" || w == "false" ||
             w == "table";
    case 6:
      return w == "having" || w == "expect" || w == "within" || w == "strict" || w == "exists";
    case 8:
      return w == "suppress" || w == "sequence" || w == "contains" || w == "endswith";
    case 10:
      return w == "startswith";
    default:
      return false;
  }
}

namespace {

bool StartsItem(std::string_view line) {
  size_t i = line.find_first_not_of(" \t\r");
  if (i == std::string_view::npos) return false;
  for (std::string_view kw : {"rule", "let", "test", "table"}) {
    if (line.substr(i, kw.size()) == kw) {
      size_t after = i + kw.size();
      if (after == line.size() || line[after] == ' ' || line[after] == '\t' ||
          line[after] == '\r') {
        return true;
      }
    }
  }
  return false;
}

// Offset of the first line after `from`'s line that starts an item, or text.size().
size_t NextItemLine(std::string_view text, size_t from) {
  size_t p = text.find('\n', from);
  while (p != std::string_view::npos) {
    size_t start = p + 1;
    size_t end = text.find('\n', start);
    std::string_view line =
        text.substr(start, (end == std::string_view::npos ? text.size() : end) - start);
    if (StartsItem(line)) return start;
    p = end;
  }
  return text.size();
}

}  // namespace

bool ParseFile(std::string_view text, uint32_t file, Ast& ast, std::vector<Diagnostic>& diags) {
  bool ok = true;
  // An expression takes 4 or more bytes of text: reserved (address space; pages are touched as
  // used), a file of 100k rules does not move its millions of expressions as the arena grows.
  ast.exprs.reserve(ast.exprs.size() + text.size() / 4 + 16);
  // A rule takes 16 or more bytes (`rule r on t a:x`); reserved the same way.
  ast.rules.reserve(ast.rules.size() + text.size() / 16 + 4);
  size_t p = 0;
  size_t rules_before = 0, tests_before = 0;  // before the last item that parsed
  while (p < text.size()) {
    bool at_end = false;
    ItemError err;
    size_t start = p;
    size_t rules_now = ast.rules.size(), tests_now = ast.tests.size();
    if (ParseItem(text, p, ast, at_end, err)) {
      if (at_end) break;
      rules_before = rules_now;
      tests_before = tests_now;
      continue;
    }
    ok = false;
    if (err.at_item_start) {
      // A stray token right after an item (`where a = 5`, `a && b`) usually cut that item
      // short: it is dropped, so the checker does not add errors about what is left of it.
      ast.rules.resize(std::min(ast.rules.size(), rules_before));
      ast.tests.resize(std::min(ast.tests.size(), tests_before));
      // ... and from the item order, which indexes them.
      auto dropped = [&](const std::pair<Ast::ItemKind, uint32_t>& item) {
        return (item.first == Ast::ItemKind::kRule && item.second >= ast.rules.size()) ||
               (item.first == Ast::ItemKind::kTest && item.second >= ast.tests.size());
      };
      ast.order.erase(std::remove_if(ast.order.begin(), ast.order.end(), dropped), ast.order.end());
    }
    rules_before = ast.rules.size();
    tests_before = ast.tests.size();
    diags.push_back(Diagnostic{Severity::kError, file, err.offset, err.message});
    // Resume at the next item line after the line where this item began.
    size_t item_start = text.find_first_not_of(" \t\r\n", start);
    p = NextItemLine(text, item_start == std::string_view::npos ? start : item_start);
  }
  return ok;
}

}  // namespace strix::ql
