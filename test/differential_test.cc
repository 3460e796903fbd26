// Randomized differential tests: random single-event rules from the grammar and random events
// (missing fields, wrong types, nulls, nested objects) must give identical complex events from
// the indexed engine and from the slow reference matcher (generator: test/random_rules.h).
#include <catch2/catch.hpp>

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
