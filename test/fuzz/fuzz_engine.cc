// Fuzz target: the engine against the test-only references. The input picks a seed; random
// single-event rules and events (test/random_rules.h) must match the reference matcher, and
// random sequence rules over a random stream must give the literal reference's complex events
// on 1, 2 and 3 worker threads, and so must hot-key rules and streams (SeqGen::hot: partial
// matches kept as runs, formed eagerly on every other seed). A difference aborts with both
// outputs on standard error.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/match_run.h"
#include "test/random_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t seed = 1469598103934665603ULL;  // FNV-1a of the input
  for (size_t i = 0; i < size; ++i) seed = (seed ^ data[i]) * 1099511628211ULL;
  std::string mismatch = strix::test::SingleEventCase(seed, 20, 60);
  // 100 events: the literal reference is exponential in the worst case (every, Kleene).
  if (mismatch.empty()) mismatch = strix::test::SequenceCase(seed, seed % 2 == 1, 100).mismatch;
  if (mismatch.empty()) {
    strix::engine::g_eager_match_runs_for_testing = (seed >> 8) % 2 == 0;
    mismatch = strix::test::SequenceCase(seed, false, 100, true).mismatch;
    strix::engine::g_eager_match_runs_for_testing = false;
  }
  if (!mismatch.empty()) {
    std::fprintf(stderr, "engine and reference differ:\n%s\n", mismatch.c_str());
    std::abort();
  }
  return 0;
}
