// Checker tests: one row per compile error and warning of LANGUAGE.md 3.2 and 6, lets in any
// order, cycles, several files in one namespace.
#include <catch2/catch.hpp>

#include "query-lang/check.h"
#include "query-lang/dump.h"

using namespace strix::ql;

namespace {

CheckedRules Load(const std::string& text) {
  return LoadRules({{"f.strix", text}});
}

struct Row {
  const char* rules;
  const char* message;  // substring of some diagnostic; "" = must load cleanly
  Severity severity;
};

const Row kRows[] = {
    // all(...) (LANGUAGE.md 3.2): positive terms with a minimum, aliases by branch.
    {"rule r on sequence by u within 1m a: A all(b: B where x > a.x, c: C) d: D where x > b.x "
     "and y > c.y",
     "", Severity::kError},
    {"rule r on sequence by u within 1m a: A all(b: B, c: C where x > b.x)",
     "bound in another branch of all(...)", Severity::kError},
    {"rule r on sequence by u within 1m all(b: B  c: C where x > b.x, d: D)", "",
     Severity::kError},  // the same branch, earlier: visible
    {"rule r on sequence by u within 1m a: A all(b: B, not C)",
     "'not' cannot stand inside all(...)", Severity::kError},
    {"rule r on sequence by u within 1m a: A all(b: B?, c: C)",
     "inside all(...) needs a minimum of at least 1", Severity::kError},
    {"rule r on sequence by u within 1m a: A all(b: B*, c: C)",
     "inside all(...) needs a minimum of at least 1", Severity::kError},
    {"rule r on sequence by u within 1m a: A g: all(b: B, c: C) d: D where x > last(g).x "
     "having count(g) > 2 emit { s: sum(g.x), f: first(g).y }",
     "", Severity::kError},  // a group's alias: a list of its events, after the group
    {"rule r on sequence by u within 1m a: A g: all(b: B, c: C where x > count(g))",
     "alias 'g' of all(...) is used before the group is complete", Severity::kError},
    {"rule r on sequence by u within 1m a: A g: all(b: B, c: C) emit { x: g.x }",
     "alias 'g' is a list", Severity::kError},
    {"rule r on sequence by u within 1m g: A g: all(b: B, c: C)", "alias 'g' is already used",
     Severity::kError},
    {"rule r on sequence by u within 1m all(b: B by v, c: C)",
     "the terms that start a leading all(...) take the sequence's key", Severity::kError},
    {"rule r on sequence by u within 1m a: A all(b: B by v, c: C)", "", Severity::kError},
    {"rule r on sequence by u within 1m a: A all(b: B+, c: C{2}) having count(b) > 2 emit "
     "{ n: count(c) }",
     "", Severity::kError},
    {"rule r on sequence by u within 1m a: A all(b: B+, c: C) emit { x: b.x }",
     "alias 'b' is a list", Severity::kError},
    {"rule r on sequence within 1m a: A not B c: C where x > a.y", "", Severity::kError},
    {"rule r on sequence within 1m a: A c: C where x > b.y", "",
     Severity::kError},  // b is a field path, not an alias
    {"rule r on sequence within 1m a: A c: C where x > c.y", "used before the term that binds it",
     Severity::kError},
    {"rule r on sequence within 1m c: C where x > a.y a: A", "used before the term that binds it",
     Severity::kError},
    {"rule r on sequence within 1m f: F{5,} t: tx where amount > f.amount",
     "alias 'f' is a list (quantified); use count(f), sum(f.x), first(f).x or last(f).x",
     Severity::kError},
    {"rule r on sequence within 1m f: F{1} t: tx where amount > f.amount",
     "alias 'f' is a list (quantified)", Severity::kError},
    {"rule r on sequence within 1m f: F{1,1} t: tx where amount > last(f).amount", "",
     Severity::kError},
    {"rule r on sequence within 1m f: F? t: tx emit { a: f.amount }",
     "alias 'f' is a list (quantified)", Severity::kError},
    {"rule r on sequence within 1m a: process by pid b: file by pid, path",
     "this key has 2 fields but the sequence key (the first term's 'by') has 1", Severity::kError},
    {"rule r on sequence by pid within 1m a: process b: file by pid, path",
     "this key has 2 fields but the sequence key (the header 'by') has 1", Severity::kError},
    {"rule r on sequence within 1m a: process b: file by pid",
     "this term has a key but the sequence has none", Severity::kError},
    {"rule r on sequence within 1m a: process by pid b: file until stop by host, pid",
     "this key has 2 fields", Severity::kError},
    {"rule r on sequence within 1m a: process by pid b: file by owner", "", Severity::kError},
    {"rule r on sequence within 1m not A b: B", "cannot start with 'not'", Severity::kError},
    {"rule r on sequence a: A not B", "trailing 'not' needs 'within'", Severity::kError},
    {"rule r on sequence within 1m a: A* b: B", "first term must have a minimum of at least 1",
     Severity::kError},
    {"rule r on sequence within 1m a: A not B+", "'not' takes no quantifier", Severity::kError},
    {"rule r on sequence within 1m a: A{3,2}", "maximum is below its minimum", Severity::kError},
    {"rule r on sequence within 1m a: A b: B where x > prev(a).x", "prev(a) works only inside",
     Severity::kError},
    {"rule r on sequence within 1m a: A+ b: B where x > count(a.y)", "takes the alias alone",
     Severity::kError},
    {"rule r on sequence within 1m a: A b: B having sum(a.x) > 1", "binds a single event",
     Severity::kError},
    {"rule r on sequence within 1m a: A b: B emit { u: user }", "field 'user' has no event here",
     Severity::kError},
    {"rule r on sequence within 1m a: A b: B having x > 1", "field 'x' has no event here",
     Severity::kError},
    {"rule r on sequence within 1m a: A b: B emit { u: a }", "alias 'a' is an event",
     Severity::kError},
    {"rule r on sequence within 1m a: A+ b: B emit { u: first(a) }", "first(a) is an event",
     Severity::kError},
    {"rule r on sequence within 1m a: A a: B", "alias 'a' is already used", Severity::kError},
    {"rule r on sequence by u within 1m a: A b: B by x, y",
     "but the sequence key (the header 'by') has 1", Severity::kError},
    {"rule r on sequence within 1m a: A b: B until C where x == a.y", "'until' cannot refer",
     Severity::kError},
    {"rule r on sequence within 0s a: A", "positive duration", Severity::kError},
    {"rule r on tx where count(x) > 1", "only in sequence rules", Severity::kError},
    {"rule r on tx+", "quantifier only follows a type in a sequence", Severity::kError},
    {"rule r on tx where foo(x) == 1", "unknown function 'foo'", Severity::kError},
    {"rule r on tx where lower(a, b) == 1", "takes one argument", Severity::kError},
    {"rule r on tx where amount", "expected a condition after 'where'", Severity::kError},
    {"rule r on tx where a == 1 and 5", "expected a condition, found a value", Severity::kError},
    {"rule r on tx where (a == 1) == true", "expected a value to compare", Severity::kError},
    {"rule r on tx where a + \"x\" > 1", "arithmetic needs numbers", Severity::kError},
    {"rule r on tx where a in b", "'in' needs a list", Severity::kError},
    {"rule r on tx where a in [b, 1]", "list elements must be constants", Severity::kError},
    {"rule r on tx where a in 1..x", "a range needs two constant", Severity::kError},
    {"rule r on tx where a contains 5", "string operators need a string", Severity::kError},
    {"rule r on tx where a =~ /(/", "bad regular expression", Severity::kError},
    {"rule r on tx emit { a: x, a: y }", "written twice", Severity::kError},
    {"rule r on tx emit { a: [1] }", "a list cannot be emitted", Severity::kError},
    {"rule r on tx having a == 1 having b == 2", "more than once", Severity::kError},
    {"rule r on tx\nrule r on login", "rule 'r' is already defined at f.strix:1:6",
     Severity::kError},
    {"let a = b\nlet b = a\nrule r on tx where a", "defined in terms of itself", Severity::kError},
    {"let a = a == 1\nrule r on tx where a", "defined in terms of itself", Severity::kError},
    {"rule r on tx where c in xs and big\nlet xs = [\"a\"]\nlet big = amount > lim\nlet lim = 10",
     "", Severity::kError},
    {"rule r on tx where false", "can never fire", Severity::kWarning},
    {"rule r on tx where a in 5..1", "can never fire", Severity::kWarning},
    {"rule r on tx where a == 1 and (false or b in [])", "can never fire", Severity::kWarning},
    {"rule r on tx where amount > 5 and amount < 3",
     "rule 'r' can never fire: its tests of 'amount' contradict each other", Severity::kWarning},
    {"rule r on login where type == \"logout\"", "its tests of 'type' contradict",
     Severity::kWarning},
    {"rule r on tx where c == \"FR\" and c in [\"DE\", \"US\"]", "tests of 'c' contradict",
     Severity::kWarning},
    {"rule r on tx where a in 1..10 and a == \"x\"", "tests of 'a' contradict", Severity::kWarning},
    // Two fields contradict: the warning names the least by its text, with few fields tested
    // and with more than the short list holds (17 here).
    {"rule r on tx where zz > 2 and zz < 1 and b.c == 1 and b.c == 2 and m == 3",
     "tests of 'b.c' contradict", Severity::kWarning},
    {"rule r on tx where f1 == 1 and f2 == 1 and f3 == 1 and f4 == 1 and f5 == 1 and f6 == 1 "
     "and f7 == 1 and f8 == 1 and zz > 2 and zz < 1 and f9 == 1 and f10 == 1 and f11 == 1 and "
     "f12 == 1 and f13 == 1 and f14 == 1 and b.c == 1 and f15 == 1 and b.c == 2",
     "tests of 'b.c' contradict", Severity::kWarning},
    {"rule r on tx where f1 == 1 and f2 == 1 and f3 == 1 and f4 == 1 and f5 == 1 and f6 == 1 "
     "and f7 == 1 and f8 == 1 and f9 == 1 and f10 == 1 and f11 == 1 and f12 == 1 and f13 == 1 "
     "and f14 == 1 and f15 == 1 and f16 == 1 and f17 == 1 and f3 == 2",
     "tests of 'f3' contradict", Severity::kWarning},
    {"rule r on tx where a >= 5 and (a < 3 or a > 9) and a <= 7", "tests of 'a' contradict",
     Severity::kWarning},
    {"rule r on sequence within 1m x: A where n > 3 and n < 1 y: B", "tests of 'n' contradict",
     Severity::kWarning},
    {"rule r on http where user-agent > 3",
     "'user-agent' is read as 'user' minus 'agent'; a field named so is written `user-agent`",
     Severity::kWarning},
    {"rule r on tx where length(s) > 1", "unknown function 'length'; did you mean 'len'?",
     Severity::kError},
    {"rule r on tx where lowr(s) == \"a\"", "unknown function 'lowr'; did you mean 'lower'?",
     Severity::kError},
    // Satisfiable: no warning.
    {"rule r on tx where a > 5 and (a < 3 or c == \"FR\") and a <= 7", "", Severity::kWarning},
    {"rule r on login where type == \"login\" and n.x == 1 and n.x in 0..2", "",
     Severity::kWarning},
    {"rule r on tx where a - b > 3 and `user-agent` == \"x\"", "", Severity::kWarning},
    {"rule r on tx where c in [\"US\", \"FR\", \"DE\"] and c in [\"FR\", \"BE\"] and c == \"FR\"",
     "", Severity::kWarning},
    {"rule r on tx where c in [\"US\", \"DE\", \"US\"] and c in [\"FR\", \"BE\", \"UK\"]",
     "tests of 'c' contradict", Severity::kWarning},
    {"rule r on sequence a: A b: B", "can live for ever", Severity::kWarning},
    {"rule r on sequence within 1m a: A b: B*", "trailing term with minimum 0", Severity::kWarning},
};

}  // namespace

TEST_CASE("checker reports each compile error and warning", "[checker]") {
  for (const Row& row : kRows) {
    INFO(row.rules);
    CheckedRules r = Load(row.rules);
    std::string all = r.FormatDiagnostics();
    INFO(all);
    if (std::string(row.message).empty()) {  // no diagnostic of that severity
      CHECK(r.errors == 0);
      if (row.severity == Severity::kWarning) CHECK(r.warnings == 0);
      continue;
    }
    bool found = false;
    for (const Diagnostic& d : r.diags) {
      if (d.severity == row.severity && d.message.find(row.message) != std::string::npos) {
        found = true;
      }
    }
    CHECK(found);
    if (row.severity == Severity::kWarning) CHECK(r.errors == 0);
  }
}

TEST_CASE("lets expand in any order and across files", "[checker]") {
  CheckedRules r = LoadRules({{"a.strix", "rule r on tx where foreign and amount > big"},
                              {"b.strix",
                               "let foreign = country not in trusted\n"
                               "let trusted = [\"US\", \"CA\"]\nlet big = 10000"}});
  REQUIRE(r.ok());
  CHECK(DumpExpr(r.ast_of(0), r.rule(0).filter.where) ==
        "((country not in [\"US\", \"CA\"]) and (amount > 10000))");
}

// Expanding a let copies its tree; the copy gets children of its own (ExprStore::Kids), so the
// let's own tree, in its own file, reads as written after every use.
TEST_CASE("expanding a let leaves the let's own tree as written", "[checker]") {
  CheckedRules r = LoadRules(
      {{"a.strix",
        "rule r on tx where suspicious and amount > big\nrule s on tx where not suspicious\n"},
       {"b.strix",
        "let suspicious = (country not in trusted or ua =~ /bot/i) and note contains \"x\"\n"
        "let trusted = [\"US\", \"CA\"]\nlet big = 10000\n"
        "rule t on tx where suspicious"}});
  REQUIRE(r.ok());
  const std::string body =
      "(((country not in [\"US\", \"CA\"]) or (ua =~ /bot/i)) and (note contains \"x\"))";
  CHECK(DumpExpr(r.ast_of(0), r.rule(0).filter.where) == "(" + body + " and (amount > 10000))");
  CHECK(DumpExpr(r.ast_of(1), r.rule(1).filter.where) == "(not " + body + ")");
  CHECK(DumpExpr(r.ast_of(2), r.rule(2).filter.where) == body);
  const Ast& b = r.asts[1];
  REQUIRE(b.lets.size() == 3);
  CHECK(DumpExpr(b, b.lets[0].value) == body);
  CHECK(DumpExpr(b, b.lets[1].value) == "[\"US\", \"CA\"]");
}

TEST_CASE("a name defined in two files is an error, all errors are reported", "[checker]") {
  CheckedRules r = LoadRules({{"a.strix", "let x = 1\nrule r on tx where y"},
                              {"b.strix", "let x = 2\nrule s on tx where z"}});
  CHECK(r.errors == 3);
  std::string all = r.FormatDiagnostics();
  CHECK_THAT(all, Catch::Contains("b.strix:1:5: error: let 'x' is already defined at a.strix:1:5"));
  CHECK_THAT(all, Catch::Contains("a.strix:2:20: error: expected a condition"));
}

TEST_CASE("a bare name that is a let means the let, backticks mean the field", "[checker]") {
  CheckedRules r = Load("let big = 5\nrule r on tx where `big` > big");
  REQUIRE(r.ok());
  CHECK(DumpExpr(r.ast_of(0), r.rule(0).filter.where) == "(`big` > 5)");
}

TEST_CASE("errors inside an expanded let point at the let", "[checker]") {
  CheckedRules r =
      LoadRules({{"a.strix", "rule r on tx where bad"}, {"b.strix", "let bad = foo(x) == 1"}});
  CHECK(r.errors == 1);
  CHECK_THAT(r.FormatDiagnostics(), Catch::Contains("b.strix:1:11: error: unknown function"));
}

TEST_CASE("a let of the wrong kind is reported at its use, with a note at the let", "[checker]") {
  CheckedRules r = LoadRules({{"a.strix", "let xs = [\"a\", \"b\"]\nlet ys = xs\n"},
                              {"b.strix", "rule r on tx\n  where v > ys\n"}});
  CHECK(r.errors == 1);
  std::string all = r.FormatDiagnostics();
  CHECK_THAT(all,
             Catch::Contains("b.strix:2:13: error: expected a value to compare, found a list"));
  CHECK_THAT(all, Catch::Contains("a.strix:2:5: note: 'ys' is defined here"));
  // An error inside the let's body still points into the body.
  CheckedRules q = LoadRules({{"a.strix", "let bad = len(x, y) > 1\nrule r on tx where bad\n"}});
  CHECK_THAT(q.FormatDiagnostics(), Catch::Contains("a.strix:1:11: error: 'len' takes one"));
}

TEST_CASE("let expansion stops at a size limit with an error instead of exhausting memory",
          "[checker]") {
  std::string text = "let c0 = x == 1\n";
  for (int i = 1; i <= 24; ++i)  // each level doubles: 2^25 nodes if expanded
    text += "let c" + std::to_string(i) + " = c" + std::to_string(i - 1) + " or c" +
            std::to_string(i - 1) + "\n";
  text += "rule r on tx where c24\n";
  CheckedRules r = Load(text);
  CHECK(r.errors == 1);
  CHECK_THAT(r.FormatDiagnostics(), Catch::Contains("past the limit of 2000000"));
}

TEST_CASE("a sequence rule past the limit of aggregates of fields is an error", "[checker]") {
  // A partial match counts its aggregated inputs in 16 bits: without the limit, 65536 of them
  // wrapped to 0 and the aggregates were written past their array.
  auto rule = [](int n) {
    std::string text = "rule r on sequence within 1s\n  a: A+\n  b: B\nemit { ";
    for (int i = 0; i < n; ++i)
      text += (i ? ", x" : "x") + std::to_string(i) + ": sum(a.f" + std::to_string(i) + ")";
    return text + " }\n";
  };
  CheckedRules at = Load(rule(10000));
  CHECK(at.errors == 0);
  CheckedRules past = Load(rule(10001));
  CHECK(past.errors == 1);
  CHECK_THAT(past.FormatDiagnostics(), Catch::Contains("at most 10000 aggregates of fields") &&
                                           Catch::Contains("this one has 10001") &&
                                           Catch::Contains("f.strix:1:11"));
}

TEST_CASE("the type-field option decides which field the event type is", "[checker]") {
  LoadOptions kind;
  kind.type_field = {"kind"};
  CheckedRules r = LoadRules({{"f.strix", "rule r on login where type == \"logout\""}}, kind);
  CHECK(r.warnings == 0);
  CheckedRules q = LoadRules({{"f.strix", "rule r on login where kind == \"logout\""}}, kind);
  CHECK(q.warnings == 1);
}

TEST_CASE("a rule cut short by a stray token is dropped from the item order too", "[checker]") {
  // Found by fuzz_rules: the dropped rule's index stayed in Ast::order, read out of bounds.
  CheckedRules r = Load("rule a on tx where x = 1\nrule b on tx\nrule c on tx where y && z\n");
  CHECK(r.errors == 2);
  REQUIRE(r.rules.size() == 1);
  CHECK(r.rule(0).name == "b");
  CHECK(r.asts[0].order.size() == 1);
}

TEST_CASE("a diagnostic on a long line shows the line around the caret, not all of it",
          "[checker][diagnostics]") {
  std::string text = "rule r on tx where ";
  for (int i = 0; i < 2000; ++i) text += "a" + std::to_string(i) + " > 1 and ";
  text += "zz = 1";  // the mistake, at the end of a 20 KB line
  CheckedRules r = Load(text);
  std::string all = r.FormatDiagnostics();
  INFO(all);
  REQUIRE(r.errors == 1);
  CHECK(all.size() < 600);
  CHECK_THAT(all, Catch::Contains("  ...") && Catch::Contains("and a1999 > 1 and zz = 1\n"));
  // The caret stands under '=': the marker's three columns, then the bytes shown before it.
  const size_t shown = all.find("  ...");
  const size_t caret = all.find('^');
  const size_t eq = all.find("zz = 1") + 3;
  CHECK(caret - all.find('\n', shown) - 1 == eq - shown);
}
