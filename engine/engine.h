// Engine: the public face of matching. Events go in (in arrival order), complex events come
// out through a sink, in the order LANGUAGE.md 3.4 and section 4 specify.
// Stage: engine. Interface:
//
//   auto prog = strix::engine::Compile(checked_rules, options);   // Result<unique_ptr<Program>>
//   strix::engine::Engine eng(**prog, /*max_delay_ms=*/0, /*max_partial_matches=*/10000);
//   for each decoded event e:
//     if (eng.Push(std::move(e), sink) == Admit::kLate) dead_letter("late");
//   eng.Finish(sink);                                               // end of input
//
// Time (LANGUAGE.md 4): the watermark is the largest event time seen minus max_delay; an event
// older than it is late and rejected. With a delay, events wait in a reorder buffer and are
// released in (time, arrival) order once the watermark passes them. Timers (absence deadlines,
// window ends) fire once the watermark is past them, after every event of their time and
// before any later one; at the end of the input the watermark goes to infinity. Ownership: the
// engine keeps a reference to the Program, which must outlive it. Not thread-safe. Covered by
// test/engine_test.cc and the conformance cases.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <queue>
#include <vector>

#include "engine/complex_event.h"
#include "engine/matcher.h"
#include "engine/program.h"
#include "engine/sharded_matcher.h"
#include "engine/snapshot.h"
#include "engine/table_store.h"

namespace strix::engine {

// kFuture: further ahead than set_max_future() allows (see there); not matched either.
enum class Admit { kAccepted, kLate, kFuture };

// Rule `r` of `from` -> the rule of `to` that keeps its state (same name, kind and identity), or
// -1. For Engine::TakeOver; computed where the new rules are compiled, beside the run.
std::vector<int64_t> RuleMap(const Program& from, const Program& to);

class Engine {
 public:
  // `threads` > 1 matches on that many workers (ShardedMatcher) in batches of events; the
  // output is the same, emitted batch by batch (at the latest on Flush or Finish).
  Engine(const Program& p, int64_t max_delay_ms, size_t max_partial_matches = 10000,
         unsigned threads = 1, size_t batch = 4096);
  ~Engine();

  // `e` may view the caller's buffers: with no delay it is matched before Push returns;
  // with a delay it is copied (Event::Own) into the reorder buffer.
  Admit Push(Event&& e, ComplexEventSink& sink);
  // End of input: releases every held event, then fires every pending timer. With
  // `interrupted` (SIGINT/SIGTERM) the held events are matched but pending deadlines do not
  // fire (CLI.md).
  void Finish(ComplexEventSink& sink, bool interrupted = false);
  // Emits what the workers hold (threads > 1; a no-op otherwise). For live, idle input.
  void Flush(ComplexEventSink& sink);
  const Matcher& matcher() const { return *matcher_; }
  size_t live_partial_matches() const;
  unsigned workers() const {
    const ShardedMatcher* s = sharded_ ? sharded_.get() : parked_.get();
    return s ? static_cast<unsigned>(s->workers()) : 1u;
  }
  // With workers (threads > 1): whether the next events are matched by the workers
  // (ShardedMatcher, batches on their threads) or by one Matcher on the calling thread, as with
  // one thread (common/parallel_choice.h decides per batch). A change of way emits what waits
  // in the batch, then moves the matching state (partial matches, timers, suppression windows)
  // to the other way, through a snapshot in memory (Save and Restore, the events shared, not
  // copied): time in proportion to the live partial matches. The output is the same either way.
  // False, with nothing changed, while a checkpoint capture is walking the state (between
  // BeginCapture and the end of CompleteCapture) or without workers.
  bool SetParallel(bool parallel, ComplexEventSink& sink);
  bool parallel() const { return sharded_ != nullptr; }
  // Per rule, for the metrics (`add` has a place per rule of the program): live partial matches,
  // and complex events suppressed since the last call.
  void PartialMatchesByRule(std::vector<uint64_t>& add) const;
  void TakeSuppressedByRule(std::vector<uint64_t>& add);

  // --max-future: an event more than `ms` ahead of both the largest event time seen and the
  // wall clock is not admitted (Admit::kFuture): one event stamped years ahead would otherwise
  // carry the watermark there and make every later event late. Off (negative) by default.
  void set_max_future(int64_t ms) { max_future_ = ms; }

  // --max-state: matching state (partial matches, their bindings and aggregates, partitions,
  // timers, and the events they hold) above `bytes` drops the oldest partial matches, counted
  // in RunStats::dropped_state. 0 (the default): no limit but --max-partial-matches.
  void set_max_state(size_t bytes);
  // The state --max-state limits, as accounted (threads: summed over the workers).
  size_t state_bytes() const;

  // Checkpoints (snapshot.h). Save() between events, after Flush() (nothing may wait in a
  // batch of the worker threads); it replaces what `s` held (reusing its memory). Restore() into a
  // fresh engine, before any Push(), for the same or a changed program and any thread count:
  // `decode` turns a saved event back into an Event (owning its bytes, time and position as saved);
  // false drops what refers to it.
  void Save(EngineSnapshot& s) const;
  // The same while the run goes on (a checkpoint written every second must not stop it for
  // a walk over all its state): BeginCapture(s) between events, after Flush(), copies what is
  // small (held events, suppression, tables, counters, timers) and notes the partitions;
  // CompleteCapture(s), on another thread and while Push() goes on, completes `s` as Save()
  // would have given it at BeginCapture (copy on write: a partition the run changes first is
  // saved by the run; SequenceMatcher::BeginCapture). Once each, in this order; `s`
  // then refers to the engine's events as Save's does. Save, Restore and TakeOver wait for a
  // capture in progress.
  void BeginCapture(EngineSnapshot& s);
  void CompleteCapture(EngineSnapshot& s);
  using DecodeFn = std::function<bool(const EventRecord&, Event&)>;
  RestoreReport Restore(const EngineSnapshot& s, const DecodeFn& decode);
  // New rules taking over from `old` (a reload; take_over.cc), into this fresh engine for the
  // new program: unchanged rules' state moves whole (no snapshot, in time independent of its
  // size), held events are decoded again with `decode`, the rest is dropped and reported as
  // Restore() reports it. `old` must be flushed and is left to be destroyed. Possible only
  // when the new program keeps every field of the old one in its slot (CompileOptions::
  // seed_fields) and the worker counts agree: otherwise nothing moves and the result is
  // empty (then Save and Restore do it).
  // `rule_map` (RuleMap(old program, this one)), when given, saves computing it here.
  std::optional<RestoreReport> TakeOver(Engine& old, const DecodeFn& decode,
                                        const std::vector<int64_t>* rule_map = nullptr);

  // Time passed on from elsewhere (the other partitions of a Kafka input, each matched by an
  // engine of its own; runtime/partition_engines.h): held events up to `t` are matched and
  // deadlines before it fire, as if the watermark were there. Which events are late is still
  // judged by this engine's own watermark. False when `t` is not ahead of where it was.
  bool AdvanceTo(TimeMs t, ComplexEventSink& sink);
  bool seen_any() const { return seen_any_; }

  RunStats& stats() { return stats_; }
  TimeMs watermark() const { return watermark_; }

  // Tables (LANGUAGE.md 7): null when the program has none.
  const TableStore* tables() const { return tables_.get(); }
  // --table NAME=FILE: the row of `e`'s key in `table` becomes `e` (before the first Push()).
  // False when its key is missing or null.
  bool PreloadRow(uint32_t table, const Event& e);

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };
  // Matches held events up to `upto` and fires timers before `timers_before`, merged in
  // processing order.
  void Release(TimeMs upto, TimeMs timers_before, ComplexEventSink& sink);

  // After the rules saw `e`: the tables it changes (the changelog of LANGUAGE.md 7).
  void UpdateTables(const Event& e);
  // Saved rows (Save(), or an engine taken over) into the tables of the same name, decoded
  // again and keyed as the tables are now.
  void RestoreTables(const TableRows& saved, const DecodeFn& decode, RestoreReport& report);

  // Shared with an engine that took over from this one: the events it moved still count here.
  // First of the members: the state that holds events goes before it.
  std::shared_ptr<EventMeter> meter_ = std::make_shared<EventMeter>(0);
  size_t max_state_ = 0;
  const Program& p_;
  int64_t max_delay_;
  int64_t max_future_ = -1;
  bool seen_any_ = false;
  TimeMs max_seen_ = 0;
  TimeMs watermark_ = std::numeric_limits<TimeMs>::min();
  // The reorder buffer; its items can be read for a snapshot.
  struct HeldQueue : std::priority_queue<Event, std::vector<Event>, Later> {
    const std::vector<Event>& items() const { return c; }
  };
  HeldQueue held_;
  void Match(Event&& e, ComplexEventSink& sink);  // one released event, in processing order
  void SaveRest(EngineSnapshot& s) const;         // Save() but the matchers' partitions and timers
  static void DropEmptyRules(EngineSnapshot& s);
  bool Hold(const EventRecord& rec, const DecodeFn& decode);  // a saved held event, decoded again
  bool TooFar(TimeMs t);                                      // --max-future
  TimeMs advanced_ = std::numeric_limits<TimeMs>::min();      // AdvanceTo
  void FireTimers(TimeMs before, ComplexEventSink& sink);

  size_t max_partial_;
  // Exactly one of the two ways holds the matching state: `sharded_` when the workers match
  // (then `parked_` is null), else `matcher_` (then the workers wait, empty, in `parked_`).
  std::unique_ptr<Matcher> matcher_;
  std::unique_ptr<ShardedMatcher> sharded_;
  std::unique_ptr<ShardedMatcher> parked_;
  std::atomic<bool> capture_open_{false};  // BeginCapture .. the end of CompleteCapture
  std::vector<uint64_t> refused_carry_;    // suppressed counts of a way replaced (metrics)
  // A fresh matcher of the way that gave its state away (tables and --max-state as set).
  std::unique_ptr<Matcher> NewMatcher() const;
  std::unique_ptr<ShardedMatcher> NewSharded(unsigned workers) const;
  std::unique_ptr<TableStore> tables_;  // when the program has tables
  EvalScratch table_eval_;              // for the tables' filters
  TimeMs timers_before_ = std::numeric_limits<TimeMs>::min();
  size_t batch_;
  RunStats stats_;
};

}  // namespace strix::engine
