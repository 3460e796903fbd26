// The strix grammar (Spirit X3). Stage: query-lang (parse). Interface: ParseItem(), which
// parses one top-level item; parse.cc loops over items and recovers from errors.
// All of Spirit X3 is instantiated in grammar.cc alone, so nothing else pays its compile time.
// Covered by test/parser_test.cc.
//
// EBNF (whitespace and `# comments` are free between tokens; keywords are reserved words
// and end at a non-identifier character):
//
//   file       = { item } ;
//   item       = let | rule | test ;
//   let        = "let" NAME "=" expr ;
//   rule       = "rule" NAME "on" ( sequence | filter ) { having | suppress | emit } ;
//   having     = "having" expr ;
//   suppress   = "suppress" DURATION ;
//   emit       = "emit" "{" [ field { "," field } [ "," ] ] "}" ;
//   field      = ( NAME | BACKTICKED | STRING ) ":" expr ;
//   filter     = ( "any" | TYPE ) [ quant ] [ "by" keys ] [ "where" expr ] ;
//   keys       = path { "," path } ;
//   quant      = "+" | "*" | "?" | "{" INT [ "," [ INT ] ] "}" ;
//   sequence   = "sequence" { "by" keys | "within" DURATION | "strict" | "every" }
//                term { term } [ "until" filter ] ;
//   term       = "not" filter | [ NAME ":" ] filter ;
//   test       = "test" STRING "given" { JSON_OBJECT } expect { expect } ;
//   expect     = "expect" ( "none" NAME | INT NAME [ fields ] | NAME [ fields ] ) ;
//   fields     = "{" [ NAME ":" JSON_VALUE { "," NAME ":" JSON_VALUE } ] "}" ;
//
//   expr       = and_expr { "or" and_expr } ;
//   and_expr   = not_expr { "and" not_expr } ;
//   not_expr   = { "not" } cmp_expr ;
//   cmp_expr   = "exists" path
//              | sum [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) sum
//                    | [ "not" ] "in" ( sum ".." sum | sum )
//                    | ( "contains" | "startswith" | "endswith" ) sum
//                    | ( "=~" | "!~" ) REGEX ] ;
//   sum        = product { ( "+" | "-" ) product } ;
//   product    = unary { ( "*" | "/" ) unary } ;
//   unary      = { "-" } primary ;
//   primary    = NUMBER | STRING | "true" | "false" | "null"
//              | "[" [ expr { "," expr } ] "]"
//              | "(" expr ")"
//              | NAME "(" [ expr { "," expr } ] ")" { "." segment }
//              | path ;
//   path       = segment { "." segment } ;
//   segment    = NAME | BACKTICKED ;
//
//   NAME       = identifier that is not a reserved word ;  BACKTICKED = "`" chars "`" ;
//   TYPE       = NAME | BACKTICKED ;  INT = digits ;  NUMBER = digits [ "." digits ] [ exp ] ;
//   STRING     = JSON string ;  DURATION = digits ( "ms" | "s" | "m" | "h" | "d" ) ;
//   REGEX      = "/" { char | "\/" } "/" { "i" | "s" | "m" } ;  (no line breaks)
//
// Nesting of ( [ and calls is limited to kMaxNesting levels, so no input recurses deeply;
// long `or`/`and` chains and lists are loops, not recursion.
#pragma once

#include <string>
#include <string_view>

#include "query-lang/ast.h"

namespace strix::ql {

constexpr int kMaxNesting = 200;

struct ItemError {
  uint32_t offset = 0;
  std::string message;
  bool at_item_start = false;  // the token where an item should start did not start one
};

// Parses one item starting at `pos` (after skipping whitespace and comments). On success
// advances `pos` past the item and returns true. At the end of input returns true with
// `at_end` set. On failure fills `error` and returns false; `ast` may hold stray nodes.
bool ParseItem(std::string_view text, size_t& pos, Ast& ast, bool& at_end, ItemError& error);

}  // namespace strix::ql
