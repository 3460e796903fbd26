// PartitionEngines (one engine per Kafka partition): lateness judged per partition, time passed
// on to idle partitions so their deadlines fire, not to busy ones, state kept apart, a dropped
// partition's statistics kept, and Engine::AdvanceTo on its own.
#include "runtime/partition_engines.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <thread>

#include "adapters/event_decoder.h"
#include "engine/compile.h"

using namespace strix;

namespace {

struct Sink : engine::ComplexEventSink {
  const engine::Program* prog = nullptr;
  std::vector<std::string> out;
  void Emit(const engine::ComplexEvent& ce) override {
    out.push_back(prog->rules[ce.rule].name + "@" + std::to_string(ce.time));
  }
};

struct Fixture {
  ql::CheckedRules rules;
  std::unique_ptr<engine::Program> prog;
  Sink sink;
  uint64_t seq = 0;
  explicit Fixture(const std::string& text) {
    rules = ql::LoadRules({{"t.strix", text}});
    REQUIRE(rules.ok());
    auto p = engine::Compile(rules, engine::CompileOptions{});
    REQUIRE(p.ok());
    prog = std::move(*p);
    sink.prog = prog.get();
  }
  Event Decode(const std::string& line) {
    adapters::EventDecoder dec(prog->fields, adapters::Clock::kEvent);
    simdjson::padded_string padded(line);
    Event ev;
    REQUIRE(dec.Decode(std::string_view(padded.data(), padded.size()), ev) ==
            adapters::DecodeOutcome::kEvent);
    ev.Own();
    ev.seq = seq++;
    return ev;
  }
  engine::Admit Push(runtime::PartitionEngines& parts, uint32_t partition,
                     const std::string& line) {
    return parts.Push(Decode(line), partition, sink);
  }
};

const char* kRules = R"(
rule quiet on sequence by user within 20ms a: login not pay emit { u: a.user }
rule pair on sequence by user within 100ms a: login b: pay emit { u: a.user }
)";

}  // namespace

TEST_CASE("partition engines: an event is late only against its own partition", "[kafka]") {
  Fixture f(kRules);
  runtime::PartitionSettings s;
  s.idle_timeout_ms = 3600 * 1000;
  runtime::PartitionEngines parts(*f.prog, s);
  CHECK(f.Push(parts, 1, R"({"type":"pay","user":"x","ts":1000})") == engine::Admit::kAccepted);
  // Partition 2 is far behind partition 1: not late, and its sequence completes.
  CHECK(f.Push(parts, 2, R"({"type":"login","user":"u","ts":10})") == engine::Admit::kAccepted);
  CHECK(f.Push(parts, 2, R"({"type":"pay","user":"u","ts":12})") == engine::Admit::kAccepted);
  CHECK(f.sink.out == std::vector<std::string>{"pair@12"});
  // Behind its own watermark it is late.
  CHECK(f.Push(parts, 2, R"({"type":"pay","user":"u","ts":5})") == engine::Admit::kLate);
  CHECK(parts.stats().late == 1);
  CHECK(parts.stats().events_in == 3);
}

TEST_CASE("partition engines: a quiet partition's deadlines fire as the others advance",
          "[kafka]") {
  Fixture f(kRules);
  runtime::PartitionSettings s;
  s.idle_timeout_ms = 0;  // quiet at once
  runtime::PartitionEngines parts(*f.prog, s);
  f.Push(parts, 2, R"({"type":"login","user":"u","ts":0})");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.Push(parts, 1, R"({"type":"pay","user":"x","ts":500})");
  CHECK(f.sink.out.empty());
  parts.Tick(f.sink);  // partition 2 is idle: the run's watermark is partition 1's
  CHECK(f.sink.out == std::vector<std::string>{"quiet@20"});
  // Its later events are still judged by its own watermark (0): not late.
  CHECK(f.Push(parts, 2, R"({"type":"pay","user":"u","ts":30})") == engine::Admit::kAccepted);
}

TEST_CASE("partition engines: a busy partition holds time back", "[kafka]") {
  Fixture f(kRules);
  runtime::PartitionSettings s;
  s.idle_timeout_ms = 3600 * 1000;
  runtime::PartitionEngines parts(*f.prog, s);
  f.Push(parts, 2, R"({"type":"login","user":"u","ts":0})");
  f.Push(parts, 1, R"({"type":"pay","user":"x","ts":500})");
  parts.Tick(f.sink);
  CHECK(f.sink.out.empty());  // partition 2 is not idle: its time (0) holds the run's back
  f.Push(parts, 2, R"({"type":"pay","user":"v","ts":25})");  // its own time passes 20
  CHECK(f.sink.out == std::vector<std::string>{"quiet@20"});
}

TEST_CASE("partition engines: a partition assigned but silent holds time back until idle",
          "[kafka]") {
  Fixture f(kRules);
  runtime::PartitionSettings s;
  s.idle_timeout_ms = 3600 * 1000;
  runtime::PartitionEngines parts(*f.prog, s);
  parts.Get(3);  // assigned, nothing yet
  f.Push(parts, 2, R"({"type":"login","user":"u","ts":0})");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.Push(parts, 1, R"({"type":"pay","user":"x","ts":500})");
  parts.Tick(f.sink);
  CHECK(f.sink.out.empty());
}

TEST_CASE("partition engines: state is per partition, and a dropped one keeps its counts",
          "[kafka]") {
  Fixture f(kRules);
  runtime::PartitionEngines parts(*f.prog, runtime::PartitionSettings{});
  f.Push(parts, 1, R"({"type":"login","user":"u","ts":0})");
  f.Push(parts, 2, R"({"type":"pay","user":"u","ts":1})");  // same key, other partition
  CHECK(f.sink.out.empty());                                // never combined
  CHECK(parts.live_partial_matches() == 2);                 // pair and quiet, in partition 1
  parts.Drop(1);
  CHECK(parts.live_partial_matches() == 0);
  CHECK(!parts.Has(1));
  CHECK(parts.stats().events_in == 2);
}

TEST_CASE("engine: AdvanceTo fires deadlines and releases held events, not late", "[kafka]") {
  Fixture f(kRules);
  engine::Engine eng(*f.prog, /*max_delay_ms=*/100);
  eng.Push(f.Decode(R"({"type":"login","user":"u","ts":0})"), f.sink);
  CHECK(f.sink.out.empty());  // held (delay)
  CHECK(eng.AdvanceTo(50, f.sink));
  CHECK(f.sink.out == std::vector<std::string>{"quiet@20"});
  CHECK(!eng.AdvanceTo(40, f.sink));  // not ahead
  // Its own watermark is still -100 (0 - delay): an event at 10 is not late.
  CHECK(eng.Push(f.Decode(R"({"type":"pay","user":"w","ts":10})"), f.sink) ==
        engine::Admit::kAccepted);
}

TEST_CASE("partition engines: a reload keeps the state of unchanged rules only", "[kafka]") {
  Fixture f(kRules);
  runtime::PartitionEngines parts(*f.prog, runtime::PartitionSettings{});
  f.Push(parts, 1, R"({"type":"login","user":"u","ts":0})");
  f.Push(parts, 2, R"({"type":"login","user":"v","ts":0})");
  CHECK(parts.live_partial_matches() == 4);
  // `pair` unchanged, `quiet` changed (its window), `late` new.
  Fixture g(R"(
rule quiet on sequence by user within 30ms a: login not pay emit { u: a.user }
rule pair on sequence by user within 100ms a: login b: pay emit { u: a.user }
rule late on sequence by user within 100ms a: login b: pay b2: pay emit { u: a.user }
)");
  adapters::EventDecoder dec(g.prog->fields, adapters::Clock::kEvent);
  engine::RestoreReport rr = parts.Reload(*g.prog, [&](const engine::EventRecord& rec, Event& ev) {
    return adapters::DecodeSaved(dec, rec, ev);
  });
  CHECK(rr.partial_matches == 2);  // pair, in each partition
  CHECK(rr.dropped_partial == 2);  // quiet, in each partition
  g.seq = f.seq;
  g.Push(parts, 1, R"({"type":"pay","user":"u","ts":5})");
  CHECK(g.sink.out == std::vector<std::string>{"pair@5"});
}
