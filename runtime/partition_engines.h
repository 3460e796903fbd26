// PartitionEngines: one Engine per partition of a Kafka input, for runs whose state lives in
// Kafka (--state with a Kafka input, CLI.md "Kafka"). A partition's partial matches, timers,
// suppression windows and held events are then its own engine's, so they can be written,
// dropped and restored alone when the consumer group moves the partition to another member.
// Stage: runtime (state). Interface: Get(), Push(), Tick(), Drop(), ForEach(), stats().
//
// Time across partitions (CLI.md "Kafka"): each partition's events are late against its own
// watermark (its largest time minus --max-delay); Tick() passes the run's watermark, the
// smallest over the partitions that are not idle (no event for --idle-timeout; when all are
// idle, the largest), on to the engines behind it (Engine::AdvanceTo), so a quiet partition's
// deadlines still fire as the others advance. A partial match only ever combines events of one
// partition (CLI.md: a key's events come through one partition). Used for every Kafka input:
// without --state a revoked partition's engine is dropped (its next owner reads again from the
// committed offsets), with it the state goes through Kafka.
// Covered by test/kafka_test.sh and test/partition_engines_test.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "engine/engine.h"

namespace strix::runtime {

struct PartitionSettings {
  int64_t max_delay_ms = 0;
  size_t max_partial_matches = 10000;
  size_t max_state_bytes = 0;  // per partition
  std::optional<int64_t> max_future_ms;
  int64_t idle_timeout_ms = 30000;
};

class PartitionEngines {
 public:
  struct Part {
    std::unique_ptr<engine::Engine> engine;
    std::chrono::steady_clock::time_point last_arrival;
    int64_t next_line = -1;  // the number (Kafka offset) of the next line to read; -1 unknown
    bool dirty = false;      // changed since its state was last written
  };

  PartitionEngines(const engine::Program& p, PartitionSettings s) : p_(&p), s_(s) {}
  // What a partition's engine starts with when it is created (--table rows, the same for each
  // partition); a restore of saved state replaces it.
  void SetInitialState(std::function<void(engine::Engine&)> init) { init_ = std::move(init); }
  // The partition of source `source` (created with the initial state when it has none).
  Part& Get(uint32_t source);
  bool Has(uint32_t source) const { return parts_.count(source) != 0; }
  // Its engine goes (its statistics stay in stats()).
  void Drop(uint32_t source);
  engine::Admit Push(Event&& e, uint32_t source, engine::ComplexEventSink& sink);
  // Passes the run's watermark on (see above); call now and then, and when input is quiet.
  void Tick(engine::ComplexEventSink& sink);
  template <class F>
  void ForEach(F f) {
    for (auto& [source, part] : parts_) f(source, part);
  }
  engine::RunStats stats() const;
  size_t live_partial_matches() const;
  void PartialMatchesByRule(std::vector<uint64_t>& add) const;  // summed (Engine's)
  void TakeSuppressedByRule(std::vector<uint64_t>& add);
  size_t state_bytes() const;
  // The run's watermark as the engines see it: the smallest over partitions that have events.
  bool watermark(TimeMs* wm) const;
  // New rules (a reload, runtime/reload.h): every partition's state moves onto an engine for
  // `p`, which must outlive this; the reports summed.
  engine::RestoreReport Reload(const engine::Program& p, const engine::Engine::DecodeFn& decode,
                               const std::vector<int64_t>* rule_map = nullptr);

 private:
  std::unique_ptr<engine::Engine> NewEngine() const;
  const engine::Program* p_;
  PartitionSettings s_;
  std::function<void(engine::Engine&)> init_;
  std::map<uint32_t, Part> parts_;
  engine::RunStats dropped_;                  // of the engines that went
  std::vector<uint64_t> dropped_suppressed_;  // theirs by rule, not yet taken
};

}  // namespace strix::runtime
