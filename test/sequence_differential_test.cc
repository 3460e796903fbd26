// Randomized differential tests for sequences: random sequence rules (quantifiers, `not` in
// the middle and at the end, `within`, `until`, `having`, aggregates, prev(), all three
// policies, keys) over random streams (ties, missing and wrongly typed fields, out-of-order
// input under --max-delay, a small --max-partial-matches) must give the same complex events,
// in the same order, from the engine (1, 2 and 3 worker threads) and from the literal
// reference (sequence_reference.h).
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <random>

#include "adapters/event_decoder.h"
#include "engine/compile.h"
#include "engine/partial_match.h"
#include "engine/engine.h"
#include "test/feed.h"
#include "test/sequence_reference.h"

using namespace strix;

namespace {

struct SeqGen {
  std::mt19937_64 rng;
  explicit SeqGen(uint64_t seed) : rng(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  bool Chance(int pct) { return Int(1, 100) <= pct; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, int(v.size()) - 1))];
  }
  std::string N() { return std::to_string(Int(0, 9)); }
  std::string Type() { return Pick<std::string>({"A", "B", "C"}); }

  struct TermInfo {
    std::string alias;
    bool list;
  };

  // A condition for a term that may read the earlier terms `before`, and itself via prev().
  std::string Cond(const std::vector<TermInfo>& before, const TermInfo* self) {
    std::vector<std::string> c = {"x > " + N(), "x < " + N(),
                                  "y == \"" + Pick<std::string>({"p", "q"}) + "\"", "x in 2..7",
                                  "y != \"r\""};
    for (const TermInfo& t : before) {
      if (t.list) {
        c.push_back("x >= last(" + t.alias + ").x");
        c.push_back("count(" + t.alias + ") >= 2");
        c.push_back("sum(" + t.alias + ".x) > " + N());
        c.push_back("y == first(" + t.alias + ").y");
      } else {
        c.push_back("x > " + t.alias + ".x");
        c.push_back("y != " + t.alias + ".y");
      }
    }
    if (self && self->list) {
      c.push_back("x > prev(" + self->alias + ").x");
      c.push_back("x != prev(" + self->alias + ").x");
    }
    std::string out = Pick(c);
    if (Chance(25)) out += Pick<std::string>({" and ", " or "}) + Pick(c);
    return out;
  }

  std::string Having(const std::vector<TermInfo>& all) {
    std::vector<std::string> c;
    for (const TermInfo& t : all) {
      if (t.list) {
        c.push_back("count(" + t.alias + ") >= " + std::to_string(Int(1, 4)));
        c.push_back("sum(" + t.alias + ".x) > " + std::to_string(Int(0, 20)));
        c.push_back("distinct(" + t.alias + ".y) >= 2");
        c.push_back("avg(" + t.alias + ".x) < 5");
        c.push_back("max(" + t.alias + ".x) - min(" + t.alias + ".x) >= 2");
      } else {
        c.push_back(t.alias + ".x > " + N());
      }
    }
    return Pick(c);
  }

  std::string Emit(const std::vector<TermInfo>& all) {
    std::string e = " emit { ";
    int n = 0;
    for (const TermInfo& t : all) {
      if (n++) e += ", ";
      if (t.list) {
        e += "n" + t.alias + ": count(" + t.alias + "), s" + t.alias + ": sum(" + t.alias +
             ".x), l" + t.alias + ": last(" + t.alias + ").y, m" + t.alias + ": min(" + t.alias +
             ".x)";
      } else {
        e += "v" + t.alias + ": " + t.alias + ".x";
      }
    }
    return e + " }";
  }

  std::string Rule(int id) {
    std::string r = "rule s" + std::to_string(id) + " on sequence";
    if (Chance(85)) r += Chance(80) ? " by k" : " by k, y";
    bool within = Chance(75);
    if (within) r += " within " + std::to_string(Int(3, 25)) + "ms";
    int policy = Int(0, 9);
    if (policy == 0) r += " strict";
    if (policy == 1 || policy == 2) r += " every";
    int positives = Int(1, 3);
    std::vector<TermInfo> terms;
    for (int i = 0; i < positives; ++i) {
      if (i > 0 && Chance(25)) {
        r += " not " + Type();
        if (Chance(50)) r += " where " + Cond(terms, nullptr);
      }
      TermInfo t{"a" + std::to_string(i), false};
      std::string quant;
      switch (Int(0, 9)) {
        case 0:
          quant = "+";
          break;
        case 1:
          quant = "{2}";
          break;
        case 2:
          quant = "{1,3}";
          break;
        case 3:
          quant = "{2,}";
          break;
        case 4:
          quant = i > 0 && i < positives - 1 ? "*" : "+";
          break;
        case 5:
          quant = i > 0 && i < positives - 1 ? "?" : "{1,2}";
          break;
        case 6:
          quant = Chance(50) ? "{1}" : "{1,1}";  // still a list alias (LANGUAGE.md 3.2)
          break;
        default:
          break;
      }
      t.list = !quant.empty();
      r += " " + t.alias + ": " + Type() + quant;
      if (Chance(60)) r += " where " + Cond(terms, &t);
      terms.push_back(t);
    }
    if (within && Chance(25)) {
      r += " not " + Type();
      if (Chance(40)) r += " where " + Cond(terms, nullptr);
    }
    if (Chance(20)) r += " until D" + std::string(Chance(50) ? " where x > 5" : "");
    if (Chance(35)) r += " having " + Having(terms);
    if (Chance(15)) r += " suppress " + std::to_string(Int(2, 10)) + "ms";
    if (Chance(60)) r += Emit(terms);
    return r + "\n";
  }

  std::string Value() {
    switch (Int(0, 14)) {
      case 0:
        return "null";
      case 1:
        return "\"5\"";
      default:
        return N();
    }
  }

  std::string Event(int64_t ts) {
    std::string e = "{\"type\":\"" + Pick<std::string>({"A", "B", "C", "D", "A", "B"}) + "\"";
    e += ",\"ts\":" + std::to_string(ts);
    if (Int(0, 12)) e += ",\"k\":\"" + Pick<std::string>({"k1", "k2", "k3"}) + "\"";
    if (Int(0, 8)) e += ",\"x\":" + Value();
    if (Int(0, 8)) e += ",\"y\":\"" + Pick<std::string>({"p", "q", "r"}) + "\"";
    return e + "}";
  }
};

struct Collect : engine::ComplexEventSink {
  const engine::Program* p = nullptr;
  std::vector<test::RefOut> got;
  void Emit(const engine::ComplexEvent& ce) override {
    got.push_back(test::FromComplexEvent(*p, ce));
  }
};

std::string Show(const std::vector<test::RefOut>& v) {
  std::string s;
  for (const auto& o : v) {
    s += "s" + std::to_string(o.rule) + " t=" + std::to_string(o.time) + " key=" + o.key + " " +
         o.fields + " [" + o.events + "]\n";
  }
  return s;
}

}  // namespace

TEST_CASE("sequence engine equals the literal reference on random rules and streams",
          "[differential][sequence]") {
  // Fewer seeds under the sanitizers (the CI's Debug ASan/UBSan run), all of them in Release.
#if defined(__SANITIZE_ADDRESS__)
  const uint64_t kSeeds = 24;
#else
  const uint64_t kSeeds = 150;
#endif
  size_t total = 0, seeds_with_output = 0, dropped = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SeqGen g(seed * 7919);
    std::string text;
    int nrules = g.Int(1, 4);
    for (int i = 0; i < nrules; ++i) text += g.Rule(i);
    ql::CheckedRules rules = ql::LoadRules({{"random.strix", text}});
    INFO("seed " << seed << "\nrules:\n" << text << rules.FormatDiagnostics());
    REQUIRE(rules.ok());
    test::RefOptions opts;
    opts.max_delay_ms = seed % 3 == 0 ? g.Int(1, 6) : 0;
    opts.max_partial_matches = seed % 4 == 0 ? static_cast<size_t>(g.Int(1, 4)) : 10000;
    std::vector<std::string> lines;
    int64_t ts = 0;
    for (int i = 0; i < 250; ++i) {
      ts += g.Int(0, 3);
      int64_t t = ts;
      if (opts.max_delay_ms > 0) t = std::max<int64_t>(0, ts - g.Int(0, 8));  // out of order
      lines.push_back(g.Event(t));
    }
    std::vector<size_t> late_want;
    std::vector<test::RefOut> want = test::ReferenceSequences(rules, lines, opts, &late_want);

    auto prog = engine::Compile(rules, engine::CompileOptions{});
    REQUIRE(prog.ok());
    std::string events;
    for (const std::string& l : lines) events += l + "\n";
    INFO("max-delay " << opts.max_delay_ms << " max-partial " << opts.max_partial_matches
                      << "\nevents:\n"
                      << events);
    // Every other seed, all distinct() hashes collide: the values themselves must tell them apart.
    engine::g_distinct_hash_collides_for_testing = seed % 2 == 1;
    // One thread, then 2 and 3 workers in small batches: all must equal the reference.
    for (unsigned threads : {1u, 2u, 3u}) {
      INFO("threads " << threads);
      engine::Engine eng(**prog, opts.max_delay_ms, opts.max_partial_matches, threads,
                         threads == 1 ? 4096 : 7 + seed % 20);
      Collect sink;
      sink.p = prog->get();
      std::vector<size_t> late_got = test::FeedLines(eng, **prog, lines, sink);
      eng.Finish(sink);
      CHECK(late_got == late_want);
      REQUIRE(Show(sink.got) == Show(want));
      if (threads == 1) dropped += eng.stats().dropped_partial;
    }
    engine::g_distinct_hash_collides_for_testing = false;
    total += want.size();
    seeds_with_output += want.empty() ? 0 : 1;
  }
  // The generator must exercise the engine: most seeds produce complex events.
  INFO("complex events " << total << ", seeds with output " << seeds_with_output << ", dropped "
                         << dropped);
  CHECK(seeds_with_output >= kSeeds * 2 / 3);
  CHECK(total >= kSeeds * 6);
  CHECK(dropped > 0);
  WARN("sequence differential: " << total << " complex events over " << kSeeds << " seeds, "
                                 << dropped << " partial matches dropped");
}
