// New rules taking a running engine's state over without a snapshot (engine/take_over.cc):
// randomized against the snapshot path (test/random_rules.h TakeOverCase), and the refusal when
// the new program moved a field.
#include <catch2/catch.hpp>

#include "engine/compile.h"
#include "engine/engine.h"
#include "engine/match_run.h"
#include "query-lang/check.h"
#include "test/random_rules.h"

using namespace strix;

TEST_CASE("a take-over equals a snapshot and restore: kept, changed, dropped and new rules",
          "[snapshot][differential][reload]") {
  size_t kept = 0, events = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    test::RestoreCaseResult r = test::TakeOverCase(seed);
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    kept += r.restored_matches;
    events += r.complex_events;
  }
  INFO("partial matches moved " << kept << ", complex events after " << events);
  CHECK(kept > 1000);  // the take-overs moved state, not only empty engines
  CHECK(events > 1000);
}

TEST_CASE("a take-over moves partitions kept as runs whole",
          "[snapshot][differential][reload][runs]") {
  // Hot keys under a small bound (SeqGen::hot): the state handed over often holds runs
  // (engine/match_run.h); the twin saves them match by match and restores partial matches.
  size_t kept = 0;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    engine::g_eager_match_runs_for_testing = seed % 2 == 0;
    test::RestoreCaseResult r = test::TakeOverCase(seed, 300, true);
    engine::g_eager_match_runs_for_testing = false;
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    kept += r.restored_matches;
  }
  CHECK(kept > 300);
}

TEST_CASE("a take-over moves rules kept by an inferred key with the way they are kept",
          "[snapshot][differential][reload][inferred]") {
  // Keyless `every` rules joined on k (engine/key_inference.h) under a bound of 3-40 on half
  // the seeds: what is handed over may be partitions by k or, merged back for the bound, the
  // one partition of the rule as written; the twin restores a snapshot.
  size_t kept = 0;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    test::RestoreCaseResult r = test::TakeOverCase(seed, 250, false, true);
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    kept += r.restored_matches;
  }
  CHECK(kept > 300);
}

TEST_CASE("a take-over is refused when the new program moved a field (no seed)", "[reload]") {
  auto compile = [](const std::string& text, const engine::CompileOptions& o) {
    ql::CheckedRules rules = ql::LoadRules({{"t.strix", text}});
    REQUIRE(rules.ok());
    auto p = engine::Compile(rules, o);
    REQUIRE(p.ok());
    return std::move(*p);
  };
  auto p1 = compile("rule s on sequence by k a: A where x > 1 b: B", {});
  // `y` comes first in the new text: unseeded, it takes the slot `x` had.
  const std::string text2 =
      "rule n on A where y > 1\nrule s on sequence by k a: A where x > 1 b: B";
  auto p2 = compile(text2, {});
  engine::CompileOptions seeded;
  seeded.seed_fields = p1->fields;
  auto p3 = compile(text2, seeded);
  engine::Engine old(*p1, 0);
  auto no_decode = [](const engine::EventRecord&, Event&) { return false; };
  engine::Engine unseeded(*p2, 0);
  CHECK_FALSE(unseeded.TakeOver(old, no_decode).has_value());
  engine::Engine with_seed(*p3, 0);
  CHECK(with_seed.TakeOver(old, no_decode).has_value());
}
