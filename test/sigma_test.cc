// strix import sigma: each modifier and condition form on small Sigma rules of our own, each
// translated, compiled and run over events that must fire and events that must not; and the
// rules that must be skipped, with their reasons.
#include <catch2/catch.hpp>
#include <set>

#include "engine/compile.h"
#include "engine/engine.h"
#include "sigma/sigma_import.h"
#include "sigma/sigma_values.h"
#include "test/feed.h"

using namespace strix;

namespace {

struct Fired : engine::ComplexEventSink {
  std::set<int64_t> times;
  void Emit(const engine::ComplexEvent& ce) override { times.insert(ce.time); }
};

// Translates `detection` (YAML under `detection:`) on logsource category `proc`, then returns the
// `ts` of the events (JSON objects without type and ts; ts is the position from 1) that fire.
std::set<int64_t> FiringOf(const std::string& detection, const std::vector<std::string>& events,
                           std::string* text = nullptr) {
  std::string yaml =
      "title: T\nid: 1234\nlevel: high\nlogsource:\n  category: proc\ndetection:\n" + detection;
  sigma::RuleTranslation t = sigma::TranslateSigmaYaml(yaml, "r", "t.yml");
  INFO(yaml);
  REQUIRE(t.error == "");
  if (text) *text = t.text;
  INFO(t.text);
  auto rules = ql::LoadRules({{"t.strix", t.text}});
  REQUIRE(rules.FormatDiagnostics() == "");
  auto p = engine::Compile(rules, engine::CompileOptions{});
  REQUIRE(p.ok());
  engine::Engine eng(**p, 0);
  std::vector<std::string> lines;
  for (size_t i = 0; i < events.size(); ++i) {
    std::string body = events[i] == "{}" ? "" : events[i].substr(1, events[i].size() - 2) + ",";
    lines.push_back("{" + body + "\"type\":\"proc\",\"ts\":" + std::to_string(i + 1) + "}");
  }
  Fired f;
  test::FeedLines(eng, **p, lines, f);
  eng.Finish(f);
  return f.times;
}

std::string SkipReason(const std::string& yaml) {
  sigma::RuleTranslation t = sigma::TranslateSigmaYaml(yaml, "r", "t.yml");
  CHECK(t.text == "");
  return t.error;
}

using S = std::set<int64_t>;

}  // namespace

TEST_CASE("sigma: plain values are case-insensitive, with * and ? wildcards and escapes",
          "[sigma]") {
  // Sigma's escapes: a double backslash before '*' is a backslash and a wildcard; '\*' is a
  // literal star (pySigma reads them so).
  std::string det = R"(  sel:
    Image: 'C:\Windows\\*\cmd.exe'
    User: 'ADMIN?'
    Lit: 'a\*b'
  condition: sel
)";
  CHECK(
      FiringOf(det, {R"({"Image":"c:\\windows\\system32\\CMD.EXE","User":"admin1","Lit":"A*B"})",
                     R"({"Image":"c:\\windows\\cmd.exe","User":"admin1","Lit":"a*b"})",
                     R"({"Image":"c:\\windows\\x\\cmd.exe","User":"admin12","Lit":"a*b"})",
                     R"({"Image":"c:\\windows\\x\\cmd.exe","User":"admin1","Lit":"axb"})",
                     R"({"Image":"c:\\windows\\x\\cmd.exe","User":"Admin\u00e9","Lit":"a*B"})"}) ==
      S{1, 5});
}

TEST_CASE("sigma: contains, startswith, endswith, lists and all", "[sigma]") {
  std::string text;
  std::string det = R"(  sel:
    CommandLine|contains|all:
      - ' -enc '
      - 'hidden'
    Image|endswith:
      - '\powershell.exe'
      - '\pwsh.exe'
    Parent|startswith: 'C:\Users\'
  condition: sel
)";
  CHECK(
      FiringOf(
          det,
          {R"({"CommandLine":"x -ENC y -w HIDDEN","Image":"C:\\PowerShell.exe","Parent":"c:\\users\\a"})",
           R"({"CommandLine":"x -enc y","Image":"C:\\pwsh.exe","Parent":"c:\\users\\a"})",
           R"({"CommandLine":"-enc hidden -enc ","Image":"C:\\pwsh.exe","Parent":"c:\\users\\a"})",
           R"({"CommandLine":" -enc hidden","Image":"C:\\cmd.exe","Parent":"c:\\users\\a"})",
           R"({"CommandLine":" -enc hidden","Image":"\\pwsh.exe","Parent":"d:\\users\\a"})"},
          &text) == S{1, 3});
  CHECK_THAT(text, Catch::Contains("lower(CommandLine) contains all [\" -enc \", \"hidden\"]"));
  CHECK_THAT(text, Catch::Contains(
                       "lower(Image) endswith any [\"\\\\powershell.exe\", \"\\\\pwsh.exe\"]"));
}

TEST_CASE("sigma: numbers match numbers and their text, null, exists, cased", "[sigma]") {
  std::string det = R"(  sel:
    EventID: 4688
    Parent: null
    Token|exists: true
    Name|cased: 'Admin'
  condition: sel
)";
  CHECK(FiringOf(det, {R"({"EventID":4688,"Token":1,"Name":"Admin"})",
                       R"({"EventID":"4688","Parent":null,"Token":"x","Name":"Admin"})",
                       R"({"EventID":4688,"Parent":"p","Token":1,"Name":"Admin"})",
                       R"({"EventID":4688,"Name":"Admin"})",
                       R"({"EventID":4688,"Token":1,"Name":"admin"})",
                       R"({"EventID":4689,"Token":1,"Name":"Admin"})"}) == S{1, 2});
}

TEST_CASE("sigma: re with its i, m, s sub-modifiers, cidr, comparisons, fieldref", "[sigma]") {
  std::string det = R"(  sel_re:
    CommandLine|re|i: 'invoke-(mimikatz|expression)/x'
  sel_net:
    SourceIp|cidr:
      - '10.0.0.0/8'
      - 'fe80::/10'
  sel_cmp:
    Size|gte: 100
    Size|lt: 200
  sel_ref:
    User|fieldref: TargetUser
  condition: 1 of sel_*
)";
  CHECK(FiringOf(det, {R"({"CommandLine":"IEX Invoke-Mimikatz/x"})",  // re, case folded
                       R"({"CommandLine":"invoke-mimikatz"})",        // no /x
                       R"({"SourceIp":"10.9.8.7"})", R"({"SourceIp":"fe80::2"})",
                       R"({"SourceIp":"11.0.0.1"})", R"({"Size":150})", R"({"Size":200})",
                       R"({"User":"bob","TargetUser":"bob"})",
                       R"({"User":"bob","TargetUser":"Bob"})"}) == S{1, 3, 4, 6, 8});
}

TEST_CASE("sigma: windash spells each flag five ways, base64, base64offset, wide", "[sigma]") {
  std::string det = R"(  sel_dash:
    CommandLine|windash|contains: ' -nop '
  sel_b64:
    Blob|base64: 'abc'
  sel_off:
    Script|base64offset|contains: 'IEX'
  sel_wide:
    Enc|wide|base64offset|contains: 'ping'
  condition: 1 of sel_*
)";
  // base64("abc") = YWJj; base64offset of IEX: SUVY, lFWF, JRV; of "ping" in UTF-16LE:
  // cABpAG4AZwA (offset 0).
  CHECK(FiringOf(det, {R"({"CommandLine":"x /nop y"})", R"({"CommandLine":"x \u2013nop y"})",
                       R"({"CommandLine":"x -nop y"})", R"({"CommandLine":"x +nop y"})",
                       R"({"Blob":"YWJj"})", R"({"Blob":"ywjj"})", R"({"Script":"xxSUVYyy"})",
                       R"({"Script":"xxlFWFyy"})", R"({"Script":"xxJRVyy"})",
                       R"({"Enc":"AAcABpAG4AZwAA"})"}) == S{1, 2, 3, 5, 7, 8, 9, 10});
}

TEST_CASE("sigma: conditions: and, or, not, parentheses, 1 of, all of, them", "[sigma]") {
  const std::string searches = R"(  sel_a:
    A: 'x'
  sel_b:
    B: 'y'
  filter:
    C: 'z'
  _hidden:
    D: 'w'
)";
  // "D == w" is not Sigma: the condition names an identifier that does not exist.
  CHECK_THAT(SkipReason("logsource:\n  category: p\ndetection:\n" + searches +
                        "  condition: (all of sel_* and not filter) or (1 of them and D == w)\n"),
             Catch::Contains("'D'"));
  // `them` leaves out _hidden; naming it works.
  std::string ok =
      searches + "  condition: (all of sel_* and not filter) or (1 of them and _hidden)\n";
  CHECK(FiringOf(ok, {R"({"A":"x","B":"y"})", R"({"A":"x","B":"y","C":"z"})",
                      R"({"C":"z","D":"w"})", R"({"D":"w"})", R"({"A":"x"})"}) == S{1, 3});
  std::string list = R"(  sel:
    - A: 'x'
      B: 'y'
    - C: 'z'
  condition: all of them
)";
  CHECK(FiringOf(list, {R"({"A":"x"})", R"({"A":"x","B":"y"})", R"({"C":"z"})"}) == S{2, 3});
}

TEST_CASE("sigma: what cannot be translated is skipped with the reason", "[sigma]") {
  auto rule = [](const std::string& det) {
    return "title: t\nlogsource:\n  category: p\ndetection:\n" + det;
  };
  CHECK_THAT(SkipReason("a: [unclosed"), Catch::StartsWith("not YAML"));
  CHECK_THAT(SkipReason("- just\n- a list\n"), Catch::Contains("not a Sigma rule"));
  CHECK_THAT(SkipReason("title: t\n"), Catch::Contains("no 'detection'"));
  CHECK_THAT(SkipReason(rule("  sel:\n    A|frobnicate: x\n  condition: sel\n")),
             Catch::Contains("the modifier 'frobnicate' is not supported"));
  CHECK_THAT(SkipReason(rule("  keywords:\n    - evil\n  condition: keywords\n")),
             Catch::Contains("keyword search"));
  CHECK_THAT(SkipReason(rule("  sel:\n    A: x\n  condition: sel | count() > 5\n")),
             Catch::Contains("aggregations"));
  CHECK_THAT(SkipReason(rule("  sel:\n    A|re: '(?<=x)y'\n  condition: sel\n")),
             Catch::Contains("not RE2 syntax"));
  CHECK_THAT(SkipReason(rule("  sel:\n    A|cidr: '10.0.0.1/8'\n  condition: sel\n")),
             Catch::Contains("host bits"));
  CHECK_THAT(SkipReason(rule("  sel:\n    A: x\n  condition: 1 of nothing*\n")),
             Catch::Contains("no search identifier matches 'nothing*'"));
  CHECK_THAT(SkipReason("title: t\ncorrelation:\n  type: event_count\n"),
             Catch::Contains("correlation"));
  CHECK_THAT(SkipReason(rule("  sel:\n    A: x\n  condition: sel\n") + "---\ntitle: u\n"),
             Catch::Contains("2 YAML documents"));
}

TEST_CASE("sigma: names, event types and field paths", "[sigma]") {
  CHECK(sigma::StrixName("proc_creation_win-x.y") == "proc_creation_win_x_y");
  CHECK(sigma::StrixName("1st") == "sigma_1st");
  CHECK(sigma::StrixName("all") == "sigma_all");
  CHECK(sigma::StrixPath("CommandLine") == "CommandLine");
  CHECK(sigma::StrixPath("cs-uri-query") == "`cs-uri-query`");
  CHECK(sigma::StrixPath("process.executable") == "process.executable");
  CHECK(sigma::StrixPath("Source Name") == "`Source Name`");
  CHECK(sigma::StrixPath("a`b") == "");
  sigma::RuleTranslation t = sigma::TranslateSigmaYaml(
      "title: 'A \"quoted\" title'\nid: x-1\nlogsource:\n  product: windows\n  service: "
      "security\ndetection:\n  sel:\n    EventID: 1\n  condition: sel\n",
      "my_rule", "dir/my-rule.yml");
  REQUIRE(t.error == "");
  CHECK_THAT(t.text, Catch::Contains("rule my_rule on windows_security\n"));
  CHECK_THAT(t.text, Catch::Contains(
                         "emit { title: \"A \\\"quoted\\\" title\", id: \"x-1\", level: null }"));
}
