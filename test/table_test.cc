// Tables (LANGUAGE.md 7) at the engine level: the cases the random differential tests draw
// rarely. Which filter wins, how keys compare, the reorder buffer, the names `from`, `row` and
// `delete` outside table items, and the checker's errors.
#include <catch2/catch.hpp>

#include "common/json_text.h"
#include "engine/compile.h"
#include "engine/engine.h"
#include "test/feed.h"

using namespace strix;

namespace {

struct Fields : engine::ComplexEventSink {
  std::vector<std::string> got;
  const engine::Program* p = nullptr;
  void Emit(const engine::ComplexEvent& ce) override {
    std::string s = p->rules[ce.rule].name + "@" + std::to_string(ce.time);
    for (const Value& v : ce.fields) {
      s += " ";
      AppendJsonValue(s, v);
    }
    got.push_back(s);
  }
};

std::vector<std::string> Run(const std::string& rules_text, const std::vector<std::string>& lines,
                             int64_t delay = 0, unsigned threads = 1) {
  auto rules = ql::LoadRules({{"t.strix", rules_text}});
  INFO(rules.FormatDiagnostics());
  REQUIRE(rules.ok());
  auto p = engine::Compile(rules, engine::CompileOptions{});
  REQUIRE(p.ok());
  engine::Engine eng(**p, delay, 10000, threads);
  Fields f;
  f.p = p->get();
  test::FeedLines(eng, **p, lines, f);
  eng.Finish(f);
  return f.got;
}

std::string Errors(const std::string& text) {
  auto rules = ql::LoadRules({{"t.strix", text}});
  return rules.FormatDiagnostics();
}

}  // namespace

TEST_CASE("tables: an event of both filters deletes, keys compare as values", "[tables]") {
  const std::string rules = R"(
table t by id from up delete on up where gone == true
rule r on q emit { v: t[k].v }
)";
  auto got = Run(
      rules, {R"({"type":"up","id":7,"v":"a","ts":1})",
              R"({"type":"q","k":7.0,"ts":2})",  // 7.0 is the key 7
              R"({"type":"q","k":"7","ts":3})",  // the string "7" is not
              R"({"type":"up","id":7,"gone":true,"v":"b","ts":4})", R"({"type":"q","k":7,"ts":5})",
              R"({"type":"up","v":"c","ts":6})",  // no key: nothing changes
              R"({"type":"up","id":null,"v":"c","ts":7})", R"({"type":"q","k":null,"ts":8})"});
  CHECK(got == std::vector<std::string>{"r@2 \"a\"", "r@3 null", "r@5 null", "r@8 null"});
}

TEST_CASE("tables: an event does not see its own update, the next one does", "[tables]") {
  const std::string rules = R"(
table seen by user from login
rule first_login on login where seen[user] is null
rule again on login where seen[user].ts < ts emit { before: seen[user].ts }
)";
  for (unsigned threads : {1u, 3u}) {
    auto got =
        Run(rules,
            {R"({"type":"login","user":"a","ts":1})", R"({"type":"login","user":"a","ts":2})",
             R"({"type":"login","user":"b","ts":3})", R"({"type":"login","user":"a","ts":4})"},
            0, threads);
    CHECK(got ==
          std::vector<std::string>{"first_login@1", "again@2 1", "first_login@3", "again@4 2"});
  }
}

TEST_CASE("tables: with --max-delay, updates apply in event-time order", "[tables]") {
  const std::string rules = R"(
table price by sku from price_set row p
rule pay on buy emit { price: price[sku].amount }
)";
  // The update stamped 5 arrives after the purchase stamped 6: the purchase still sees it.
  auto got = Run(rules,
                 {R"({"type":"buy","sku":"x","ts":6})",
                  R"({"type":"price_set","sku":"x","p":{"amount":10},"ts":5})",
                  R"({"type":"buy","sku":"x","ts":20})"},
                 100);
  CHECK(got == std::vector<std::string>{"pay@6 10", "pay@20 10"});
}

TEST_CASE("tables: sequences read them as of the completing event", "[tables]") {
  const std::string rules = R"(
table limit by card from limit_set
rule over on sequence by card within 1m a: tx b: tx where amount > limit[card].max
  emit { max: limit[b.card].max }
)";
  auto got = Run(rules, {R"({"type":"tx","card":"c","amount":50,"ts":1})",
                         R"({"type":"limit_set","card":"c","max":40,"ts":2})",
                         R"({"type":"tx","card":"c","amount":45,"ts":3})",
                         R"({"type":"limit_set","card":"c","max":99,"ts":4})",
                         R"({"type":"tx","card":"c","amount":60,"ts":5})"});
  CHECK(got == std::vector<std::string>{"over@3 40"});
}

TEST_CASE("tables: from, row and delete stay field names outside table items", "[tables]") {
  auto got = Run("rule r on e where from == 1 and row == 2 emit { d: delete }\n",
                 {R"({"type":"e","from":1,"row":2,"delete":3,"ts":1})"});
  CHECK(got == std::vector<std::string>{"r@1 3"});
}

TEST_CASE("tables: unknown tables, clashing names and misplaced keys are errors", "[tables]") {
  CHECK_THAT(Errors("table profile by id from p\nrule r on e where profil[id].x == 1\n"),
             Catch::Contains("unknown table 'profil'; did you mean 'profile'?"));
  CHECK_THAT(Errors("table r by id from p\nrule r on e\n"),
             Catch::Contains("rule 'r' is already defined at t.strix:1:7"));
  CHECK_THAT(Errors("let t = 1\ntable t by id from p\n"),
             Catch::Contains("table 't' is already defined"));
  CHECK_THAT(Errors("table t by id from p by x\n"),
             Catch::Contains("the key of table 't' is its 'by'; 'from' takes none"));
  CHECK_THAT(Errors("table t by id from p+\n"), Catch::Contains("'from' takes no quantifier"));
  CHECK_THAT(Errors("table t by id from p delete on q by a, b\n"),
             Catch::Contains("a table's key is one path"));
}

TEST_CASE("tables: a restore replaces the rows an engine had, preloaded ones included",
          "[tables]") {
  auto rules = ql::LoadRules(
      {{"t.strix", "table t by id from up delete on gone\nrule r on q emit { v: t[k].v }\n"}});
  REQUIRE(rules.ok());
  auto p = engine::Compile(rules, engine::CompileOptions{});
  REQUIRE(p.ok());
  Fields f;
  f.p = p->get();
  // The saved engine: row 1 set, then deleted by the changelog; row 2 set.
  engine::Engine saved(**p, 0);
  test::FeedLines(saved, **p,
                  {R"({"type":"up","id":1,"v":"a","ts":1})", R"({"type":"gone","id":1,"ts":2})",
                   R"({"type":"up","id":2,"v":"b","ts":3})"},
                  f);
  engine::EngineSnapshot snap;
  saved.Save(snap);
  // A fresh engine that starts with preloaded rows 1 and 3 (a Kafka partition with --table),
  // then finds saved state: the saved rows, and only they.
  engine::Engine fresh(**p, 0);
  adapters::EventDecoder dec((*p)->fields, adapters::Clock::kEvent);
  for (const char* row : {R"({"id":1,"v":"pre1"})", R"({"id":3,"v":"pre3"})"}) {
    simdjson::padded_string padded{std::string(row)};
    Event ev;
    REQUIRE(dec.Decode(std::string_view(padded.data(), padded.size()), ev) ==
            adapters::DecodeOutcome::kEvent);
    ev.Own();
    REQUIRE(fresh.PreloadRow(0, ev));
  }
  fresh.Restore(snap, [&](const engine::EventRecord& rec, Event& ev) {
    return adapters::DecodeSaved(dec, rec, ev);
  });
  test::FeedLines(fresh, **p,
                  {R"({"type":"q","k":1,"ts":4})", R"({"type":"q","k":2,"ts":5})",
                   R"({"type":"q","k":3,"ts":6})"},
                  f, 10);
  CHECK(f.got == std::vector<std::string>{"r@4 null", "r@5 \"b\"", "r@6 null"});
}
