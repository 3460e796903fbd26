// Tests of `test` blocks: the judge (expect, expect N, expect none, leftovers, matching that
// does not depend on the order of expects), JSON equality, and malformed test blocks as
// compile errors with line and column.
#include "runtime/rule_tests.h"

#include <catch2/catch.hpp>

#include "engine/compile.h"

using namespace strix;

namespace {

std::vector<runtime::RuleTestResult> RunTests(const std::string& text) {
  ql::CheckedRules rules = ql::LoadRules({{"t.strix", text}});
  INFO(rules.FormatDiagnostics());
  REQUIRE(rules.ok());
  auto p = engine::Compile(rules, engine::CompileOptions{});
  REQUIRE(p.ok());
  return runtime::RunRuleTests(rules, **p);
}

const char* kRules = R"(
rule big on tx where amount > 10 emit { user: user, amount: amount }
rule pair on sequence by user within 1m a: A b: B emit { u: a.user }
rule quiet on sequence by user within 10s p: P not S emit { u: p.user }
)";

}  // namespace

TEST_CASE("test blocks: passing and failing expectations", "[rule-tests]") {
  auto r = RunTests(std::string(kRules) + R"(
test "passes"
  given
    {"type":"tx","user":"u1","amount":11,"ts":0}
    {"type":"tx","user":"u2","amount":12.0,"ts":1}
    {"type":"A","user":"u1","ts":2}
    {"type":"B","user":"u1","ts":3}
    {"type":"P","user":"u3","ts":4}
  expect big { user: "u2", amount: 12 }
  expect big { amount: 11 }
  expect pair { u: "u1" }
  expect quiet { u: "u3" }

test "missing and left over"
  given
    {"type":"tx","user":"u1","amount":11,"ts":0}
    {"type":"tx","user":"u2","amount":50,"ts":1}
  expect big { user: "u9" }

test "expect none and expect N"
  given
    {"type":"tx","user":"u1","amount":11,"ts":0}
    {"type":"tx","user":"u1","amount":20,"ts":1}
  expect 2 big { user: "u1" }
  expect none pair

test "expect none fails when one came out"
  given
    {"type":"A","user":"u1","ts":0}
    {"type":"B","user":"u1","ts":1}
  expect none pair

test "rules no expect names are not checked"
  given
    {"type":"tx","user":"u1","amount":11,"ts":0}
  expect none pair
)");
  REQUIRE(r.size() == 5);
  CHECK(r[0].passed);
  CHECK(r[0].name == "passes");
  CHECK(r[0].where == "t.strix:6");
  CHECK_FALSE(r[1].passed);
  REQUIRE(r[1].problems.size() == 3);
  CHECK(r[1].problems[0] ==
        "expect big { user: \"u9\" }: no matching complex event (the closest one has user: "
        "\"u1\", not \"u9\")");
  CHECK_THAT(r[1].problems[1], Catch::StartsWith("unexpected: {\"rule\":\"big\""));
  CHECK(r[1].actual.size() == 2);
  CHECK(r[2].passed);
  CHECK_FALSE(r[3].passed);
  CHECK(r[4].passed);
}

TEST_CASE("test blocks: expectations are matched as a whole, not greedily", "[rule-tests]") {
  // The first expect fits both events; a greedy judge giving it the first event would leave
  // the second expect without one.
  auto r = RunTests(std::string(kRules) + R"(
test "order of expects does not matter"
  given
    {"type":"tx","user":"u1","amount":11,"ts":0}
    {"type":"tx","user":"u1","amount":12,"ts":1}
  expect big { user: "u1" }
  expect big { amount: 11 }
)");
  REQUIRE(r.size() == 1);
  CHECK(r[0].passed);
}

TEST_CASE("test blocks: late and rejected given events are reported", "[rule-tests]") {
  auto r = RunTests(std::string(kRules) + R"(
test "late"
  given
    {"type":"tx","user":"u1","amount":11,"ts":10}
    {"type":"tx","user":"u1","amount":11,"ts":5}
    {"type":"tx","user":"u1","amount":11,"ts":"yesterday"}
  expect big
)");
  REQUIRE(r.size() == 1);
  CHECK_FALSE(r[0].passed);
  REQUIRE(r[0].problems.size() == 2);
  CHECK_THAT(r[0].problems[0], Catch::Contains("line 9 is late"));
  CHECK_THAT(r[0].problems[1], Catch::Contains("line 10 was rejected: bad time"));
}

TEST_CASE("JSON equality compares numbers as numbers and objects without order", "[rule-tests]") {
  CHECK(runtime::JsonEqual("1", "1.0"));
  CHECK(runtime::JsonEqual(R"({"a":1,"b":[1,"x"]})", R"({"b":[1.0,"x"],"a":1})"));
  CHECK_FALSE(runtime::JsonEqual("1", "\"1\""));
  CHECK_FALSE(runtime::JsonEqual(R"({"a":1})", R"({"a":1,"b":2})"));
  CHECK_FALSE(runtime::JsonEqual("[1,2]", "[2,1]"));
  CHECK(runtime::JsonEqual("null", "null"));
  CHECK_FALSE(runtime::JsonEqual("nul", "null"));
}

TEST_CASE("malformed test blocks are compile errors with line and column", "[rule-tests]") {
  auto errors = [](const std::string& text) {
    ql::CheckedRules rules = ql::LoadRules({{"t.strix", std::string(kRules) + text}});
    return rules.FormatDiagnostics();
  };
  CHECK_THAT(errors("test \"x\"\n  given\n    {\"type\":\"tx\",}\n  expect big\n"),
             Catch::Contains("t.strix:7:5: error: this event is not valid JSON"));
  CHECK_THAT(errors("test \"x\"\n  given\n    {\"type\":\"tx\"}\n  expect nosuch\n"),
             Catch::Contains("t.strix:8:3: error: expect names unknown rule 'nosuch'"));
  CHECK_THAT(errors("test \"x\"\n  given\n    {\"type\":\"tx\"}\n  expect big { usr: \"u\" }\n"),
             Catch::Contains("t.strix:8:16: error: rule 'big' has no emit field 'usr'"));
  CHECK_THAT(errors("test \"x\"\n  given\n    {\"type\":\"tx\"}\n  expect 0 big\n"),
             Catch::Contains("error: 'expect 0 big' is written 'expect none big'"));
  CHECK_THAT(errors("test \"x\"\n  given\n    {\"type\":\"tx\"}\n  expect big\n"
                    "test \"x\"\n  given\n    {\"type\":\"tx\"}\n  expect big\n"),
             Catch::Contains("warning: test \"x\" is defined twice"));
}

TEST_CASE("test blocks: counts are compared, and a near miss shows which fields differ",
          "[rule-tests]") {
  auto r = RunTests(std::string(kRules) + R"(
test "counts"
  given
    {"type":"tx","user":"u1","amount":11,"ts":0}
    {"type":"tx","user":"fr","amount":5000,"ts":1}
  expect 2 big { user: "u1" }
  expect big { user: "FR", amount: "5000" }
)");
  REQUIRE(r.size() == 1);
  CHECK_FALSE(r[0].passed);
  REQUIRE(r[0].problems.size() == 3);
  CHECK(r[0].problems[0] ==
        "expect 2 big { user: \"u1\" }: expected 2 matching complex events, got 1");
  CHECK(r[0].problems[1] ==
        "expect big { user: \"FR\", amount: \"5000\" }: no matching complex event (the closest "
        "one has user: \"fr\", not \"FR\", amount: 5000, not \"5000\")");
  CHECK_THAT(r[0].problems[2], Catch::StartsWith("unexpected: "));
}

TEST_CASE("test blocks: huge counts and many expectations stay cheap", "[rule-tests]") {
  // A count is a capacity, not that many copies (4e9 used to exhaust memory); 5,000 distinct
  // expectations over 5,000 events are matched without recursion or a quadratic scan.
  std::string text = std::string(kRules) + "test \"many\"\n  given\n";
  for (int i = 0; i < 5000; ++i)
    text += "    {\"type\":\"tx\",\"user\":\"u" + std::to_string(i) +
            "\",\"amount\":" + std::to_string(100 + i) + ",\"ts\":" + std::to_string(i) + "}\n";
  for (int i = 4999; i >= 0; --i)
    text += "  expect big { user: \"u" + std::to_string(i) +
            "\", amount: " + std::to_string(100 + i) + " }\n";
  text +=
      "test \"huge\"\n  given\n    {\"type\":\"tx\",\"user\":\"u\",\"amount\":11,\"ts\":0}\n"
      "  expect 4000000000 big\n";
  auto r = RunTests(text);
  REQUIRE(r.size() == 2);
  CHECK(r[0].passed);
  CHECK_FALSE(r[1].passed);
  REQUIRE(r[1].problems.size() == 1);
  CHECK(r[1].problems[0] ==
        "expect 4000000000 big: expected 4000000000 matching complex events, got 1");
}
