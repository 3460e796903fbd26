// Sequence tests: one or more cases per numbered rule of LANGUAGE.md 3.2 "Matching
// semantics", the time rules of section 4 (deadlines in watermark order, the end-of-input
// flush, an interrupted run), per-term keys, state freed by timers, and explain's automaton.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "adapters/event_decoder.h"
#include "common/json_text.h"
#include "engine/access_plan.h"
#include "engine/compile.h"
#include "engine/engine.h"
#include "engine/explain.h"
#include "test/feed.h"

using namespace strix;

namespace {

// Runs rules over events; each complex event becomes "rule@time key [alias=id ...] fields".
struct Seq : engine::ComplexEventSink {
  ql::CheckedRules rules;
  std::unique_ptr<engine::Program> prog;
  std::vector<std::string> out;
  engine::RunStats stats;
  size_t live_after = 0, partitions_after = 0;

  explicit Seq(const std::string& text) {
    rules = ql::LoadRules({{"t.strix", text}});
    INFO(rules.FormatDiagnostics());
    REQUIRE(rules.ok());
    auto p = engine::Compile(rules, engine::CompileOptions{});
    REQUIRE(p.ok());
    prog = std::move(*p);
  }
  void Emit(const engine::ComplexEvent& ce) override {
    const engine::CompiledRule& r = prog->rules[ce.rule];
    std::string s = r.name + "@" + std::to_string(ce.time);
    for (const Value& v : ce.key) {
      s += " ";
      AppendJsonValue(s, v);
    }
    s += " [";
    for (size_t i = 0; i < ce.events.size(); ++i) {
      if (i) s += " ";
      const engine::MatchedEvent& m = ce.events[i];
      s += (m.alias_term < 0 ? std::string("-") : r.aliases[size_t(m.alias_term)]) + "=" +
           std::string(m.id_field().text);
    }
    s += "]";
    for (size_t i = 0; i < ce.fields.size(); ++i) {
      s += " " + r.emit_names[i] + ":";
      AppendJsonValue(s, ce.fields[i]);
    }
    out.push_back(s);
  }
  std::vector<std::string> Feed(const std::vector<std::string>& lines, int64_t delay = 0,
                                size_t max_partial = 10000, bool interrupted = false) {
    out.clear();
    engine::Engine eng(*prog, delay, max_partial);
    test::FeedLines(eng, *prog, lines, *this);
    eng.Finish(*this, interrupted);
    stats = eng.stats();
    live_after = eng.matcher().sequences().live_partial_matches();
    partitions_after = eng.matcher().sequences().partitions();
    return out;
  }
};

// {"id":ID,"type":TYPE,"ts":TS,"k":"k1" EXTRA}
std::string E(const std::string& id, const std::string& type, int64_t ts,
              const std::string& extra = "") {
  return "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"ts\":" + std::to_string(ts) +
         ",\"k\":\"k1\"" + (extra.empty() ? "" : "," + extra) + "}";
}

using Out = std::vector<std::string>;

}  // namespace

TEST_CASE("rule 1-2: a start per first-term event, the default policy skips to the next match",
          "[sequence]") {
  Seq s("rule ab on sequence by k a: A b: B");
  CHECK(s.Feed({E("1", "A", 0), E("2", "A", 1), E("3", "C", 2), E("4", "B", 3), E("5", "B", 4)}) ==
        Out{"ab@3 \"k1\" [a=1 b=4]"});
}

TEST_CASE("rule 3: quantifiers take up to their maximum and hand over reluctantly", "[sequence]") {
  Seq s("rule q on sequence by k f: A{1,2} b: B");
  CHECK(s.Feed({E("1", "A", 0), E("2", "A", 1), E("3", "A", 2), E("4", "B", 3)}) ==
        Out{"q@3 \"k1\" [f=1 f=2 b=4]"});
  Seq opt("rule o on sequence by k a: A m: M* b: B");
  CHECK(opt.Feed({E("1", "A", 0), E("2", "B", 1)}) == Out{"o@1 \"k1\" [a=1 b=2]"});
  CHECK(opt.Feed({E("1", "A", 0), E("2", "M", 1), E("3", "M", 2), E("4", "B", 3)}) ==
        Out{"o@3 \"k1\" [a=1 m=2 m=3 b=4]"});
  Seq last("rule l on sequence by k a: A b: B{2,}");
  CHECK(last.Feed({E("1", "A", 0), E("2", "B", 1), E("3", "B", 2), E("4", "B", 3)}) ==
        Out{"l@2 \"k1\" [a=1 b=2 b=3]"});
  // The reluctant hand-over: an event that fits the next term leaves the quantified term.
  Seq rel("rule r on sequence by k f: A+ g: A where x > 5");
  CHECK(rel.Feed({E("1", "A", 0, "\"x\":1"), E("2", "A", 1, "\"x\":2"),
                  E("3", "A", 2, "\"x\":9")}) == Out{"r@2 \"k1\" [f=1 f=2 g=3]"});
}

TEST_CASE("rule 3: prev() compares with the term's previous event, true on the first",
          "[sequence]") {
  Seq s("rule up on sequence by k r: T{3} where x > prev(r).x emit { top: max(r.x) }");
  CHECK(s.Feed({E("1", "T", 0, "\"x\":5"), E("2", "T", 1, "\"x\":4"), E("3", "T", 2, "\"x\":6"),
                E("4", "T", 3, "\"x\":7")}) == Out{"up@3 \"k1\" [r=1 r=3 r=4] top:7"});
  // 5 -> 4 does not rise: the first match takes 5, passes 4 over (default policy), takes 6 and
  // 7. Under strict, 4 discards it and the match that 4 started wins.
  Seq t("rule up on sequence by k strict r: T{3} where x > prev(r).x emit { top: max(r.x) }");
  CHECK(t.Feed({E("1", "T", 0, "\"x\":5"), E("2", "T", 1, "\"x\":4"), E("3", "T", 2, "\"x\":6"),
                E("4", "T", 3, "\"x\":7")}) == Out{"up@3 \"k1\" [r=2 r=3 r=4] top:7"});
}

TEST_CASE("rule 4: absence guards the gap once the term before it has its minimum", "[sequence]") {
  Seq s("rule g on sequence by k f: A{2,} not X b: B");
  CHECK(s.Feed({E("1", "A", 0), E("2", "X", 1), E("3", "A", 2), E("4", "B", 3)}) ==
        Out{"g@3 \"k1\" [f=1 f=3 b=4]"});
  CHECK(s.Feed({E("1", "A", 0), E("2", "A", 1), E("3", "X", 2), E("4", "B", 3)}) == Out{});
}

TEST_CASE(
    "rule 4: a trailing not completes at first time + within, an event at the deadline "
    "is inside",
    "[sequence]") {
  Seq s("rule t on sequence by k within 10ms p: P not S");
  CHECK(s.Feed({E("1", "P", 0), E("2", "S", 10)}) == Out{});
  CHECK(s.Feed({E("1", "P", 100), E("2", "S", 111)}) == Out{"t@110 \"k1\" [p=1]"});
  // End of input: pending deadlines fire; an interrupted run does not fire them.
  CHECK(s.Feed({E("1", "P", 0)}) == Out{"t@10 \"k1\" [p=1]"});
  CHECK(s.Feed({E("1", "P", 0)}, 0, 10000, /*interrupted=*/true) == Out{});
}

TEST_CASE("rule 5: the window, expired state is freed by the watermark", "[sequence]") {
  Seq s("rule w on sequence by k within 10ms a: A b: B");
  CHECK(s.Feed({E("1", "A", 0), E("2", "B", 11), E("3", "B", 12)}) == Out{});
  CHECK(s.Feed({E("1", "A", 0), E("2", "B", 10)}) == Out{"w@10 \"k1\" [a=1 b=2]"});
  // 1000 keys open a match each, then time moves on with another key: state goes away.
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) {
    lines.push_back("{\"id\":\"" + std::to_string(i) + "\",\"type\":\"A\",\"ts\":" +
                    std::to_string(i / 100) + ",\"k\":\"u" + std::to_string(i) + "\"}");
  }
  lines.push_back(E("x", "C", 1000));
  s.Feed(lines, 0, 10000, true);
  CHECK(s.live_after == 0);
  CHECK(s.partitions_after == 0);
}

TEST_CASE("rule 6: until discards the partition's matches first, then may start one",
          "[sequence]") {
  Seq s("rule u on sequence by k a: A b: B until A where x == 9");
  CHECK(s.Feed({E("1", "A", 0, "\"x\":1"), E("2", "A", 1, "\"x\":9"), E("3", "B", 2)}) ==
        Out{"u@2 \"k1\" [a=2 b=3]"});
}

TEST_CASE("rule 7: having, a failing last term leaves the event to the quantified term",
          "[sequence]") {
  Seq s("rule h on sequence by k f: A+ g: A having count(f) >= 3");
  CHECK(s.Feed({E("1", "A", 0), E("2", "A", 1), E("3", "A", 2), E("4", "A", 3)}) ==
        Out{"h@3 \"k1\" [f=1 f=2 f=3 g=4]"});
  Seq q("rule v on sequence by k t: T+ having sum(t.x) > 10 emit { n: count(t), avg: avg(t.x) }");
  CHECK(q.Feed({E("1", "T", 0, "\"x\":4"), E("2", "T", 1, "\"x\":\"no\""),
                E("3", "T", 2, "\"x\":8")}) == Out{"v@2 \"k1\" [t=1 t=2 t=3] n:3 avg:6"});
}

TEST_CASE("rule 8: one alert per burst, the earliest start wins", "[sequence]") {
  Seq s("rule b on sequence by k f: F{2,} s: S");
  CHECK(s.Feed({E("1", "F", 0), E("2", "F", 1), E("3", "F", 2), E("4", "S", 3), E("5", "S", 4)}) ==
        Out{"b@3 \"k1\" [f=1 f=2 f=3 s=4]"});
}

TEST_CASE("rule 9: strict discards on any event of the partition it cannot take", "[sequence]") {
  Seq s("rule st on sequence by k strict a: A b: B");
  CHECK(s.Feed({E("1", "A", 0), E("2", "C", 1), E("3", "B", 2)}) == Out{});
  CHECK(s.Feed({E("1", "A", 0), "{\"id\":\"2\",\"type\":\"C\",\"ts\":1,\"k\":\"other\"}",
                E("3", "B", 2)}) == Out{"st@2 \"k1\" [a=1 b=3]"});
}

TEST_CASE("rule 10: every emits each distinct match and discards nothing", "[sequence]") {
  Seq s("rule e on sequence by k every a: A b: B+");
  CHECK(s.Feed({E("1", "A", 0), E("2", "B", 1), E("3", "B", 2)}) ==
        Out{"e@1 \"k1\" [a=1 b=2]", "e@2 \"k1\" [a=1 b=3]"});
}

TEST_CASE("section 3.4: ties on the first event are ordered by the second, then the third",
          "[sequence]") {
  Seq s("rule e on sequence by k every a: A b: B{1,2} c: C");
  CHECK(
      s.Feed({E("1", "A", 0), E("2", "B", 1), E("3", "B", 2), E("4", "C", 3)}) ==
      Out{"e@3 \"k1\" [a=1 b=2 b=3 c=4]", "e@3 \"k1\" [a=1 b=2 c=4]", "e@3 \"k1\" [a=1 b=3 c=4]"});
  // suppress keeps the first in that order
  Seq t("rule e on sequence by k every a: A b: B{1,2} c: C suppress 1m");
  CHECK(t.Feed({E("1", "A", 0), E("2", "B", 1), E("3", "B", 2), E("4", "C", 3)}) ==
        Out{"e@3 \"k1\" [a=1 b=2 b=3 c=4]"});
}

TEST_CASE("rule 11: the oldest partial matches are dropped beyond the bound, and counted",
          "[sequence]") {
  Seq s("rule e on sequence by k every a: A b: B");
  CHECK(s.Feed({E("1", "A", 0), E("2", "A", 1), E("3", "A", 2), E("4", "B", 3)}, 0, 2) ==
        Out{"e@3 \"k1\" [a=2 b=4]", "e@3 \"k1\" [a=3 b=4]"});
  CHECK(s.stats.dropped_partial == 1);
}

TEST_CASE("max-state: the oldest partial matches go first, the state stays under the limit",
          "[sequence]") {
  // One hot key under `every` with A+: every A extends every live partial match.
  Seq s("rule e on sequence by k every a: A+ b: B");
  const size_t limit = 64 << 10;
  engine::Engine eng(*s.prog, 0, 10000, 1);
  eng.set_max_state(limit);
  size_t most = 0;
  for (int i = 0; i < 400; ++i) {
    test::FeedLines(eng, *s.prog, {E(std::to_string(i), "A", i)}, s, uint64_t(i));
    most = std::max(most, eng.state_bytes());
  }
  CHECK(most <= limit);
  CHECK(eng.stats().dropped_state > 0);
  CHECK(eng.stats().dropped_partial >= eng.stats().dropped_state);
  CHECK(eng.matcher().sequences().accounted_bytes() == eng.matcher().sequences().RecountBytes());
  // What is left completes: the newest matches, none starting with an early event.
  test::FeedLines(eng, *s.prog, {E("b", "B", 500)}, s, 400);
  eng.Finish(s);
  REQUIRE(!s.out.empty());
  for (const std::string& o : s.out) {
    INFO(o);
    CHECK(o.find("[a=0 ") == std::string::npos);
    CHECK(o.find("[a=1 ") == std::string::npos);
  }
  CHECK(s.out.back().find("[a=399 b=b]") != std::string::npos);

  // Without a limit nothing is dropped for it.
  Seq t("rule e on sequence by k every a: A+ b: B");
  engine::Engine free_eng(*t.prog, 0, 10000, 1);
  for (int i = 0; i < 50; ++i)
    test::FeedLines(free_eng, *t.prog, {E(std::to_string(i), "A", i)}, t, uint64_t(i));
  CHECK(free_eng.stats().dropped_state == 0);
}

TEST_CASE("rule 10 on a hot key: the bound's survivors kept as one run, state linear in them",
          "[sequence][runs]") {
  // `every` with A+ over one key: past the bound, each A extends every live match and the
  // matches are kept as one run (engine/match_run.h): the state is a few bytes per match, not
  // a copy of each match's events, and the output is what the matches one by one give.
  Seq s("rule e on sequence by k every a: A+ b: B emit { n: count(a), f: first(a).ts }");
  engine::Engine eng(*s.prog, 0, 1000, 1);
  for (int i = 0; i < 5000; ++i)
    test::FeedLines(eng, *s.prog, {E(std::to_string(i), "A", i)}, s, uint64_t(i));
  const engine::SequenceMatcher& sm = eng.matcher().sequences();
  CHECK(sm.live_partial_matches() == 1000);
  CHECK(sm.run_steps() > 4900);
  CHECK(sm.accounted_bytes() == sm.RecountBytes());
  // One by one: 1000 matches of 500 events on average, 8 bytes each, 4 MB; as a run: the log
  // and an entry per match.
  CHECK(sm.accounted_bytes() < (200u << 10));
  test::FeedLines(eng, *s.prog, {E("b", "B", 6000)}, s, 5000);
  eng.Finish(s);
  REQUIRE(s.out.size() == 1000);
  // The live matches are the 1000 latest starts, each with every A since: A 4000..4999, B.
  CHECK(s.out.front().find("[a=4000 a=4001 ") != std::string::npos);
  CHECK(s.out.front().find("a=4999 b=b] n:1000 f:4000") != std::string::npos);
  CHECK(s.out.back() == "e@6000 \"k1\" [a=4999 b=b] n:1 f:4999");
  CHECK(eng.stats().dropped_partial > 0);
}

TEST_CASE("rule 5 on a run: the window ends its matches at the front, idle keys are freed",
          "[sequence][runs]") {
  Seq s("rule e on sequence by k within 100ms every a: A+ b: B");
  engine::Engine eng(*s.prog, 0, 50, 1);
  for (int i = 0; i < 300; ++i)
    test::FeedLines(eng, *s.prog, {E(std::to_string(i), "A", i)}, s, uint64_t(i));
  const engine::SequenceMatcher& sm = eng.matcher().sequences();
  CHECK(sm.run_steps() > 250);
  CHECK(sm.live_partial_matches() == 50);
  CHECK(sm.accounted_bytes() == sm.RecountBytes());
  test::FeedLines(eng, *s.prog, {E("b", "B", 300)}, s, 300);
  REQUIRE(s.out.size() == 50);  // the 50 latest starts, each with every A since
  CHECK(s.out.front().find("[a=250 a=251 ") != std::string::npos);
  CHECK(s.out.back() == "e@300 \"k1\" [a=299 b=b]");
  // Past every window: the timers end the run's matches and free the key.
  const std::string other = "{\"id\":\"o\",\"type\":\"A\",\"ts\":10000,\"k\":\"k2\"}";
  test::FeedLines(eng, *s.prog, {other}, s, 301);
  CHECK(sm.live_partial_matches() == 1);  // k2's new match only
  CHECK(sm.partitions() == 1);
  CHECK(sm.accounted_bytes() == sm.RecountBytes());
  s.out.clear();
  test::FeedLines(eng, *s.prog, {E("b2", "B", 10001)}, s, 302);
  CHECK(s.out.empty());
}

TEST_CASE("max-state: across partitions, the partial matches with the oldest first event go",
          "[sequence]") {
  Seq s("rule e on sequence by k a: A b: B");
  auto at = [](const std::string& id, const std::string& type, int64_t ts, const std::string& k) {
    return "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"ts\":" + std::to_string(ts) +
           ",\"k\":\"" + k + "\"}";
  };
  engine::Engine probe(*s.prog, 0, 10000, 1);
  test::FeedLines(probe, *s.prog, {at("0", "A", 0, "k0")}, s);
  const size_t one = probe.state_bytes();  // one partition, one match, one event
  // Room for about 20 keys' state: 100 keys each start a match.
  engine::Engine eng(*s.prog, 0, 10000, 1);
  eng.set_max_state(one * 20);
  std::vector<std::string> lines;
  for (int i = 0; i < 100; ++i)
    lines.push_back(at(std::to_string(i), "A", i, "k" + std::to_string(i)));
  test::FeedLines(eng, *s.prog, lines, s);
  CHECK(eng.state_bytes() <= one * 20);
  CHECK(eng.stats().dropped_state >= 80);
  // The newest key still matches; the oldest does not.
  test::FeedLines(eng, *s.prog, {at("b99", "B", 200, "k99"), at("b0", "B", 201, "k0")}, s, 100);
  eng.Finish(s);
  CHECK(s.out == Out{"e@200 \"k99\" [a=99 b=b99]"});
}

TEST_CASE("section 4: deadlines fire in watermark order, by rule, before later events",
          "[sequence]") {
  Seq s(R"(
rule one on sequence by k within 5ms p: P not S
rule two on any where x == 1
rule three on sequence by k within 5ms p: P not S
)");
  const std::string k2 = "{\"id\":\"2\",\"type\":\"P\",\"ts\":1,\"k\":\"k2\"}";
  CHECK(s.Feed({E("1", "P", 0), k2, E("3", "Z", 9, "\"x\":1")}) ==
        Out{"one@5 \"k1\" [p=1]", "three@5 \"k1\" [p=1]", "one@6 \"k2\" [p=2]",
            "three@6 \"k2\" [p=2]", "two@9 [-=3]"});
  // The same under --max-delay: arrival order differs, processing order does not.
  CHECK(s.Feed({k2, E("1", "P", 0), E("3", "Z", 9, "\"x\":1")}, 3) ==
        Out{"one@5 \"k1\" [p=1]", "three@5 \"k1\" [p=1]", "one@6 \"k2\" [p=2]",
            "three@6 \"k2\" [p=2]", "two@9 [-=3]"});
}

TEST_CASE("per-term keys and composite keys", "[sequence]") {
  Seq s("rule o on sequence by user within 1m a: Login b: Tx by account.owner emit { u: a.user }");
  CHECK(
      s.Feed(
          {"{\"id\":\"1\",\"type\":\"Login\",\"ts\":0,\"user\":\"u1\"}",
           "{\"id\":\"2\",\"type\":\"Tx\",\"ts\":1,\"user\":\"zz\",\"account\":{\"owner\":\"u2\"}}",
           "{\"id\":\"3\",\"type\":\"Tx\",\"ts\":2,\"account\":{\"owner\":\"u1\"}}"}) ==
      Out{"o@2 \"u1\" [a=1 b=3] u:\"u1\""});
}

TEST_CASE("suppress applies to sequence output, the match still completes", "[sequence]") {
  Seq s("rule p on sequence by k a: A b: B suppress 10ms");
  CHECK(s.Feed({E("1", "A", 0), E("2", "B", 1), E("3", "A", 2), E("4", "B", 3), E("5", "A", 20),
                E("6", "B", 21)}) == Out{"p@1 \"k1\" [a=1 b=2]", "p@21 \"k1\" [a=5 b=6]"});
  CHECK(s.stats.suppressed == 1);
}

TEST_CASE("explain shows the automaton of a sequence", "[sequence][explain]") {
  Seq s(
      "rule bf on sequence by user within 1m f: login_failed{3,} where ip != \"x\" not reset "
      "s: login_ok until logout having count(f) > 3");
  std::string text;
  REQUIRE(engine::Explain(s.rules, *s.prog, "", engine::ExplainFormat::kText, text));
  CHECK_THAT(text, Catch::Contains("state f"));
  CHECK_THAT(text, Catch::Contains("login_failed{3,}"));
  CHECK_THAT(text, Catch::Contains("absence"));
  CHECK_THAT(text, Catch::Contains("window 1m"));
  CHECK_THAT(text, Catch::Contains("until logout"));
  CHECK_THAT(text, Catch::Contains("having"));
  std::string dot;
  REQUIRE(engine::Explain(s.rules, *s.prog, "", engine::ExplainFormat::kDot, dot));
  CHECK_THAT(dot, Catch::Contains("->"));
}

TEST_CASE("window timers of matches that are gone do not pile up over a long window",
          "[sequence]") {
  // 3000 keys each complete `pair` (and so discard `quiet`) within a 1 h window; 40 keys only
  // log in. Without compaction every start would keep its timer (and its partition) for the
  // hour; what fires at the end must be unchanged: `quiet` for the 40 keys, nothing else.
  Seq s(R"(
rule pair on sequence by k within 1h a: A b: B
rule quiet on sequence by k within 1h a: A not B
)");
  engine::Engine eng(*s.prog, 0);
  std::vector<std::string> lines;
  int64_t t = 0;
  auto event = [&](const std::string& type, const std::string& key) {
    lines.push_back("{\"id\":\"" + std::to_string(t) + "\",\"type\":\"" + type +
                    "\",\"ts\":" + std::to_string(t) + ",\"k\":\"" + key + "\"}");
    ++t;
  };
  for (int i = 0; i < 3000; ++i) {
    event("A", "p" + std::to_string(i));
    event("B", "p" + std::to_string(i));
  }
  for (int i = 0; i < 40; ++i) event("A", "q" + std::to_string(i));
  test::FeedLines(eng, *s.prog, lines, s);
  const engine::SequenceMatcher& sm = eng.matcher().sequences();
  CHECK(sm.accounted_bytes() == sm.RecountBytes());
  CHECK(sm.live_partial_matches() == 80);         // pair and quiet of the 40 keys
  CHECK(sm.partitions() <= 2 * 80 + 2 * 64 + 2);  // not one per key that came by
  size_t pairs = s.out.size();
  CHECK(pairs == 3000);
  eng.Finish(s);
  CHECK(s.out.size() == pairs + 40);
  for (size_t i = pairs; i < s.out.size(); ++i) CHECK(s.out[i].rfind("quiet@", 0) == 0);
}

// all(SEQ, SEQ ...): docs/language.md "all(SEQ, SEQ ...)", rules 1-10.
TEST_CASE("all(): branches in any order, terms in order within a branch", "[sequence][all]") {
  Seq s("rule g on sequence by k a: A all(b: B, c: C  d: D) e: E");
  CHECK(s.Feed({E("1", "A", 0), E("2", "C", 1), E("3", "B", 2), E("4", "D", 3), E("5", "E", 4)}) ==
        Out{"g@4 \"k1\" [a=1 c=2 b=3 d=4 e=5]"});
  // D before C is passed over: within a branch the terms keep their order.
  CHECK(s.Feed({E("1", "A", 0), E("2", "D", 1), E("3", "B", 2), E("4", "C", 3), E("5", "E", 4)}) ==
        Out{});
  CHECK(s.Feed({E("1", "A", 0), E("2", "D", 1), E("3", "B", 2), E("4", "C", 3), E("5", "D", 4),
                E("6", "E", 5)}) == Out{"g@5 \"k1\" [a=1 b=3 c=4 d=5 e=6]"});
  // The step after the group waits for the whole group.
  CHECK(s.Feed({E("1", "A", 0), E("2", "B", 1), E("3", "E", 2), E("4", "C", 3), E("5", "D", 4)}) ==
        Out{});
}

TEST_CASE("all(): the first written branch takes an event two could take, every splits",
          "[sequence][all]") {
  Seq s("rule g on sequence by k all(x: A, y: A where n > 0) emit { x: x.n, y: y.n }");
  CHECK(s.Feed({E("1", "A", 0, "\"n\":1"), E("2", "A", 1, "\"n\":2")}) ==
        Out{"g@1 \"k1\" [x=1 y=2] x:1 y:2"});
  // n = 0 only fits x: the first event goes to x either way, the second (n = 0) to nobody.
  CHECK(s.Feed({E("1", "A", 0, "\"n\":5"), E("2", "A", 1, "\"n\":0")}) == Out{});
  Seq e("rule g on sequence by k every all(x: A, y: A where n > 0) emit { x: x.n, y: y.n }");
  CHECK(e.Feed({E("1", "A", 0, "\"n\":1"), E("2", "A", 1, "\"n\":2")}) ==
        Out{"g@1 \"k1\" [x=1 y=2] x:1 y:2", "g@1 \"k1\" [y=1 x=2] x:2 y:1"});
}

TEST_CASE("all(): a group with its minimum keeps collecting and hands over reluctantly",
          "[sequence][all]") {
  Seq s("rule g on sequence by k a: A all(f: F{2,}, s: S) d: D emit { n: count(f) }");
  CHECK(s.Feed({E("1", "A", 0), E("2", "F", 1), E("3", "F", 2), E("4", "S", 3), E("5", "F", 4),
                E("6", "D", 5)}) == Out{"g@5 \"k1\" [a=1 f=2 f=3 s=4 f=5 d=6] n:3"});
  // As the last step, the group completes as soon as it has its minimum.
  Seq last("rule g on sequence by k all(f: F{2,}, s: S) emit { n: count(f) }");
  CHECK(last.Feed({E("1", "F", 0), E("2", "S", 1), E("3", "F", 2), E("4", "F", 3)}) ==
        Out{"g@2 \"k1\" [f=1 s=2 f=3] n:2"});
}

TEST_CASE("all(): having at completion, a single term does not take what having refuses",
          "[sequence][all]") {
  Seq s("rule g on sequence by k all(a: A, b: B) having b.x > 5");
  CHECK(s.Feed({E("1", "A", 0), E("2", "B", 1, "\"x\":1"), E("3", "B", 2, "\"x\":9")}) ==
        Out{"g@2 \"k1\" [a=1 b=3]"});
  // A quantified term takes it and keeps collecting, having checked again on each.
  Seq q("rule g on sequence by k all(a: A, b: B+) having sum(b.x) > 5 emit { s: sum(b.x) }");
  CHECK(q.Feed({E("1", "A", 0), E("2", "B", 1, "\"x\":2"), E("3", "B", 2, "\"x\":1"),
                E("4", "B", 3, "\"x\":4")}) == Out{"g@3 \"k1\" [a=1 b=2 b=3 b=4] s:7"});
  // A single term is refused while having is false; the branch waits for another of its events.
  CHECK(q.Feed({E("1", "B", 0, "\"x\":2"), E("2", "A", 1), E("3", "B", 2, "\"x\":4"),
                E("4", "A", 3)}) == Out{"g@3 \"k1\" [b=1 b=3 a=4] s:6"});
}

TEST_CASE("all(): absence after the group waits from its minimum, trailing not at the deadline",
          "[sequence][all]") {
  Seq s("rule g on sequence by k all(a: A, b: B) not X c: C");
  CHECK(s.Feed({E("1", "A", 0), E("2", "X", 1), E("3", "B", 2), E("4", "C", 3)}) ==
        Out{"g@3 \"k1\" [a=1 b=3 c=4]"});
  CHECK(s.Feed({E("1", "A", 0), E("2", "B", 1), E("3", "X", 2), E("4", "C", 3)}) == Out{});
  Seq before("rule g on sequence by k a: A not X all(b: B, c: C)");
  CHECK(before.Feed({E("1", "A", 0), E("2", "X", 1), E("3", "B", 2), E("4", "C", 3)}) == Out{});
  CHECK(before.Feed({E("1", "A", 0), E("2", "B", 1), E("3", "X", 2), E("4", "C", 3)}) ==
        Out{"g@3 \"k1\" [a=1 b=2 c=4]"});
  Seq t("rule g on sequence by k within 10ms all(a: A, b: B{2,}) not X emit { n: count(b) }");
  CHECK(t.Feed({E("1", "B", 0), E("2", "A", 1), E("3", "B", 2), E("4", "B", 3), E("5", "Y", 20)}) ==
        Out{"g@10 \"k1\" [b=1 a=2 b=3 b=4] n:3"});
  CHECK(t.Feed({E("1", "B", 0), E("2", "A", 1), E("3", "X", 2), E("4", "B", 3), E("5", "Y", 20)}) ==
        Out{"g@10 \"k1\" [b=1 a=2 b=4] n:2"});  // X came before the group had its minimum
  CHECK(t.Feed({E("1", "B", 0), E("2", "A", 1), E("3", "B", 2), E("4", "X", 3), E("5", "Y", 20)}) ==
        Out{});
  CHECK(t.Feed({E("1", "B", 0), E("2", "A", 1), E("5", "Y", 20)}) == Out{});  // no minimum
}

TEST_CASE("all(): the group's alias is a list of its events in arrival order", "[sequence][all]") {
  Seq s(
      "rule g on sequence by k a: A g: all(b: B+, c: C) d: D where x > max(g.x) having "
      "count(g) >= 3 emit { n: count(g), f: first(g).x, l: last(g).x, s: sum(g.x) }");
  CHECK(s.Feed({E("1", "A", 0), E("2", "C", 1, "\"x\":5"), E("3", "B", 2, "\"x\":1"),
                E("4", "D", 3, "\"x\":4"), E("5", "B", 4, "\"x\":2"), E("6", "D", 5, "\"x\":9")}) ==
        Out{"g@5 \"k1\" [a=1 c=2 b=3 b=5 d=6] n:3 f:5 l:2 s:8"});
}

TEST_CASE("all(): strict discards on an event no branch takes, keys per partition",
          "[sequence][all]") {
  Seq s("rule g on sequence by k strict all(a: A, b: B)");
  CHECK(s.Feed({E("1", "A", 0), E("2", "C", 1), E("3", "B", 2)}) == Out{});
  CHECK(s.Feed({E("1", "B", 0), E("2", "A", 1)}) == Out{"g@1 \"k1\" [b=1 a=2]"});
  Seq k("rule g on sequence by k all(a: A, b: B)");
  CHECK(k.Feed({"{\"id\":\"1\",\"type\":\"A\",\"ts\":0,\"k\":\"u\"}",
                "{\"id\":\"2\",\"type\":\"B\",\"ts\":1,\"k\":\"v\"}",
                "{\"id\":\"3\",\"type\":\"B\",\"ts\":2,\"k\":\"u\"}"}) ==
        Out{"g@2 \"u\" [a=1 b=3]"});
  // A later term of a branch with its own key.
  Seq own("rule g on sequence by k a: A all(b: B, c: C  d: D by owner)");
  CHECK(own.Feed({E("1", "A", 0), E("2", "C", 1), E("3", "B", 2),
                  "{\"id\":\"4\",\"type\":\"D\",\"ts\":3,\"owner\":\"k2\"}",
                  "{\"id\":\"5\",\"type\":\"D\",\"ts\":4,\"owner\":\"k1\"}"}) ==
        Out{"g@4 \"k1\" [a=1 c=2 b=3 d=5]"});
}

TEST_CASE("all(): explain shows the group as one state with its branches, the index its starts",
          "[sequence][all][explain]") {
  Seq s("rule g on sequence by k within 1m all(b: B where x > 1, c: C  d: D{2,}) not X e: E");
  std::string text;
  REQUIRE(engine::Explain(s.rules, *s.prog, "", engine::ExplainFormat::kText, text));
  CHECK_THAT(text, Catch::Contains("start --[B where (x > 1) | C]--> all(b, c d)"));
  CHECK_THAT(text, Catch::Contains("branch 2: c: C -> d: D{2,}"));
  CHECK_THAT(text, Catch::Contains("absence: not X discards the match once all(b, c d) has its "
                                   "minimum"));
  CHECK_THAT(text, Catch::Contains("type       C"));  // a leading group enters by each branch
  CHECK_THAT(text, Catch::Contains("hand-over: E --> e (when all(b, c d) has its minimum)"));
  std::string dot;
  REQUIRE(engine::Explain(s.rules, *s.prog, "", engine::ExplainFormat::kDot, dot));
  CHECK_THAT(dot, Catch::Contains("\"rule0_all(b, c d)\" [shape=circle, label=\"all(b, c d)\"]"));
  CHECK_THAT(dot, Catch::Contains("\"rule0_all(b, c d)\" -> \"rule0_e\" [label=\"E\"]"));
}

TEST_CASE("threads: workers only for rules with a keyed sequence", "[sequence][threads]") {
  auto workers = [](const std::string& text, unsigned threads) {
    Seq s(text);
    return engine::UsefulWorkers(*s.prog, threads);
  };
  // Nothing to share out by key: one worker, whatever was asked.
  CHECK(workers("rule r on A where x > 1", 4) == 1);
  CHECK(workers("rule r on sequence within 1s a: A b: B", 2) == 1);
  CHECK(workers("rule r on sequence within 1s every a: A b: B where id == a.id", 2) == 1);
  // A `by` key anywhere in the program: as many as asked.
  CHECK(workers("rule r on sequence by id within 1s a: A b: B", 2) == 2);
  CHECK(workers("rule s on A\nrule r on sequence by id within 1s a: A b: B", 3) == 3);
  CHECK(workers("rule r on sequence by id within 1s a: A b: B", 1) == 1);
  CHECK(workers("rule r on sequence by id within 1s a: A b: B", 0) == 1);
}

TEST_CASE("threads: a change of way moves the state, and waits for a checkpoint capture",
          "[sequence][threads]") {
  const std::string rule = "rule ab on sequence by k within 10s every a: A b: B";
  Seq s(rule + " suppress 1s");
  const std::vector<std::string> lines = {E("1", "A", 0), E("2", "A", 1),    E("3", "B", 2),
                                          E("4", "B", 3), E("5", "A", 1500), E("6", "B", 1501)};
  const Out want = s.Feed(lines);  // one thread
  // The window opened at time 2 suppresses the matches with b=4 (after the first move back).
  REQUIRE(want == Out{"ab@2 \"k1\" [a=1 b=3]", "ab@1501 \"k1\" [a=1 b=6]"});
  REQUIRE(Seq(rule).Feed(lines).size() > want.size() + 1);
  s.out.clear();
  engine::Engine eng(*s.prog, 0, 10000, /*threads=*/2, /*batch=*/2);
  REQUIRE(eng.parallel());
  test::FeedLines(eng, *s.prog, {lines[0], lines[1]}, s);
  // To one thread: the batch is emitted first, then its partial matches move.
  REQUIRE(eng.SetParallel(false, s));
  CHECK(!eng.parallel());
  CHECK(eng.live_partial_matches() == 2);
  CHECK(eng.matcher().sequences().live_partial_matches() == 2);
  test::FeedLines(eng, *s.prog, {lines[2]}, s, 2);
  CHECK(s.out == Out{"ab@2 \"k1\" [a=1 b=3]"});
  // While a capture walks the state (its second half on another thread), the way stays.
  engine::EngineSnapshot snap;
  eng.BeginCapture(snap);
  CHECK(!eng.SetParallel(true, s));
  CHECK(!eng.parallel());
  std::thread writer([&]() { eng.CompleteCapture(snap); });
  writer.join();
  // Back to the workers: the partial matches and the suppression window go with it.
  REQUIRE(eng.SetParallel(true, s));
  CHECK(eng.parallel());
  CHECK(eng.matcher().sequences().live_partial_matches() == 0);
  test::FeedLines(eng, *s.prog, {lines[3], lines[4], lines[5]}, s, 3);
  eng.Finish(s);
  CHECK(s.out == want);
}

TEST_CASE("inferred keys: which keyless every rules are kept by a key", "[sequence][inferred]") {
  auto path = [](const std::string& text) {
    Seq s(text);
    const std::vector<uint32_t>& key = s.prog->automata[0].inferred_key;
    return key.empty() ? std::string() : engine::DescribeField(s.prog->fields[key[0]]);
  };
  // Every later term requires the field equal to an earlier single event's: kept by it.
  CHECK(path("rule r on sequence within 1s every a: A b: B where id == a.id") == "id");
  CHECK(path("rule r on sequence every a: A b: B where x > 1 and a.u.v == u.v "
             "c: C+ where u.v == b.u.v and x < 3") == "u.v");
  CHECK(path("rule r on sequence every a: A where x > 1 b: B? where id == a.id "
             "c: C where id == a.id") == "id");
  // Not: the default policy or strict (a completion discards the others), a header or term
  // `by`, until, not, all(...), a later term without the equality, another field, a
  // disjunction, a list alias, a first term that binds a list.
  CHECK(path("rule r on sequence within 1s a: A b: B where id == a.id") == "");
  CHECK(path("rule r on sequence strict a: A b: B where id == a.id") == "");
  CHECK(path("rule r on sequence by k every a: A b: B where id == a.id") == "");
  CHECK(path("rule r on sequence every a: A by k b: B where id == a.id") == "");
  CHECK(path("rule r on sequence within 1s every a: A b: B where id == a.id until C") == "");
  CHECK(path("rule r on sequence within 1s every a: A not C b: B where id == a.id") == "");
  CHECK(path("rule r on sequence every a: A b: B where id == a.id c: C") == "");
  CHECK(path("rule r on sequence every a: A b: B where id == a.user") == "");
  CHECK(path("rule r on sequence every a: A b: B where id == a.id or x > 1") == "");
  CHECK(path("rule r on sequence every a: A b: B+ where id == a.id c: C where id == "
             "first(b).id") == "");
  CHECK(path("rule r on sequence every a: A{1} b: B where id == first(a).id") == "");
  // explain says it.
  Seq q("rule r on sequence within 1s every a: A b: B where id == a.id");
  std::string text;
  REQUIRE(engine::Explain(q.rules, *q.prog, "r", engine::ExplainFormat::kText, text));
  CHECK(text.find("partition: none (the whole stream)") != std::string::npos);
  CHECK(text.find("matches kept by id") != std::string::npos);
}

TEST_CASE("inferred keys: output, suppression and the bound as the rule is written",
          "[sequence][inferred]") {
  auto ev = [](const std::string& id, const std::string& type, int64_t ts, const std::string& u) {
    return "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"ts\":" + std::to_string(ts) +
           ",\"u\":" + u + "}";
  };
  const std::vector<std::string> lines = {
      ev("a1", "A", 1, "1"),    ev("a2", "A", 2, "2"),    ev("a3", "A", 3, "1.0"),
      ev("a4", "A", 4, "null"), ev("b1", "B", 5, "1"),    ev("b2", "B", 6, "\"1\""),
      ev("b3", "B", 7, "2"),    ev("b4", "B", 8, "null"), ev("a5", "A", 9, "[1]"),
      ev("b5", "B", 10, "[1]"), ev("b6", "B", 2000, "2")};
  Seq s("rule r on sequence within 1s every a: A b: B where u == a.u");
  REQUIRE(s.prog->automata[0].inferred_key.size() == 1);
  // Key null (as written); 1 and 1.0 are equal, "1", null and arrays equal nothing.
  CHECK(s.Feed(lines) == Out{"r@5 [a=a1 b=b1]", "r@5 [a=a3 b=b1]", "r@7 [a=a2 b=b3]"});
  CHECK(s.partitions_after == 0);  // the window timers freed every partition
  // Suppression stays over the whole rule, not per value of u.
  Seq sup("rule r on sequence within 1s every a: A b: B where u == a.u suppress 10ms");
  CHECK(sup.Feed(lines) == Out{"r@5 [a=a1 b=b1]"});
  CHECK(sup.stats.suppressed == 2);
  // The bound counts the rule's matches as one partition: with 3, the fourth start (a4, whose
  // u is null and can never complete) drops the oldest, a1, as written.
  CHECK(s.Feed(lines, 0, 3) == Out{"r@5 [a=a3 b=b1]", "r@7 [a=a2 b=b3]"});
  CHECK(s.stats.dropped_partial > 0);
}

TEST_CASE("bound events: inline, grown, copied, moved and assigned, each event held once per copy",
          "[sequence]") {
  // BoundEvents keeps two events inline and then an array of its own; every copy holds each of
  // its events once (the reference counts), every destruction and assignment lets go of them.
  std::vector<engine::StoredEvent*> evs;
  for (int i = 0; i < 10; ++i) {  // the last is only ever held by `other` below
    Event e;
    e.seq = static_cast<uint64_t>(i);
    evs.push_back(engine::StoredEvent::Make(e));
    engine::Retain(evs.back());  // the test's own reference
  }
  auto refs = [&](size_t i) { return evs[i]->refs.load(); };
  for (size_t n : {0, 1, 2, 3, 5, 9}) {
    INFO(n);
    engine::BoundEvents b;
    for (size_t i = 0; i < n; ++i) b.Push(static_cast<uint32_t>(i / 2), evs[i]);
    CHECK(b.size() == n);
    CHECK(b.heap_bytes() == (n > 2 ? std::bit_ceil(n) * sizeof(uint64_t) : 0));
    for (size_t i = 0; i < n; ++i) {
      CHECK(b.stored(i) == evs[i]);
      CHECK(b.term(i) == i / 2);
      CHECK(refs(i) == 2);
    }
    if (n) CHECK(b.Begin(static_cast<uint32_t>((n - 1) / 2)) == (n - 1) / 2 * 2);
    {
      engine::BoundEvents copy(b);
      for (size_t i = 0; i < n; ++i) CHECK(refs(i) == 3);
      engine::BoundEvents moved(std::move(copy));
      CHECK(copy.empty());
      for (size_t i = 0; i < n; ++i) CHECK(moved.stored(i) == evs[i]);
      for (size_t i = 0; i < n; ++i) CHECK(refs(i) == 3);
      engine::BoundEvents other;
      other.Push(7, evs[9]);
      CHECK(refs(9) == 2);
      other = moved;  // lets go of evs[9], holds b's events once more
      CHECK(refs(9) == 1);
      for (size_t i = 0; i < n; ++i) CHECK(refs(i) == 4);
      other = std::move(moved);
      for (size_t i = 0; i < n; ++i) CHECK(refs(i) == 3);
      CHECK(other.size() == n);
      other.Push(9, evs[0]);  // grows past what was moved in
      CHECK(other.stored(n) == evs[0]);
      CHECK(other.term(n) == 9);
    }
    for (size_t i = 0; i < n; ++i) CHECK(refs(i) == 2);
  }
  for (size_t i = 0; i < evs.size(); ++i) CHECK(refs(i) == 1);
  for (engine::StoredEvent* e : evs) engine::Release(e);
}

TEST_CASE("distinct sets: inline then grown, kept sorted, copied, moved and assigned",
          "[sequence]") {
  // Against a sorted std::vector: entries inserted where lower_bound puts them, across the
  // two inline entries and the doublings after them.
  std::mt19937 rng(7);
  for (int n : {0, 1, 2, 3, 4, 5, 9, 17}) {
    INFO(n);
    engine::DistinctSet set;
    std::vector<engine::DistinctEntry> want;
    for (int i = 0; i < n; ++i) {
      engine::DistinctEntry e{static_cast<uint32_t>(rng() % 8), static_cast<uint32_t>(i)};
      set.Insert(std::lower_bound(set.begin(), set.end(), e), e);
      want.insert(std::lower_bound(want.begin(), want.end(), e), e);
    }
    auto same = [&](const engine::DistinctSet& s) {
      if (s.size() != want.size()) return false;
      for (size_t i = 0; i < want.size(); ++i) {
        if (s.begin()[i].first != want[i].first || s.begin()[i].second != want[i].second)
          return false;
      }
      return true;
    };
    CHECK(same(set));
    CHECK(set.heap_bytes() == (n > 2 ? std::bit_ceil(static_cast<size_t>(n)) * 8 : 0));
    CHECK(set.used_bytes() == set.heap_bytes());
    engine::DistinctSet copy(set);
    CHECK(same(copy));
    engine::DistinctSet moved(std::move(copy));
    CHECK(same(moved));
    CHECK(copy.size() == 0);
    engine::DistinctSet other;
    other.Push({99, 99});
    other = moved;
    CHECK(same(other));
    other = std::move(moved);
    CHECK(same(other));
    other.Push({100, 100});  // grows past what was moved in
    CHECK(other.size() == want.size() + 1);
    CHECK(other.end()[-1].first == 100);
    CHECK(same(set));  // the original is untouched by all of it
  }
}

TEST_CASE("aggregates: one block, sets only with distinct, copies deep", "[sequence]") {
  engine::Aggregates none;
  CHECK(!none);
  CHECK(none.size() == 0);
  CHECK(!none.has_distinct());
  CHECK(none.heap_bytes() == 0);
  for (bool distinct : {false, true}) {
    INFO(distinct);
    engine::Aggregates a;
    a.Make(3, distinct);
    REQUIRE(a);
    CHECK(a.size() == 3);
    CHECK(a.has_distinct() == distinct);
    const size_t block = 8 + 3 * sizeof(engine::AggState) + (distinct ? 3 * 24 : 0);
    CHECK(a.heap_bytes() == block);
    a.state(1).Add(Value::Number(5));
    if (distinct) {
      for (uint32_t v = 0; v < 3; ++v) a.set(2).Push({v, v});  // past the two inline
      CHECK(a.heap_bytes() == block + 4 * 8);
      CHECK(a.used_bytes() == a.heap_bytes());
    }
    engine::Aggregates copy(a);
    copy.state(1).Add(Value::Number(7));
    if (distinct) copy.set(2).Push({9, 9});
    CHECK(a.state(1).sum == 5);  // the copy is its own
    CHECK(copy.state(1).sum == 12);
    CHECK(copy.state(0).numbers == 0);
    if (distinct) {
      CHECK(a.set(2).size() == 3);
      CHECK(copy.set(2).size() == 4);
    }
    engine::Aggregates moved(std::move(copy));
    CHECK(!copy);
    CHECK(moved.state(1).sum == 12);
    moved = a;  // copy assignment lets its own block go (ASan: no leak)
    CHECK(moved.state(1).sum == 5);
    a.Make(1, false);  // made again: fresh
    CHECK(a.size() == 1);
    CHECK(a.state(0).numbers == 0);
  }
}

TEST_CASE("stored events: the values held, missing ones not stored, bytes of their own",
          "[sequence]") {
  // 70 slots: some below 64 (bitmap), some above (searched), most missing.
  Event e;
  std::string raw = R"({"type":"A","id":7})";
  std::string texts = "Aabcxyz";
  e.raw = raw;
  e.time = 1234;
  e.source = 3;
  e.line = 42;
  e.seq = 99;
  e.slots.resize(70);
  e.slots[kTypeSlot] = Value::String(std::string_view(texts).substr(0, 1));
  e.slots[kTimeSlot] = Value::Number(1234);
  e.slots[kIdSlot] = Value::Number(7);
  e.slots[5] = Value::String(std::string_view(texts).substr(1, 3));  // "abc"
  e.slots[63] = Value::Bool(true);
  e.slots[64] = Value::Null();
  e.slots[69] = Value::String(std::string_view(texts).substr(4, 3));  // "xyz"
  Value array;
  array.kind = ValueKind::kArray;
  array.number = 2;
  array.text = "[1,2]";
  e.slots[66] = array;
  engine::EventMeter meter{0};
  engine::StoredEvent* s = engine::StoredEvent::Make(e, &meter);
  engine::Retain(s);
  CHECK(meter.load() == static_cast<int64_t>(s->bytes()));
  // Header, 8 values, 3 slot numbers above 63, the raw line and the texts ("A", "abc", "xyz",
  // "[1,2]"): missing slots cost nothing.
  CHECK(s->bytes() == sizeof(engine::StoredEvent) + 8 * sizeof(Value) + 3 * sizeof(uint32_t) +
                          raw.size() + 1 + 3 + 3 + 5);
  raw.assign(raw.size(), '#');  // the copy views bytes of its own
  texts.assign(texts.size(), '#');
  auto inside = [&](std::string_view t) {
    auto* begin = reinterpret_cast<const char*>(s);
    return t.data() >= begin && t.data() + t.size() <= begin + s->bytes();
  };
  CHECK(inside(s->head.raw));
  CHECK(inside(s->slot(66).text));  // (the array's text was a literal)
  CHECK(s->head.raw == R"({"type":"A","id":7})");
  CHECK(s->head.time == 1234);
  CHECK(s->head.source == 3);
  CHECK(s->head.line == 42);
  CHECK(s->head.seq == 99);
  for (uint32_t i = 0; i < 80; ++i) {
    INFO(i);
    const Value& v = s->slot(i);
    switch (i) {
      case kTypeSlot:
        CHECK((v.is_string() && v.text == "A"));
        break;
      case kTimeSlot:
        CHECK((v.is_number() && v.number == 1234));
        break;
      case kIdSlot:
        CHECK((v.is_number() && v.number == 7));
        CHECK(&s->id_field() == &v);
        break;
      case 5:
        CHECK((v.is_string() && v.text == "abc"));
        break;
      case 63:
        CHECK((v.kind == ValueKind::kBool && v.boolean));
        break;
      case 64:
        CHECK(v.kind == ValueKind::kNull);
        break;
      case 66:
        CHECK((v.kind == ValueKind::kArray && v.number == 2 && v.text == "[1,2]"));
        break;
      case 69:
        CHECK((v.is_string() && v.text == "xyz"));
        break;
      default:  // missing, also past the event's slots
        CHECK(v.missing());
    }
  }
  engine::Release(s);
  CHECK(meter.load() == 0);
}

TEST_CASE("stored events: only the slots asked for are kept", "[sequence][stored]") {
  std::string raw = R"({"a":1})";
  Event e;
  e.raw = raw;
  e.slots.resize(70);
  e.slots[kTypeSlot] = Value::String("A");
  e.slots[kIdSlot] = Value::Number(7);
  e.slots[5] = Value::String("abc");
  e.slots[6] = Value::Number(6);
  e.slots[65] = Value::String("high");
  e.slots[69] = Value::Number(69);
  // Slot 4 (missing in the event) and 80 (past its slots) are asked for too.
  const std::vector<uint32_t> keep = {kIdSlot, 4, 5, 69, 80};
  engine::StoredEvent* s = engine::StoredEvent::Make(e, nullptr, &keep);
  engine::Retain(s);
  CHECK(s->bytes() ==
        sizeof(engine::StoredEvent) + 3 * sizeof(Value) + sizeof(uint32_t) + raw.size() + 3);
  CHECK(s->head.raw == raw);
  for (uint32_t i = 0; i < 90; ++i) {
    INFO(i);
    const Value& v = s->slot(i);
    if (i == kIdSlot) {
      CHECK((v.is_number() && v.number == 7));
    } else if (i == 5) {
      CHECK((v.is_string() && v.text == "abc"));
    } else if (i == 69) {
      CHECK((v.is_number() && v.number == 69));
    } else {
      CHECK(v.missing());  // not asked for (type, 6, 65), or not in the event
    }
  }
  engine::Release(s);
}

TEST_CASE("stored events keep what sequences read back: keys, fields, prev, aggregates",
          "[sequence][stored]") {
  // Each of u (key), v (alias field), w (prev), z (distinct), s (sum) is read back from bound
  // events in one way only; country is tested on arrival only and is not kept.
  Seq s(R"(rule r on sequence by u within 1m
  a: A where country != "US"
  b: B+ where w > prev(b).w
  c: C where v == a.v
  having distinct(b.z) >= 2 and sum(b.s) > 3)");
  const engine::Program& p = *s.prog;
  std::vector<std::string> kept;
  for (uint32_t slot : p.stored_slots) kept.push_back(engine::DescribeField(p.fields[slot]));
  std::sort(kept.begin(), kept.end());
  CHECK(kept == std::vector<std::string>{"id", "s", "u", "v", "w", "z"});
  auto ev = [](const std::string& id, const std::string& type, int ts, const std::string& rest) {
    return "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"ts\":" + std::to_string(ts) +
           ",\"u\":\"u1\"," + rest + "}";
  };
  CHECK(
      s.Feed({ev("1", "A", 0, R"("country":"FR","v":5)"), ev("2", "B", 1, R"("w":1,"z":"p","s":2)"),
              ev("3", "B", 2, R"("w":2,"z":"q","s":2)"), ev("4", "C", 3, R"("v":5)")}) ==
      Out{"r@3 \"u1\" [a=1 b=2 b=3 c=4]"});
}
