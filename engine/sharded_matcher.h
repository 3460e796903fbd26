// ShardedMatcher: the matcher spread over worker threads with oneTBB, with output merged back
// into the order of LANGUAGE.md 3.4 (identical output for every thread count).
// Stage: engine (route -> match, parallel). Interface: Add(), Flush().
//
//   ShardedMatcher m(program, max_partial_matches, threads);
//   m.Add(std::move(owned_event));        // released events, in processing order
//   m.Flush(timers_before, sink, stats);  // match the batch; fire timers before the watermark
//
// A batch runs in two parallel phases. Route: each worker takes a contiguous chunk of events,
// matches the single-event rules in full and notes, per event, the sequence rules it concerns
// and which workers own the partitions it touches (key hash modulo the worker count). Match:
// each worker walks the whole batch in processing order and runs only its own partitions
// (each partition lives on exactly one worker, with its own timers). Workers keep what they emit
// (values copied, events kept alive) with a sort key: (time, event before deadline, position
// in processing order or rule, rule, first event's input order, worker order). The merge sorts
// by that key, applies `suppress` in the final order and hands complex events to the sink.
// The batch holds the decoded events only: a worker copies an event its sequences bind itself
// (SequenceMatcher::Ref), so the copy is written in the cache of the core that reads it, and
// events no sequence binds are never copied (made up front on the calling thread, the copies
// were a serial step and crossed cores: fraud mix on 2 threads ~+15%, 2026-12-02).
// Not thread-safe itself: one caller. Covered by test/sequence_differential_test.cc (1-3
// workers against the reference), test/sequence_test.cc ([threads]) and the thread-count
// comparison in test/cli_test.sh.
#pragma once

#include <memory>
#include <vector>

#include "engine/complex_event.h"
#include "engine/matcher.h"
#include "engine/partial_match.h"
#include "engine/program.h"
#include "engine/suppression.h"

namespace strix::engine {

namespace sharded {
struct Kept;  // a complex event a worker keeps until the merge (sharded_matcher.cc)
}  // namespace sharded

// The workers worth starting for `p` out of `threads`: the workers share out sequence
// partitions by key, so rules with no keyed sequence (single-event rules only, sequences without
// `by`, keys inferred from equalities: each such rule is one partition, on one worker) get one.
// With more, routing, the batch and the ordered merge cost more than the matching they would
// split (perf/results/2026-12-01-threads-and-many-rules.txt: 1.3-3x slower on 2 cores).
unsigned UsefulWorkers(const Program& p, unsigned threads);

class ShardedMatcher {
 public:
  // `threads` is clamped to 1..64.
  ShardedMatcher(const Program& p, size_t max_partial_matches, unsigned threads);
  ~ShardedMatcher();

  // `e` must own its bytes (Event::Own()).
  void Add(Event&& e) { batch_.push_back(std::move(e)); }
  size_t pending() const { return batch_.size(); }
  // Matches the batch, fires the timers before `timers_before`, emits in order.
  void Flush(TimeMs timers_before, ComplexEventSink& sink, RunStats& stats);

  size_t live_partial_matches() const;
  void PartialMatchesByRule(std::vector<uint64_t>& add) const;  // summed over the workers
  // --max-state over all workers (each holds its share; see SequenceMatcher::SetStateLimit).
  void SetStateLimit(size_t bytes, EventMeter* meter);
  void SetTables(const TableStore* t);  // every worker's (see Matcher::SetTables)
  size_t accounted_bytes() const;       // summed over the workers, events not included
  // Checkpoints: every worker's partitions, merged by rule (nothing may wait in the batch);
  // restore gives each worker the partitions it owns under this worker count.
  void Save(EngineSnapshot& s, EventTable& events) const;
  void BeginCapture();  // every worker's (see SequenceMatcher::BeginCapture)
  void CaptureRest(EngineSnapshot& s, EventTable& events);
  void Restore(const EngineSnapshot& s, const std::vector<const StoredEvent*>& events,
               RestoreReport& report);
  // New rules taking over, worker by worker (Matcher::TakeOver); false when the worker counts
  // differ (then nothing moved).
  bool TakeOver(ShardedMatcher& old, const std::vector<int64_t>& rule_map,
                std::vector<uint64_t>& dropped, std::vector<bool>& had_state, uint64_t& kept);
  size_t workers() const { return workers_.size(); }
  Suppression& suppression() { return suppress_; }
  const Suppression& suppression() const { return suppress_; }

 private:
  struct Worker;
  const Program& p_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Event> batch_;
  std::vector<sharded::Kept*> merged_;  // Flush's merge, reused
  std::vector<size_t> run_ends_;        // where each run of merged_ in order ends
  uint64_t next_ordinal_ = 0;
  Suppression suppress_;
  uint64_t last_matched_ = UINT64_MAX;
};

}  // namespace strix::engine
