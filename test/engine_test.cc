// Engine tests: compile + match of single-event rules end to end (keys, suppression, missing
// values, lower() served as a field, the reorder buffer), access predicate choice, explain.
#include "engine/engine.h"

#include <simdjson.h>

#include <catch2/catch.hpp>

#include "adapters/event_decoder.h"
#include "common/json_text.h"
#include "engine/compile.h"
#include "engine/explain.h"
#include "engine/suppression.h"
#include "test/feed.h"

using namespace strix;

namespace {

struct Run : engine::ComplexEventSink {
  std::vector<std::string> out;
  std::unique_ptr<engine::Program> prog;
  ql::CheckedRules rules;
  void Emit(const engine::ComplexEvent& ce) override {
    std::string s = prog->rules[ce.rule].name + "@" + std::to_string(ce.time);
    for (const Value& v : ce.key) {
      s += " k=";
      AppendJsonValue(s, v);
    }
    for (const Value& v : ce.fields) {
      s += " ";
      AppendJsonValue(s, v);
    }
    out.push_back(s);
  }
  explicit Run(const std::string& text, bool seq = false) {
    rules = ql::LoadRules({{"t.strix", text}});
    REQUIRE(rules.ok());
    engine::CompileOptions o;
    auto p = engine::Compile(rules, o);
    REQUIRE(p.ok());
    prog = std::move(*p);
  }
  std::vector<std::string> Feed(const std::vector<std::string>& lines, int64_t delay = 0,
                                int* late = nullptr) {
    out.clear();
    engine::Engine eng(*prog, delay);
    size_t n_late = test::FeedLines(eng, *prog, lines, *this).size();
    if (late) *late += static_cast<int>(n_late);
    eng.Finish(*this);
    return out;
  }
};

}  // namespace

TEST_CASE("single-event rules: keys, emit, rule order", "[engine]") {
  Run r(R"(
rule a on tx by user where amount > 10 emit { u: user, twice: amount * 2, half: amount / 0 }
rule b on any where exists user
)");
  auto got =
      r.Feed({R"({"type":"tx","user":"u1","amount":11,"ts":5})",
              R"({"type":"tx","amount":50,"ts":6})", R"({"type":"login","user":null,"ts":7})"});
  CHECK(got == std::vector<std::string>{"a@5 k=\"u1\" \"u1\" 22 null", "b@5", "b@7"});
}

TEST_CASE("suppress drops repeats per rule and key within the window", "[engine]") {
  Run r("rule s on tx by card suppress 10s");
  auto got =
      r.Feed({R"({"type":"tx","card":"c1","ts":0})", R"({"type":"tx","card":"c1","ts":5000})",
              R"({"type":"tx","card":"c2","ts":6000})", R"({"type":"tx","card":"c1","ts":10000})",
              R"({"type":"tx","card":"c1","ts":12000})"});
  CHECK(got == std::vector<std::string>{"s@0 k=\"c1\"", "s@6000 k=\"c2\"", "s@10000 k=\"c1\""});
}

TEST_CASE("lower() is served like a field, missing values are false, not turns them true",
          "[engine]") {
  Run r(R"(
rule ua on http where lower(agent) contains "curl"
rule neq on http where agent != "x"
rule notx on http where not (agent == "x")
)");
  auto got = r.Feed({R"({"type":"http","agent":"CURL/8","ts":1})", R"({"type":"http","ts":2})"});
  CHECK(got == std::vector<std::string>{"ua@1", "neq@1", "notx@1", "notx@2"});
}

TEST_CASE("reorder buffer releases in time order and rejects late events", "[engine]") {
  Run r("rule seen on any");
  int late = 0;
  auto got = r.Feed(
      {R"({"type":"a","ts":10000})", R"({"type":"a","ts":6000})", R"({"type":"a","ts":20000})",
       R"({"type":"a","ts":14000})", R"({"type":"a","ts":15000})"},
      5000, &late);
  CHECK(late == 1);
  CHECK(got == std::vector<std::string>{"seen@6000", "seen@10000", "seen@15000", "seen@20000"});
}

TEST_CASE("access predicates anchor conjunctions and split disjunctions", "[engine]") {
  Run r(R"(
rule a on tx where amount > 5 and country == "FR"
rule b on tx where country == "FR" or merchant =~ /bet/
rule c on tx where country != "FR"
rule d on tx where amount > 5 or country != "FR"
rule e on tx where false and x == 1
)");
  const engine::Program& p = *r.prog;
  auto kinds = [&](size_t i) {
    auto atoms = engine::AccessPredicates(p, p.rules[i].condition);
    if (!atoms) return std::string("always");
    std::string s;
    for (const auto& a : *atoms) s += std::to_string(static_cast<int>(a.kind));
    return s;
  };
  CHECK(kinds(0) == "0");   // equality beats the range
  CHECK(kinds(1) == "02");  // equality or regex
  CHECK(kinds(2) == "always");
  CHECK(kinds(3) == "always");
  CHECK(kinds(4) == "");  // never
  std::string text;
  REQUIRE(engine::Explain(r.rules, p, "b", engine::ExplainFormat::kText, text));
  CHECK_THAT(text, Catch::Contains("equality   country == \"FR\""));
  CHECK_THAT(text, Catch::Contains("regex set  merchant =~ /bet/"));
  CHECK_THAT(text, Catch::Contains("residual: ((country == \"FR\") or (merchant =~ /bet/))"));
  // The conjunct an exact entry decides is not tested again; a regex runs after its prefilter.
  engine::CompileOptions keep;
  keep.keep_index_choices = true;
  auto kept = engine::Compile(r.rules, keep);
  REQUIRE(kept.ok());
  REQUIRE(engine::Explain(r.rules, **kept, "a", engine::ExplainFormat::kText, text));
  CHECK_THAT(text, Catch::Contains("equality   country == \"FR\""));
  CHECK_THAT(text, Catch::Contains("residual: (amount > 5)\n"));
  CHECK((*kept)->checks[0].residual != engine::kNoNode);
  REQUIRE(engine::Explain(r.rules, **kept, "b", engine::ExplainFormat::kText, text));
  CHECK_THAT(text, Catch::Contains("residual: ((country == \"FR\") or (merchant =~ /bet/))"));
  Run exact(R"(
rule f on tx where user in ["u1", "u2"] or amount in 1..5
rule g on tx where url contains "/p1/" and (country == "FR" and amount > 10)
)");
  auto kept2 = engine::Compile(exact.rules, keep);
  REQUIRE(kept2.ok());
  CHECK((*kept2)->checks[0].residual == engine::kNoNode);  // the entries decide it all
  REQUIRE(engine::Explain(exact.rules, **kept2, "f", engine::ExplainFormat::kText, text));
  CHECK_THAT(text, Catch::Contains("residual: true"));
  REQUIRE(engine::Explain(exact.rules, **kept2, "g", engine::ExplainFormat::kText, text));
  CHECK_THAT(text, Catch::Contains("residual: ((url contains \"/p1/\") and (amount > 10))"));
  std::string dot;
  REQUIRE(engine::Explain(r.rules, p, "", engine::ExplainFormat::kDot, dot));
  CHECK_THAT(dot, Catch::StartsWith("digraph strix {"));
}

TEST_CASE("a conjunction is anchored on the equality fewer rules share", "[engine]") {
  ql::CheckedRules rules = ql::LoadRules({{"t.strix", R"(
rule a on tx where country == "FR" and device == "d1"
rule b on tx where country == "FR" and device == "d2"
rule c on tx where country == "FR" and device == "d3"
)"}});
  REQUIRE(rules.ok());
  engine::CompileOptions o;
  o.keep_index_choices = true;
  auto p = engine::Compile(rules, o);
  REQUIRE(p.ok());
  std::string text;
  REQUIRE(engine::Explain(rules, **p, "a", engine::ExplainFormat::kText, text));
  CHECK_THAT(text, Catch::Contains("equality   device == \"d1\""));
  CHECK_THAT(text, !Catch::Contains("equality   country"));
}

TEST_CASE("a regex ending in an escaped backslash matches a backslash", "[engine][regex]") {
  Run r(R"(
rule temp on proc where path =~ /\\temp\\/i
rule slash on proc where path =~ /a\/b/
)");
  auto got = r.Feed({R"({"type":"proc","path":"C:\\Temp\\x.exe","ts":1})",
                     R"({"type":"proc","path":"/tmp/temp/x","ts":2})",
                     R"({"type":"proc","path":"x/a/b","ts":3})"});
  CHECK(got == std::vector<std::string>{"temp@1", "slash@3"});
}

TEST_CASE("suppression compares whole keys: no two keys share a window", "[engine]") {
  // Composite keys whose texts concatenate alike, and keys that differ only in a line break.
  Run r("rule s on tx by a, b suppress 10s");
  auto got = r.Feed({R"({"type":"tx","a":1,"b":23,"ts":0})", R"({"type":"tx","a":12,"b":3,"ts":1})",
                     R"({"type":"tx","a":"x\n","b":"y","ts":2})",
                     R"({"type":"tx","a":"x","b":"\ny","ts":3})",
                     R"({"type":"tx","a":1.0,"b":23,"ts":4})"});
  CHECK(got == std::vector<std::string>{"s@0 k=1 k=23", "s@1 k=12 k=3", "s@2 k=\"x\\n\" k=\"y\"",
                                        "s@3 k=\"x\" k=\"\\ny\""});
  std::string k1, k2;
  engine::SuppressionKey({Value::String("a"), Value::String("bc")}, k1);
  engine::SuppressionKey({Value::String("ab"), Value::String("c")}, k2);
  CHECK(k1 != k2);
}

TEST_CASE("max-future keeps one far-future event from making every later event late", "[engine]") {
  Run r("rule seen on any");
  engine::Engine eng(*r.prog, 0);
  eng.set_max_future(86400000);
  adapters::EventDecoder dec(r.prog->fields, adapters::Clock::kEvent);
  auto push = [&](const std::string& line) {
    simdjson::padded_string ps(line);
    Event ev;
    REQUIRE(dec.Decode(std::string_view(ps.data(), ps.size()), ev) ==
            adapters::DecodeOutcome::kEvent);
    return eng.Push(std::move(ev), r);
  };
  CHECK(push(R"({"type":"a","ts":1000})") == engine::Admit::kAccepted);
  CHECK(push(R"({"type":"a","ts":"9999-12-31T00:00:00Z"})") == engine::Admit::kFuture);
  CHECK(push(R"({"type":"a","ts":2000})") == engine::Admit::kAccepted);
  // Ahead of the newest event but not of the wall clock: a replay of an old stream is fine.
  CHECK(push(R"({"type":"a","ts":"2020-01-01T00:00:00Z"})") == engine::Admit::kAccepted);
  eng.Finish(r);
  CHECK(r.out.size() == 3);
  CHECK(eng.stats().future == 1);
}

TEST_CASE("[L2] string sets: any, all, lower(), one index entry per literal", "[engine][l2]") {
  Run r(R"(
rule any_of on p where lower(cmd) contains any ["mimikatz", "sekurlsa::"]
rule all_of on p where cmd contains all ["-enc", "hidden"]
rule starts on p where cmd startswith any ["C:\\Temp\\", "D:"]
rule ends on p where cmd endswith any [".ps1", ".vbs"]
)");
  auto got = r.Feed({R"({"type":"p","cmd":"run MimiKatz","ts":1})",
                     R"({"type":"p","cmd":"-enc x -w hidden","ts":2})",
                     R"({"type":"p","cmd":"-enc only","ts":3})",
                     R"({"type":"p","cmd":"C:\\Temp\\a.ps1","ts":4})",
                     R"({"type":"p","cmd":"c:\\temp\\a.PS1","ts":5})", R"({"type":"p","ts":6})",
                     R"({"type":"p","cmd":7,"ts":7})"});
  CHECK(got == std::vector<std::string>{"any_of@1", "all_of@2", "starts@4", "ends@4"});
  std::string plan;
  REQUIRE(engine::Explain(r.rules, *r.prog, "", engine::ExplainFormat::kText, plan));
  CHECK_THAT(plan, Catch::Contains("literal    lower(cmd) contains \"mimikatz\""));
  CHECK_THAT(plan, Catch::Contains("literal    lower(cmd) contains \"sekurlsa::\""));
  CHECK_THAT(plan, Catch::Contains("literal    cmd endswith \".vbs\""));
}

TEST_CASE("[L2] like: * and ? (one character), anchored, no escape", "[engine][l2]") {
  Run r(R"(
rule cmd on p where image like "C:\\*\\cmd?.exe"
rule any_run on p where name like "a*b*c"
rule one on p where name like "?"
rule exact on p where name like "abc"
rule pre on p where name like "ab*"
)");
  auto got = r.Feed({
      R"({"type":"p","image":"C:\\Windows\\System32\\cmd1.exe","ts":1})",  // cmd
      R"({"type":"p","image":"C:\\cmd1.exe","ts":2})",                     // no: one '\' only
      R"({"type":"p","image":"C:\\x\\cmd.exe","ts":3})",                   // no: ? needs one
      R"({"type":"p","name":"abc","ts":4})",                               // any_run exact pre
      R"({"type":"p","name":"aXbYbZc","ts":5})",                           // any_run
      R"({"type":"p","name":"é","ts":6})",                                 // one (2 bytes)
      R"({"type":"p","name":"abcd","ts":7})",                              // pre
      R"({"type":"p","name":"xabc","ts":8})",                              // none
  });
  CHECK(got == std::vector<std::string>{"cmd@1", "any_run@4", "exact@4", "pre@4", "any_run@5",
                                        "one@6", "pre@7"});
  std::string plan;
  REQUIRE(engine::Explain(r.rules, *r.prog, "", engine::ExplainFormat::kText, plan));
  CHECK_THAT(plan, Catch::Contains("equality   name == \"abc\""));
  CHECK_THAT(plan, Catch::Contains("literal    name startswith \"ab\""));
  CHECK_THAT(plan, Catch::Contains("literal    image endswith \".exe\""));
}

TEST_CASE("[L2] in cidr: IPv4 and IPv6, nested networks, families apart, bad addresses",
          "[engine][l2]") {
  Run r(R"(
rule inside on c where ip in cidr ["10.0.0.0/8", "10.1.0.0/16", "fe80::/10", "192.168.1.7"]
rule outside on c where ip not in cidr ["10.0.0.0/8"]
rule all6 on c where ip in cidr ["::/0"]
)");
  auto got = r.Feed({
      R"({"type":"c","ip":"10.1.2.3","ts":1})",         // inside (twice nested: once)
      R"({"type":"c","ip":"fe80::1%eth0","ts":2})",     // inside, outside, all6 (no zone)
      R"({"type":"c","ip":"::ffff:10.0.0.1","ts":3})",  // IPv6: all6, outside
      R"({"type":"c","ip":"192.168.1.7","ts":4})",      // inside, outside
      R"({"type":"c","ip":"192.168.1.8","ts":5})",      // outside
      R"({"type":"c","ip":"10.1.2","ts":6})",           // not an address: nothing
      R"({"type":"c","ip":null,"ts":7})",               // nothing
      R"({"type":"c","ts":8})",                         // nothing
  });
  CHECK(got == std::vector<std::string>{"inside@1", "inside@2", "outside@2", "all6@2", "outside@3",
                                        "all6@3", "inside@4", "outside@4", "outside@5"});
  std::string plan;
  REQUIRE(engine::Explain(r.rules, *r.prog, "", engine::ExplainFormat::kText, plan));
  CHECK_THAT(plan, Catch::Contains("network    ip in cidr 10.0.0.0/8"));
  CHECK_THAT(plan, Catch::Contains("network    ip in cidr 192.168.1.7/32"));
  CHECK_THAT(plan, Catch::Contains("network    ip in cidr ::/0"));
}

TEST_CASE("[L2] is null: missing or JSON null, is not null: any other value", "[engine][l2]") {
  Run r(R"(
rule unset on e where user is null
rule set on e where user is not null
rule deep on e where lower(a.b) is not null
)");
  auto got = r.Feed({R"({"type":"e","ts":1})", R"({"type":"e","user":null,"ts":2})",
                     R"({"type":"e","user":"","a":{"b":"X"},"ts":3})",
                     R"({"type":"e","user":false,"a":{"b":null},"ts":4})",
                     R"({"type":"e","user":{},"a":{"b":5},"ts":5})"});
  CHECK(got == std::vector<std::string>{"unset@1", "unset@2", "set@3", "deep@3", "set@4", "set@5"});
  std::string plan;
  REQUIRE(engine::Explain(r.rules, *r.prog, "", engine::ExplainFormat::kText, plan));
  CHECK_THAT(plan, Catch::Contains("present    user is not null"));
}

TEST_CASE("[L2] networks and sets are checked where they are written", "[checker][l2]") {
  auto rules = ql::LoadRules({{"t.strix",
                               "rule r on c where ip in cidr [\"10.0.0.1/8\"]\n"
                               "rule q on c where ip in cidr [\"fe80::/129\", 5]\n"
                               "rule s on c where s contains any []\n"
                               "rule g on c where s like x\n"}});
  REQUIRE(!rules.ok());
  std::vector<std::string> got;
  for (const auto& d : rules.diags) {
    ql::LineCol lc = ql::LocateOffset(rules.files[d.file].text, d.offset);
    got.push_back(std::to_string(lc.line) + ":" + std::to_string(lc.column) + " " + d.message);
  }
  REQUIRE(got.size() == 5);
  CHECK_THAT(got[0], Catch::StartsWith("1:31 bad network: '10.0.0.1/8' has host bits set"));
  CHECK_THAT(got[1], Catch::StartsWith("2:31 bad network: the prefix length of 'fe80::/129'"));
  CHECK_THAT(got[2], Catch::StartsWith("2:45 'in cidr' needs a list of networks"));
  CHECK_THAT(got[3], Catch::StartsWith("3:34 a string set needs at least one string"));
  CHECK_THAT(got[4], Catch::StartsWith("4:26 'like' needs a glob in a string"));
}

TEST_CASE("conjunctions of string literals are counted from a startswith or endswith anchor",
          "[engine]") {
  // Sigma's usual shape: an image suffix and command-line keywords. Counting finds the rule
  // from the literal matcher's hits on both fields; an anchor would test the keywords one by
  // one on every event with that suffix. Beside a range the suffix still anchors.
  Run r(R"(
rule sigma on proc where lower(Image) endswith "\\x.exe" and CommandLine contains any ["-a", "-b"]
rule ranged on proc where lower(Image) endswith "\\x.exe" and pid > 100
)");
  engine::CompileOptions keep;
  keep.keep_index_choices = true;  // explain shows the residual the compiler chose
  auto chosen = engine::Compile(r.rules, keep);
  REQUIRE(chosen.ok());
  std::string text;
  REQUIRE(engine::Explain(r.rules, **chosen, "sigma", engine::ExplainFormat::kText, text));
  CHECK_THAT(text, Catch::Contains("counted    2 predicates"));
  CHECK_THAT(text, Catch::Contains("residual: true"));
  text.clear();
  REQUIRE(engine::Explain(r.rules, **chosen, "ranged", engine::ExplainFormat::kText, text));
  CHECK_THAT(text, Catch::Contains("literal    lower(Image) endswith \"\\\\x.exe\""));
  CHECK_THAT(text, Catch::Contains("residual: (pid > 100)"));
  auto got = r.Feed({R"({"type":"proc","Image":"C:\\X.EXE","CommandLine":"run -b","pid":5})",
                     R"({"type":"proc","Image":"C:\\X.EXE","CommandLine":"run -c","pid":500})",
                     R"({"type":"proc","Image":"C:\\y.exe","CommandLine":"run -a","pid":500})"});
  CHECK(got == std::vector<std::string>{"sigma@0", "ranged@0"});
}
