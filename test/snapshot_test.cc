// Checkpoint tests at the engine level: a random rule set over a random stream, saved at
// random points and restored into a fresh engine (1 or 3 threads on either side), must give
// the complex events of one uninterrupted run; rule identity decides what state is kept.
#include <simdjson.h>

#include <catch2/catch.hpp>

#include "adapters/event_decoder.h"
#include "engine/compile.h"
#include "engine/engine.h"
#include "engine/match_run.h"
#include "test/feed.h"
#include "test/random_rules.h"

using namespace strix;

TEST_CASE("snapshot and restore at random points equals one uninterrupted run",
          "[snapshot][differential]") {
  size_t events = 0, restored = 0, snapshots = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    test::RestoreCaseResult r =
        test::RestoreCase(seed, [](const engine::EngineSnapshot& s) { return s; });
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    events += r.complex_events;
    restored += r.restored_matches;
    snapshots += r.snapshots;
  }
  INFO("complex events " << events << ", partial matches restored " << restored);
  CHECK(events > 1000);
  CHECK(restored > 1000);  // the snapshots held state, not only empty engines
  CHECK(snapshots >= 300);
}

TEST_CASE("snapshot and restore of partitions kept as runs equals one uninterrupted run",
          "[snapshot][differential][runs]") {
  // Hot keys under a small bound: the saved partitions are often runs (engine/match_run.h),
  // saved match by match; the restored ones form runs again as they step.
  size_t events = 0, restored = 0;
  for (uint64_t seed = 1; seed <= 120; ++seed) {
    engine::g_eager_match_runs_for_testing = seed % 2 == 0;
    test::RestoreCaseResult r = test::RestoreCase(
        seed, [](const engine::EngineSnapshot& s) { return s; }, 300, true);
    engine::g_eager_match_runs_for_testing = false;
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    events += r.complex_events;
    restored += r.restored_matches;
  }
  INFO("complex events " << events << ", partial matches restored " << restored);
  CHECK(events > 1000);
  CHECK(restored > 500);
}

TEST_CASE("a snapshot captured while the run goes on equals one taken at once",
          "[snapshot][differential][capture]") {
  // Engine::BeginCapture, then more events (the run saves each partition it is about to
  // change first), then CompleteCapture: on the same thread in between, or on a thread of its
  // own at the same time (as the checkpoint writer does). Restored, the snapshot must give
  // what one uninterrupted run gives; hot keys put runs (match_run.h) in it too.
  // Fewer seeds under the sanitizers (the CI's ASan/UBSan and TSan runs).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const uint64_t kSeeds = 80;
#else
  const uint64_t kSeeds = 240;
#endif
  size_t events = 0, restored = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const bool hot = seed % 3 == 0;
    engine::g_eager_match_runs_for_testing = hot && seed % 2 == 0;
    test::RestoreCaseResult r = test::RestoreCase(
        seed, [](const engine::EngineSnapshot& s) { return s; }, 250, hot,
        seed % 2 ? test::Capture::kBeside : test::Capture::kConcurrent);
    engine::g_eager_match_runs_for_testing = false;
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    events += r.complex_events;
    restored += r.restored_matches;
  }
  INFO("complex events " << events << ", partial matches restored " << restored);
  CHECK(events > kSeeds * 100);   // the runs made output (240 seeds: ~1,100 a seed)
  CHECK(restored > kSeeds * 50);  // the snapshots held state (~500 a seed)
}

TEST_CASE("snapshot and restore of rules kept by an inferred key equals one uninterrupted run",
          "[snapshot][differential][inferred]") {
  // Keyless `every` rules joined on k (engine/key_inference.h): their partitions by k are
  // saved, restored on the worker of the rule as written (1 or 3 threads either side), and
  // merged back for the bound on half the seeds; captured at once or while the run goes on.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const uint64_t kSeeds = 20;
#else
  const uint64_t kSeeds = 150;
#endif
  size_t events = 0, restored = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const test::Capture how = seed % 3 == 0   ? test::Capture::kSave
                              : seed % 3 == 1 ? test::Capture::kBeside
                                              : test::Capture::kConcurrent;
    test::RestoreCaseResult r = test::RestoreCase(
        seed, [](const engine::EngineSnapshot& s) { return s; }, 250, false, how, true);
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
    events += r.complex_events;
    restored += r.restored_matches;
  }
  INFO("complex events " << events << ", partial matches restored " << restored);
  CHECK(events > kSeeds * 20);
  CHECK(restored > kSeeds * 10);
}

namespace {

std::unique_ptr<engine::Program> CompileText(const std::string& text) {
  ql::CheckedRules rules = ql::LoadRules({{"t.strix", text}});
  INFO(rules.FormatDiagnostics());
  REQUIRE(rules.ok());
  auto p = engine::Compile(rules, engine::CompileOptions{});
  REQUIRE(p.ok());
  return std::move(*p);
}

struct Names : engine::ComplexEventSink {
  const engine::Program* p = nullptr;
  std::vector<std::string> got;
  void Emit(const engine::ComplexEvent& ce) override { got.push_back(p->rules[ce.rule].name); }
};

std::string Ev(const char* type, int ts) {
  return std::string("{\"type\":\"") + type + "\",\"ts\":" + std::to_string(ts) + ",\"k\":1}";
}

}  // namespace

TEST_CASE("a restored rule keeps its state only while its text (lets expanded) is unchanged",
          "[snapshot]") {
  const std::string before = R"(
let big = 5
rule same on sequence by k a: A b: B where x > big
rule changed on sequence by k a: A b: B
rule removed on sequence by k a: A b: B
)";
  auto p1 = CompileText(before);
  engine::Engine e1(*p1, 0);
  Names n1;
  n1.p = p1.get();
  test::FeedLines(e1, *p1, {Ev("A", 1)}, n1);
  engine::EngineSnapshot s;
  e1.Save(s);
  REQUIRE(s.rules.size() == 3);
  REQUIRE(s.events.size() == 1);  // the A, once, though three rules hold it

  // `same` only reordered and its let renamed to the same value; `changed` has a new
  // condition; `removed` is gone; `added` is new.
  const std::string after = R"(
rule added on sequence by k a: A b: B
let limit = 5
rule changed on sequence by k a: A b: B where x > 0
rule same on sequence by k a: A b: B where x > limit
)";
  auto p2 = CompileText(after);
  engine::Engine e2(*p2, 0);
  adapters::EventDecoder dec(p2->fields, adapters::Clock::kEvent);
  engine::RestoreReport r = e2.Restore(s, [&](const engine::EventRecord& rec, Event& ev) {
    return adapters::DecodeSaved(dec, rec, ev);
  });
  CHECK(r.partial_matches == 1);
  CHECK(r.dropped_rules == 2);
  CHECK(r.dropped_partial == 2);
  Names n2;
  n2.p = p2.get();
  test::FeedLines(e2, *p2, {"{\"type\":\"B\",\"ts\":2,\"k\":1,\"x\":9}"}, n2, 1);
  e2.Finish(n2);
  CHECK(n2.got == std::vector<std::string>{"same"});
}
