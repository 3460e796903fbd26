// Randomized differential tests: random single-event rules from the grammar and random events
// (missing fields, wrong types, nulls, nested objects) must give identical complex events from
// the indexed engine and from the slow reference matcher (generator: test/random_rules.h).
#include <catch2/catch.hpp>

#include "index/condition_index.h"
#include "test/random_rules.h"

using namespace strix;

TEST_CASE("indexed engine equals the reference matcher on random rules and events",
          "[differential]") {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::string mismatch = test::SingleEventCase(seed);
    INFO(mismatch);
    REQUIRE(mismatch.empty());
  }
}

TEST_CASE("counted conjunctions of many predicates equal the reference matcher",
          "[differential][index]") {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::string mismatch = test::SingleEventCase(seed, 80, 300, /*conjunctions=*/true);
    INFO(mismatch);
    REQUIRE(mismatch.empty());
  }
}

namespace {

// 60 seeds of conjunctions (odd seeds: ranges only; even seeds: mixed with other predicates)
// with the builder's test flag `forced` set, so that every conjunction it covers takes that
// structure; the flag is cleared however the loop ends.
void ForcedStructureCases(bool& forced) {
  forced = true;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    std::string mismatch = test::SingleEventCase(seed, 80, 300, true, seed % 2 == 1);
    INFO(mismatch);
    if (!mismatch.empty()) forced = false;
    REQUIRE(mismatch.empty());
  }
  forced = false;
}

}  // namespace

TEST_CASE("conjunctions of ranges matched through range bitmaps equal the reference matcher",
          "[differential][index][bitmap]") {
  // Every counted conjunction of ranges goes to a RangeBitmap (index/range_bitmap.h), however
  // few: open and closed ends, one-sided comparisons, empty and single-point ranges, values
  // missing, null or of the wrong type. On odd seeds the conjunctions are ranges only (all in
  // bitmaps), on even seeds mixed with other predicates (some counted, some anchored).
  ForcedStructureCases(index::g_range_bitmap_always_for_testing);
}

TEST_CASE("conjunctions of ranges matched through narrow ranges equal the reference matcher",
          "[differential][index][narrow]") {
  // Every counted conjunction of ranges with a finite range goes to NarrowRanges
  // (index/narrow_ranges.h), however wide: anchored on its narrowest finite range, guarded by
  // the next; one-sided comparisons (open ends) beside them, empty and single-point ranges,
  // values missing, null or of the wrong type. Odd seeds: ranges only; even seeds: mixed with
  // other predicates.
  ForcedStructureCases(index::g_narrow_ranges_always_for_testing);
}
