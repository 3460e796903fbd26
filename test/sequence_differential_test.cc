// Randomized differential tests for sequences: random sequence rules (quantifiers, `not` in
// the middle and at the end, `within`, `until`, `having`, aggregates, prev(), all three
// policies, keys) over random streams (ties, missing and wrongly typed fields, out-of-order
// input under --max-delay, a small --max-partial-matches) must give the same complex events,
// in the same order, from the engine (1, 2 and 3 worker threads) and from the literal
// reference (sequence_reference.h). Generator and runner: test/random_rules.h.
#include <catch2/catch.hpp>

#include "engine/match_run.h"
#include "test/random_rules.h"

using namespace strix;

TEST_CASE("sequence engine equals the literal reference on random rules and streams",
          "[differential][sequence]") {
  // Fewer seeds under the sanitizers (the CI's ASan/UBSan and TSan runs), all of them in Release.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const uint64_t kSeeds = 24;
#else
  const uint64_t kSeeds = 150;
#endif
  size_t total = 0, seeds_with_output = 0, dropped = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    // Every other seed, all distinct() hashes collide: the values themselves must tell them apart.
    test::SequenceCaseResult r = test::SequenceCase(seed, seed % 2 == 1);
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    dropped += r.dropped;
    total += r.complex_events;
    seeds_with_output += r.complex_events == 0 ? 0 : 1;
  }
  // The generator must exercise the engine: most seeds produce complex events.
  INFO("complex events " << total << ", seeds with output " << seeds_with_output << ", dropped "
                         << dropped);
  CHECK(seeds_with_output >= kSeeds * 2 / 3);
  CHECK(total >= kSeeds * 6);
  CHECK(dropped > 0);
  WARN("sequence differential: " << total << " complex events over " << kSeeds << " seeds ("
                                 << seeds_with_output << " with output), " << dropped
                                 << " partial matches dropped");
}

TEST_CASE("many sequence rules at once equal the literal reference",
          "[differential][sequence][many]") {
  // 24-48 random rules per seed: the next timer comes off a heap of the rules' queue fronts,
  // and rules keyed on the same fields share the event's key (engine/sequence_matcher.h).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const uint64_t kSeeds = 3;
#else
  const uint64_t kSeeds = 16;
#endif
  size_t total = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    test::SequenceCaseResult r = test::SequenceCase(seed, false, 120, false, false, true);
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    total += r.complex_events;
  }
  CHECK(total >= kSeeds * 50);
  WARN("many-rules differential: " << total << " complex events over " << kSeeds << " seeds");
}

TEST_CASE("keyless every rules kept by an inferred key equal the literal reference",
          "[differential][sequence][inferred]") {
  // Mostly `every a0: A  a1: B where k == a0.k ...` without `by` (engine/key_inference.h): the
  // engine keeps the matches by k and, before a step that could reach the bound of 3-40 (half
  // the seeds), merges them back into one partition in its order. k is sometimes missing, null,
  // or the number 1 written as 1 and 1.0.
  // (The literal reference is slow on keyless `every` rules: one partition holds everything.)
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const uint64_t kSeeds = 12;
#else
  const uint64_t kSeeds = 200;
#endif
  size_t total = 0, dropped = 0;
  uint64_t inferred = 0, merges = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    test::SequenceCaseResult r = test::SequenceCase(seed, seed % 3 == 0, 150, false, true);
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    total += r.complex_events;
    dropped += r.dropped;
    inferred += r.inferred_steps;
    merges += r.unpartitions;
  }
  INFO("complex events " << total << ", inferred steps " << inferred << ", merges " << merges
                         << ", dropped " << dropped);
  CHECK(total >= kSeeds * 6);
  CHECK(inferred >= kSeeds * 20);  // the inferred partitions really served the streams
  CHECK(merges >= kSeeds / 10);    // and were merged back for the bound
  CHECK(dropped > 0);
  WARN("inferred-key differential: " << total << " complex events, " << inferred
                                     << " inferred steps, " << merges << " merges, " << dropped
                                     << " dropped over " << kSeeds << " seeds");
}

TEST_CASE("hot keys: partial matches kept as runs equal the literal reference",
          "[differential][sequence][runs]") {
  // Mostly `every a: A+ ...` over mostly A events on one key under a bound of 2-12: partial
  // matches become runs (engine/match_run.h), step as one and dissolve again. On even seeds runs
  // form at every step that allows it (not only at the bound), so they dissolve often too.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const uint64_t kSeeds = 30;
#else
  const uint64_t kSeeds = 200;
#endif
  size_t total = 0;
  uint64_t run_steps = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    engine::g_eager_match_runs_for_testing = seed % 2 == 0;
    test::SequenceCaseResult r = test::SequenceCase(seed, seed % 3 == 0, 300, true);
    engine::g_eager_match_runs_for_testing = false;
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    total += r.complex_events;
    run_steps += r.run_steps;
  }
  INFO("complex events " << total << ", run steps " << run_steps);
  CHECK(total >= kSeeds * 6);
  CHECK(run_steps >= kSeeds * 5);  // runs really served the streams (10-18 steps a seed now)
  WARN("hot-key differential: " << total << " complex events, " << run_steps << " run steps over "
                                << kSeeds << " seeds");
}
