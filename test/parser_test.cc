// Table-driven parser tests: accepted inputs against their canonical Dump(), re-parsed with
// their whitespace changed (and comments added); rejected inputs against their diagnostics.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "query-lang/dump.h"
#include "query-lang/parse.h"

using namespace strix::ql;

namespace {

std::string ParseDump(const std::string& text, std::vector<Diagnostic>* diags_out = nullptr) {
  Ast ast;
  std::vector<Diagnostic> diags;
  bool ok = ParseFile(text, 0, ast, diags);
  if (diags_out) *diags_out = diags;
  if (!ok) return "ERROR: " + (diags.empty() ? std::string("?") : diags[0].message);
  return Dump(ast);
}

// Replaces every run of whitespace outside strings, backticks and regexes with a different
// mix of spaces, tabs, newlines and comments.
std::string Respace(const std::string& s, int variant) {
  static const char* kGaps[] = {"  ", "\n\t", " # note\n ", "\r\n  "};
  std::string out;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      out.push_back(c);
      if (c == '\\' && quote != '`' && i + 1 < s.size()) {
        out.push_back(s[++i]);
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '#') {  // a comment runs to the end of the line: keep it whole
      while (i < s.size() && s[i] != '\n') out.push_back(s[i++]);
      if (i < s.size()) out.push_back('\n');
      continue;
    }
    if (c == '"' || c == '`') quote = c;
    if (c == '/' && i >= 2 && (s.compare(i - 2, 2, "~ ") == 0 || s.compare(i - 1, 1, "~") == 0)) {
      quote = '/';
    }
    if (c == ' ' || c == '\n') {
      while (i + 1 < s.size() && (s[i + 1] == ' ' || s[i + 1] == '\n')) ++i;
      out += kGaps[variant % 4];
      continue;
    }
    out.push_back(c);
  }
  return out;
}

struct Accept {
  const char* input;
  const char* dump;
};

const Accept kAccept[] = {
    {"rule r on tx", "rule r on tx\n"},
    // Names that start or end like a reserved word are names.
    {"rule r on tx where inx == 1 and notes == onx and is_ == `in` and _and in cidrs",
     "rule r on tx where ((inx == 1) and (notes == onx) and (is_ == `in`) and (_and in cidrs))\n"},
    {"rule r on tx where f(a).b == g() and t[k].v.w == 1 and u.v.`w x` == 2",
     "rule r on tx where ((f(a).b == g()) and (t[k].v.w == 1) and (u.v.`w x` == 2))\n"},
    {"rule r on any", "rule r on any\n"},
    {"rule r on tx where amount > 5", "rule r on tx where (amount > 5)\n"},
    {"rule r on tx where a == 1 or b == 2 and c == 3",
     "rule r on tx where ((a == 1) or ((b == 2) and (c == 3)))\n"},
    {"rule r on tx where not a == 1", "rule r on tx where (not (a == 1))\n"},
    {"rule r on tx where not not a", "rule r on tx where (not (not a))\n"},
    {"rule r on tx where a + b * c - -d > 1", "rule r on tx where (((a + (b * c)) - (-d)) > 1)\n"},
    {"rule r on tx where amount in 50000..60000", "rule r on tx where (amount in 50000..60000)\n"},
    {"rule r on tx where x in -5..5", "rule r on tx where (x in -5..5)\n"},
    // Tables (LANGUAGE.md 7).
    {"table profile by user_id from user_profile delete on user_deleted",
     "table profile by user_id from user_profile delete on user_deleted\n"},
    {"table c by after.id from cdc where op != \"d\" row after delete on cdc by before.id where "
     "op == \"d\"",
     "table c by after.id from cdc where (op != \"d\") row after delete on cdc by before.id where "
     "(op == \"d\")\n"},
    {"rule r on tx where profile[user].tier == \"gold\" and p[a.b + 1] == 2",
     "rule r on tx where ((profile[user].tier == \"gold\") and (p[(a.b + 1)] == 2))\n"},
    // [L2] tests.
    {"rule r on tx where lower(s) contains any [\"a\", \"b\"]",
     "rule r on tx where (lower(s) contains any [\"a\", \"b\"])\n"},
    {"rule r on tx where s startswith any [\"a\"] and s endswith all [\"b\"]",
     "rule r on tx where ((s startswith any [\"a\"]) and (s endswith all [\"b\"]))\n"},
    {"rule r on tx where s like \"C:\\\\*\\\\cmd?.exe\"",
     "rule r on tx where (s like \"C:\\\\*\\\\cmd?.exe\")\n"},
    {"rule r on tx where ip in cidr [\"10.0.0.0/8\", \"fe80::/10\"]",
     "rule r on tx where (ip in cidr [\"10.0.0.0/8\", \"fe80::/10\"])\n"},
    {"rule r on tx where ip not in cidr [\"10.0.0.0/8\"]",
     "rule r on tx where (ip not in cidr [\"10.0.0.0/8\"])\n"},
    {"rule r on tx where u is null or not v is not null",
     "rule r on tx where ((u is null) or (not (v is not null)))\n"},
    {"rule r on tx where c not in [\"US\", \"CA\"]",
     "rule r on tx where (c not in [\"US\", \"CA\"])\n"},
    {"rule r on tx where m =~ /casino|bet/i", "rule r on tx where (m =~ /casino|bet/i)\n"},
    {"rule r on tx where m !~ /a\\/b/", "rule r on tx where (m !~ /a\\/b/)\n"},
    // `\\` is an escaped backslash wherever it stands, also right before the closing slash.
    {"rule r on tx where p =~ /temp\\\\/i", "rule r on tx where (p =~ /temp\\\\/i)\n"},
    {"rule r on tx where p =~ /a\\\\\\/b\\d/", "rule r on tx where (p =~ /a\\\\\\/b\\d/)\n"},
    {"rule r on tx where lower(ua) contains \"curl\"",
     "rule r on tx where (lower(ua) contains \"curl\")\n"},
    {"rule r on tx where p startswith \"/admin\" or p endswith \".php\"",
     "rule r on tx where ((p startswith \"/admin\") or (p endswith \".php\"))\n"},
    {"rule r on tx where exists card.id", "rule r on tx where (exists card.id)\n"},
    {"rule r on tx where `user-agent` == \"x\" and `where` == 1",
     "rule r on tx where ((`user-agent` == \"x\") and (`where` == 1))\n"},
    {"rule r on tx where `a.b` == 1", "rule r on tx where (`a.b` == 1)\n"},
    {"rule r on tx where s == \"\\u00e9\\ud83d\\ude00\\n\"",
     "rule r on tx where (s == \"\xc3\xa9\xf0\x9f\x98\x80\\n\")\n"},
    {"rule r on tx where a == 1.5e3", "rule r on tx where (a == 1500)\n"},
    {"rule r on tx where (a == 1)", "rule r on tx where (a == 1)\n"},
    {"rule r on tx where f == true and g != null",
     "rule r on tx where ((f == true) and (g != null))\n"},
    {"rule r on tx by card.id where a == 1 emit { card: card.id, n: len(x) }",
     "rule r on tx by card.id where (a == 1) emit {card: card.id, n: len(x)}\n"},
    {"rule r on tx by user, device suppress 10m", "rule r on tx by user, device suppress 10m\n"},
    {"rule r on tx emit { \"odd name\": a, }", "rule r on tx emit {`odd name`: a}\n"},
    {"let xs = [1, 2, 3]\nlet c = a in xs", "let xs = [1, 2, 3]\nlet c = (a in xs)\n"},
    {"rule r on sequence by user within 10m l: login where foreign p: password_reset "
     "t: tx where amount > 1000 and device != l.device emit { user: l.user }",
     "rule r on sequence by user within 10m  l: login where foreign  p: password_reset  t: tx "
     "where ((amount > 1000) and (device != l.device)) emit {user: l.user}\n"},
    {"rule r on sequence by k within 1m strict f: login_failed{3,} s: login_ok",
     "rule r on sequence by k within 1m strict  f: login_failed{3,}  s: login_ok\n"},
    {"rule r on sequence every a: A{2,4} b: B? c: C* d: D+ e: E{2}",
     "rule r on sequence every  a: A{2,4}  b: B{0,1}  c: C{0,}  d: D{1,}  e: E{2}\n"},
    {"rule r on sequence by o within 1h p: payment not shipment until cancel where x == 1",
     "rule r on sequence by o within 1h  p: payment  not shipment until cancel where (x == 1)\n"},
    {"rule r on sequence by s within 1m r: tick{3,} where price > prev(r).price d: tick "
     "having count(r) > 3 emit { top: max(r.price), f: first(r).x }",
     "rule r on sequence by s within 1m  r: tick{3,} where (price > prev(r).price)  d: tick "
     "having (count(r) > 3) emit {top: max(r.price), f: first(r).x}\n"},
    {"rule r on sequence a: A t: tx by account.owner where x == 1",
     "rule r on sequence  a: A  t: tx by account.owner where (x == 1)\n"},
    // all(...) (LANGUAGE.md 3.2): branches split by commas, terms inside by spaces.
    {"rule r on sequence by u within 1h l: login all(p: reset, d: device where os != l.os t: tx "
     "where n > 1) o: logout",
     "rule r on sequence by u within 1h  l: login  all(p: reset,  d: device where (os != l.os)  "
     "t: tx where (n > 1))  o: logout\n"},
    {"rule r on sequence every all(A+, B{2}) not C",
     "rule r on sequence every  all(A{1,},  B{2})  not C\n"},
    {"test \"t1\" given\n {\"type\":\"A\",\"s\":\"}{\"}\n {\"type\":\"B\"}\n expect r { user: "
     "\"u1\", n: 5 }"
     " expect 2 q expect none z",
     "test \"t1\" given 2 events expect r {user: \"u1\", n: 5} expect 2 q expect none z\n"},
    {"# only a comment\n", ""},
};

struct Reject {
  const char* input;
  const char* message;  // a substring of the first diagnostic
  uint32_t line, column;
};

const Reject kReject[] = {
    {"rule r on", "expected 'sequence' or event type or 'any'", 1, 10},
    {"rule r tx", "expected 'on'", 1, 8},
    {"rule on on tx", "expected name", 1, 6},
    {"rule r on tx where", "expected expression", 1, 19},
    {"rule r on tx where a ==", "expected expression", 1, 24},
    {"rule r on tx where (a == 1", "expected ')'", 1, 27},
    {"rule r on tx where s == \"abc", "expected expression", 1, 25},
    {"rule r on tx where s == \"a\\qb\"", "valid string escape", 1, 27},
    {"rule r on tx where s == \"\\ud800\"", "valid string escape", 1, 26},
    {"rule r on tx where m =~ /abc", "regular expression", 1, 25},
    {"rule r on sequence within 10x a: A", "duration", 1, 27},
    {"rule r on tx emit { a: 1", "expected '}'", 1, 25},
    {"rule r on tx\n  where a == 1 b", "expected 'rule', 'let', 'table' or 'test', found 'b'", 2,
     16},
    {"let = 5", "expected name", 1, 5},
    {"rule r on sequence a: A{2", "expected '}'", 1, 26},
    {"test \"t\" given {\"a\":1}", "expected expect", 1, 23},
    {"garbage", "expected 'rule', 'let', 'table' or 'test', found 'garbage'", 1, 1},
    // Everyday mistakes get a message about the mistake itself, at the token.
    {"rule r on tx where a = 5", "'=' is not a comparison: use '=='", 1, 22},
    {"rule r on tx where a == 1 && b == 2", "use 'and' instead of '&&'", 1, 27},
    {"rule r on tx where a == 1 || b == 2", "use 'or' instead of '||'", 1, 27},
    {"rule r on tx where !(a == 1)", "use 'not' instead of '!'", 1, 20},
    {"rule r on tx wher a > 1", "unknown word 'wher'; did you mean 'where'?", 1, 14},
    {"rul r on tx", "unknown word 'rul'; did you mean 'rule'?", 1, 1},
    {"rule r on tx where a > 1 emti { a: a }", "did you mean 'emit'?", 1, 26},
    {"rule r on sequence within 1m f: F where a > 1 {3} g: G",
     "a quantifier follows the event type directly", 1, 47},
    {"rule r on sequence all(a: A, b: B", "expected ')'", 1, 34},
    {"rule r on sequence all(a: A,) c: C", "expected sequence term", 1, 29},
    {"rule r on sequence all() c: C", "expected sequence term", 1, 24},
    // [L2] forms that are cut short.
    {"rule r on tx where s contains any", "expected", 1, 34},
    {"rule r on tx where s is nul", "expected 'null'", 1, 25},
    {"rule r on tx where s is not", "expected 'null'", 1, 28},
    {"rule r on tx where ip in cidr", "expected", 1, 30},
    {"rule r on tx where s like", "expected", 1, 26},
    // Non-ASCII bytes between tokens are named, never classified by the C library (undefined
    // behaviour for bytes >= 0x80, an assertion in Debug builds).
    {"rule caf\xc3\xa9 on tx", "found '\xc3\xa9' (U+00E9, not ASCII", 1, 9},
    {"rule r\xc2\xa0on tx", "found '\xc2\xa0' (U+00A0, not ASCII", 1, 7},
    {"rule r on tx where a ==\xe2\x80\x83"
     "1",
     "(U+2003, not ASCII", 1, 24},
    {"rule r on tx where a == 1\xff", "(byte 0xFF, not ASCII", 1, 26},
};

}  // namespace

TEST_CASE("parser accepts and dumps canonically", "[parser]") {
  for (const Accept& row : kAccept) {
    INFO(row.input);
    std::string dump = ParseDump(row.input);
    CHECK(dump == row.dump);
    for (int v = 0; v < 4; ++v) {
      std::string respaced = Respace(row.input, v);
      INFO("respaced: " << respaced);
      CHECK(ParseDump(respaced) == row.dump);
    }
    if (dump.rfind("test ", 0) != 0) {
      CHECK(ParseDump(dump) == dump);  // a Dump parses back to itself
    }
  }
}

TEST_CASE("parser rejects with file positions", "[parser]") {
  for (const Reject& row : kReject) {
    INFO(row.input);
    std::vector<Diagnostic> diags;
    std::string text = row.input;
    ParseDump(text, &diags);
    REQUIRE(!diags.empty());
    CHECK_THAT(diags[0].message, Catch::Contains(row.message));
    LineCol lc = LocateOffset(text, diags[0].offset);
    CHECK(lc.line == row.line);
    CHECK(lc.column == row.column);
  }
}

TEST_CASE("parser reports every broken item and keeps the good ones", "[parser]") {
  std::string text =
      "rule a on tx where\n"
      "rule b on tx where x == 1\n"
      "let = 3\n"
      "rule c on login\n"
      "rule d on\n";
  Ast ast;
  std::vector<Diagnostic> diags;
  CHECK_FALSE(ParseFile(text, 0, ast, diags));
  CHECK(diags.size() == 3);
  REQUIRE(ast.rules.size() == 2);
  CHECK(ast.rules[0].name == "b");
  CHECK(ast.rules[1].name == "c");
}

TEST_CASE("diagnostics print GCC style with a caret", "[parser]") {
  std::vector<SourceFile> files = {{"f.strix", "rule r on tx\n  where amount >\n"}};
  Ast ast;
  std::vector<Diagnostic> diags;
  ParseFile(files[0].text, 0, ast, diags);
  REQUIRE(diags.size() == 1);
  CHECK(FormatDiagnostic(diags[0], files) ==
        "f.strix:3:1: error: expected expression, found end of file\n  \n  ^\n");
}

TEST_CASE("huge conditions parse without deep recursion", "[parser]") {
  std::string text = "rule r on tx where a == 0";
  for (int i = 1; i < 20000; ++i) text += " or a == " + std::to_string(i);
  text += " and s in [";
  for (int i = 0; i < 20000; ++i) text += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  text += "]";
  Ast ast;
  std::vector<Diagnostic> diags;
  CHECK(ParseFile(text, 0, ast, diags));
  std::string deep = "rule r on tx where " + std::string(5000, '(') + "a" + std::string(5000, ')');
  Ast ast2;
  std::vector<Diagnostic> diags2;
  CHECK_FALSE(ParseFile(deep, 0, ast2, diags2));
  REQUIRE(!diags2.empty());
  CHECK_THAT(diags2[0].message, Catch::Contains("nesting"));
  std::string minus = "rule r on tx where a == " + std::string(100000, '-') + "1";
  Ast ast3;
  std::vector<Diagnostic> diags3;
  CHECK(ParseFile(minus, 0, ast3, diags3));
}

TEST_CASE("reserved words are exactly LANGUAGE.md's", "[parser]") {
  const std::vector<std::string> words = {
      "let",  "rule",     "on",   "having",   "suppress",   "emit",     "test",   "given", "expect",
      "none", "sequence", "by",   "within",   "strict",     "every",    "until",  "not",   "where",
      "and",  "or",       "in",   "contains", "startswith", "endswith", "exists", "any",   "all",
      "is",   "like",     "cidr", "true",     "false",      "null",     "table"};
  for (const std::string& w : words) {
    INFO(w);
    CHECK(IsReserved(w));
    CHECK_FALSE(IsReserved(w + "x"));
    CHECK_FALSE(IsReserved(w.substr(1)));
    CHECK_FALSE(IsReserved(w.substr(0, w.size() - 1)));
    std::string upper = w;
    upper[0] = static_cast<char>(upper[0] - 'a' + 'A');
    CHECK_FALSE(IsReserved(upper));
    // As a field name it must be written in backticks.
    CHECK(ParseDump("rule r on tx where `" + w + "` == 1") ==
          "rule r on tx where (`" + w + "` == 1)\n");
  }
  for (const char* w : {"", "from", "row", "delete", "x", "type", "ins", "nul"}) {
    INFO(w);
    CHECK_FALSE(IsReserved(w));
  }
}

TEST_CASE("number literals are the doubles strtod reads", "[parser]") {
  std::vector<std::string> numbers = {"0",
                                      "007",
                                      "1",
                                      "9",
                                      "123456789012345",
                                      "999999999999999",
                                      "1000000000000000",
                                      "9007199254740993",
                                      "12345678901234567890",
                                      "0.5",
                                      "1e3",
                                      "1.25E-2",
                                      "00012",
                                      "4503599627370497"};
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 300; ++i) {  // random integers of 1 to 20 digits
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    numbers.push_back(std::to_string(x % 10 == 0 ? x : x >> (x % 64)));
  }
  for (const std::string& n : numbers) {
    INFO(n);
    Ast ast;
    std::vector<Diagnostic> diags;
    REQUIRE(ParseFile("rule r on tx where a == " + n, 0, ast, diags));
    const Expr& cmp = ast.exprs[ast.rules[0].filter.where];
    REQUIRE(cmp.kids.size() == 2);
    CHECK(ast.exprs[cmp.kids[1]].number == std::strtod(n.c_str(), nullptr));
  }
}
