// SequenceMatcher: runs the sequence automata (LANGUAGE.md 3.2) per rule and partition.
// Stage: engine (route -> sequence matching -> sinks). Interface:
//
//   SequenceMatcher seq(program, max_partial_matches);
//   seq.FireDeadlines(event.time, sink, stats);      // deadlines the watermark has passed
//   seq.Process(rule, event, starts, sink, stats);   // per interested rule, in rule order
//   seq.FireDeadlines(kEndOfTime, sink, stats);      // end of input
//
// A partition holds the live partial matches of one rule and key value, in creation order.
// For each event of the partition the matcher applies, per partial match: window, absence,
// hand-over to a later term, another event for the current term, pass (or discard under
// `strict`); `every` splits on each choice. Completion, `until`, the earliest-start rule and
// the bound on partial matches follow the spec's numbered rules. Window ends and trailing-
// absence deadlines are timers: one per started match, queued per rule in start order (which
// is deadline order) and fired in (deadline, rule, first event) order, so idle keys free their
// state when the watermark passes, and deadline output has the spec's order.
// Not thread-safe: one per worker. Covered by test/sequence_test.cc, the sequence
// differential test and conformance cases 02-11, 14, 16.
#pragma once

#include <atomic>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/hash.h"
#include "engine/complex_event.h"
#include "engine/match_run.h"
#include "engine/partial_match.h"
#include "engine/partition_table.h"
#include "engine/program.h"
#include "engine/snapshot.h"
#include "engine/suppression.h"

namespace strix::engine {

// The events of a snapshot being written: each stored event once, by index. One table at a
// time per process (it marks the events).
class EventTable {
 public:
  explicit EventTable(EventColumns& out);
  uint64_t Add(const StoredEvent* e);

 private:
  EventColumns& out_;
  uint64_t mark_;
};

constexpr TimeMs kEndOfTime = std::numeric_limits<TimeMs>::max();

// The end of the window of a match that started at `start` (rule 5).
inline TimeMs WindowDeadline(TimeMs start, int64_t within) {
  return start > kEndOfTime - within ? kEndOfTime - 1 : start + within;
}

class SequenceMatcher {
 public:
  SequenceMatcher(const Program& p, size_t max_partial_matches, bool suppress = true);

  // Offers event `e` to sequence rule `rule`. `starts` is true when the condition index
  // found that `e` may satisfy the rule's first term. True when a match completed.
  // With a shard, only the partitions whose key the shard owns.
  bool Process(uint32_t rule, const Event& e, bool starts, ComplexEventSink& sink, RunStats& stats,
               const Shard* shard = nullptr);
  // The workers (bit w of `workers`) whose partitions `e` may touch under `rule`.
  uint64_t Owners(uint32_t rule, const Event& e, uint32_t workers);
  // A new event is being offered (to Process or Owners, rule after rule): the keys computed for
  // the last one no longer apply. The Matcher says so once per event.
  void NextEvent() { ++key_epoch_; }
  // Fires every timer whose deadline is before `watermark` (the watermark is past it). Called
  // before every event: with no timer queued (no sequence, or none waiting) it costs a test.
  void FireDeadlines(TimeMs watermark, ComplexEventSink& sink, RunStats& stats) {
    if (fronts_.empty()) {
      next_deadline_ = kEndOfTime;
      return;
    }
    FireQueued(watermark, sink, stats);
  }
  // The earliest pending timer, or kEndOfTime.
  TimeMs NextDeadline() const;

  // Live partial matches and partitions, for --stats and the benchmarks.
  size_t live_partial_matches() const { return live_; }
  // Adds each rule's live partial matches to `add[rule]` (metrics; `add` has a place per rule).
  void PartialMatchesByRule(std::vector<uint64_t>& add) const;
  // The same by walking every partition (tests compare the two).
  void RecountPartialMatchesByRule(std::vector<uint64_t>& add) const;
  size_t partitions() const;
  // Steps taken by runs (match_run.h): how often the O(1) path served a partition (tests).
  uint64_t run_steps() const { return run_steps_; }
  // Steps of rules kept by an inferred key, and merges of such rules back into one partition
  // (sequence_inferred.cc; tests).
  uint64_t inferred_steps() const { return inferred_steps_; }
  uint64_t unpartitions() const { return unpartitions_; }
  // Bytes of matching state (partitions, partial matches, bindings, aggregates, timers), not
  // counting the events they refer to. Walks everything: for benchmarks and --stats.
  size_t StateBytes() const;

  // --max-state: when the state this matcher accounts (partial matches with their bindings and
  // aggregates, partitions, timers) plus its share of the stored events (`meter` / `workers`)
  // exceeds `bytes` / `workers`, the oldest partial matches (by first event, then rule) are
  // dropped until it is 7/8 of that, and counted in RunStats::dropped_state. 0: no limit.
  // Events this matcher stores itself are metered in `meter` too.
  void SetStateLimit(size_t bytes, EventMeter* meter, unsigned workers = 1);
  void SetTables(const TableStore* t) { eval_.tables = t; }  // see Matcher::SetTables
  // The accounted bytes, kept as state changes, and the same figure recounted by walking
  // everything (tests compare the two).
  size_t accounted_bytes() const { return bytes_; }
  size_t RecountBytes() const;

  Suppression& suppression() { return suppress_; }
  const Suppression& suppression() const { return suppress_; }

  // Snapshot: appends this matcher's partitions and timers to `s.rules` (merged by rule with
  // what other workers appended) and its suppression windows to `s.suppression`.
  void Save(EngineSnapshot& s, EventTable& events) const;
  // Restores the partitions of `s` (only those `shard` owns, when given) of the rules whose
  // name and identity are unchanged; `events` by snapshot index (null: no longer decodable,
  // its matches are dropped). Suppression windows are restored separately.
  void Restore(const EngineSnapshot& s, const std::vector<const StoredEvent*>& events,
               const Shard* shard, RestoreReport& report);
  // New rules taking over (take_over.cc): the partitions, timers and suppression windows of
  // each of `old`'s rules that `rule_map` (old rule -> new rule, -1: changed or removed) keeps
  // move here whole, in time independent of their size; the others stay in `old` (freed with
  // it), their partial matches added to `dropped[old rule]` and their rules marked in
  // `had_state`. The bound events' fields must keep their slots (Engine::TakeOver checks).
  void TakeOver(SequenceMatcher& old, const std::vector<int64_t>& rule_map,
                std::vector<uint64_t>& dropped, std::vector<bool>& had_state, uint64_t& kept);

  // Checkpoints taken while the run goes on (copy on write, by partition; docs/state.md).
  // BeginCapture(), between two events with the matcher idle, notes the partitions and copies
  // the timers; CaptureRest(), on another thread, appends to `s` what Save() would have at
  // BeginCapture() while this matcher goes on: a partition the run is about to change is
  // saved by the run first (CaptureOnWrite), the others by CaptureRest. One capture at a time;
  // Save, Restore, TakeOver and the next BeginCapture wait for the one in progress.
  void BeginCapture();
  void CaptureRest(EngineSnapshot& s, EventTable& events);
  ~SequenceMatcher();

 private:
  struct Partition {
    uint64_t hash = 0;                    // of key_text; its place in the table
    std::string key_text;                 // the key fields' JSON text, each followed by a newline
    EventRef key_event;                   // the event that opened it: its key fields are the key
    std::vector<PartialMatch> pms;        // in creation order (the oldest first)
    std::unique_ptr<MatchRun> run;        // instead of `pms`, when they form a run (match_run.h)
    uint32_t timers = 0;                  // queued timers that point here
    uint16_t run_skip = 0, run_wait = 1;  // steps until the next try to form a run, backoff
    // Its place in the snapshot being written (Save; with a capture, among the partitions
    // saved by the thread that saved it: `snap_by_run`).
    mutable uint32_t snap_index = 0;
    bool snap_by_run = false;
    // The capture (BeginCapture) this partition was saved for: 2E when saved for capture E,
    // 2E - 1 while being saved, less before (see CaptureOnWrite).
    std::atomic<uint64_t> snap{0};
  };
  // A window end: the partial matches of `part` that started with event `seq` (arrival order:
  // the same for every copy of the event) at deadline - within. Queued per rule in start
  // order, which is deadline order.
  struct Timer {
    TimeMs deadline;
    uint64_t seq;
    Partition* part;
  };
  struct RuleState {
    PartitionTable<Partition> parts;
    std::deque<Timer> timers;
    size_t live = 0;  // its share of live_ (settled after each Process, deadline, drop)
    // The automaton has an inferred key (key_inference.h) and its partitions are by that key
    // now (sequence_inferred.cc); false while it is one partition, as written.
    bool by_inferred = false;
    bool inferable = false;  // the automaton has an inferred key
  };
  // One way a partial match can take an event: feed `term`; `completes` when that finishes
  // the match (the last positive term reaching its minimum with `having` true).
  struct Option {
    uint32_t term;
    bool completes;
  };
  struct Completion {
    PartialMatch pm;
    TimeMs time;
    EventRef key_event;  // its key fields are the partition key
  };
  // A partial match's options under `every`: opts_[begin, end).
  struct Planned {
    uint32_t index, begin, end;
  };

  // Runs (match_run.h; sequence_run.cc). Whether automaton `a`'s partial matches answer every
  // event alike when they stand on the same unbounded term (windows aside, which end them by
  // start): `every`, no `having`, no trailing `not`, no all(...) group, no unkeyed term, and
  // term filters that read nothing of the match.
  static bool RunsAllowed(const Automaton& a);
  // Room in a partition's matches for `more`: exactly below 4, else 1.25x (not doubling: a
  // partition's matches are 72 bytes each and most partitions hold a few), and the spare room
  // given back (room for exactly `more` kept) once at most a quarter of it would be in use.
  static void FitFor(std::vector<PartialMatch>& pms, size_t more);
  enum class RunOutcome { kFallBack, kDone, kStartsLeft };
  // Rule 10 for a partition kept as a run, when every match of it can take `e` the same way
  // and the bound leaves no survivor that passed it: kDone (the starts too), kStartsLeft (the
  // run ended: start as usual), or kFallBack (nothing changed: dissolve and step as usual).
  RunOutcome StepRun(const Automaton& a, RuleState& rs, Partition* part,
                     const std::string& key_text, const Event& e, const std::vector<Option>& starts,
                     std::vector<Completion>& done, RunStats& stats);
  void TryFormRun(const Automaton& a, Partition* part);  // after a step, when runs are allowed
  // Ends the run's matches that window timer `t` ends (those at its front); false, with nothing
  // changed, when some are elsewhere in it.
  bool RunTimer(const Automaton& a, Partition* part, const Timer& t);
  void Dissolve(const Automaton& a, Partition* part);  // the run's matches one by one again
  // Ends the run's n oldest matches (a window, a timer); a run left empty goes.
  void PopRun(Partition* part, size_t n);
  static void BackOff(Partition* part);
  std::vector<bool> runs_allowed_;  // per automaton

  // Inferred partitions (key_inference.h; sequence_inferred.cc). The key text of a start
  // whose P is missing or null: such matches can never complete, but as written they would
  // count against the bound, so they wait in a partition of their own.
  static constexpr std::string_view kNoInferredValue{"\x01", 1};
  // During a step of ProcessInferred whose event's key value is exact (one value per key
  // text): the later terms' key equalities hold in the partition and are not tested again.
  bool key_exact_ = false;
  // Process() for a rule as written: the partitions of the event's keys (and, for terms
  // without a key, every partition).
  void ProcessAsWritten(uint32_t rule, RuleState& rs, const Event& e, bool starts,
                        std::vector<Completion>& done, RunStats& stats, const Shard* shard);
  // The hash of the empty key: the one partition of a rule without `by`, and where a rule kept
  // by an inferred key lives among workers.
  static uint64_t UnkeyedHash();
  // Process() for a rule kept by its inferred key. False, with nothing done, when the step
  // might make the rule's partial matches exceed the bound: the caller merges them back
  // (Unpartition) and steps the rule as written.
  bool ProcessInferred(uint32_t rule, RuleState& rs, const Event& e, bool starts,
                       std::vector<Completion>& done, RunStats& stats, const Shard* shard);
  // Merges the rule's partitions into the one partition of the rule as written, its partial
  // matches in the order that partition would hold them (creation order), its timers with it.
  void Unpartition(const Automaton& a, RuleState& rs);
  // Whether a rule with an inferred key may go back to partitions by it: when its one
  // partition as written goes (DropIfIdle).
  void MayInferAgain(RuleState& rs, const Partition* part);
  std::string inferred_text_;  // scratch of ProcessInferred
  uint64_t inferred_steps_ = 0, unpartitions_ = 0;
  PartialMatch run_proto_;   // scratch of StepRun()
  PartialMatch run_member_;  // scratch of StepRun()

  void Step(uint32_t rule, RuleState& rs, Partition* part, const std::string& key_text,
            uint64_t hash, const Event& e, bool can_start, std::vector<Completion>& done,
            RunStats& stats);
  // Rule 10 for the partial matches of `part`: every choice splits off a branch. Branches and
  // survivors that the bound on partial matches would drop at once are never made (the oldest
  // go: survivors, then branches); a survivor that is dropped moves into its last branch.
  void StepEvery(const Automaton& a, Partition* part, const std::string& key_text, const Event& e,
                 const std::vector<Option>& starts, std::vector<Completion>& done, RunStats& stats);
  // Appends to `out` how `pm` may take `e` (rules 2, 3, 7; under `every` every choice, else
  // the first). False when `e` ends it (window, rule 5; absence, rule 4).
  bool Options(const Automaton& a, const PartialMatch& pm, const Event& e,
               const std::string& key_text, std::vector<Option>& out);
  // How the event starts matches (rule 1): the first term (a leading group: the first term
  // of a branch) taking it; under `every` each way, else the first.
  void PlanStart(const Automaton& a, const Event& e, const std::string& key_text,
                 std::vector<Option>& out);
  // Appends the option of `term` taking `e` (rule 7: completing when the last step is full and
  // `having` holds; else a list term keeps collecting and another takes nothing). False when
  // there is none.
  bool Offer(const Automaton& a, const PartialMatch& pm, uint32_t term, const Event& e,
             std::vector<Option>& out);
  // Offer() when term `term`'s filter holds for `e` seen from `pm`.
  bool TermOffers(const Automaton& a, const PartialMatch& pm, uint32_t term, const Event& e,
                  const std::string& key_text, std::vector<Option>& out);
  // FilterHolds for term `k`, once per event when its condition is match-free.
  bool TermHolds(const Automaton& a, size_t k, const Event& e, const std::string& key_text,
                 MatchState* view);
  // `keyed`: only SeqFilter::keyed_rest (an inferred key's step with an exact key value).
  bool FilterHolds(const Automaton& a, const SeqFilter& f, const Event& e,
                   const std::string& key_text, MatchState* view, bool keyed = false);
  bool InPartition(const Automaton& a, uint32_t keyset, const std::string& key_text) const;
  void ComputeKeys(const Automaton& a, const Event& e);  // key_of_
  // Completion check of `pm` (plus `e` bound to `term` when given) against `having`.
  bool HavingHolds(const Automaton& a, const PartialMatch& pm, uint32_t term, const Event* e);
  void Emit(uint32_t rule, std::vector<Completion>& done, ComplexEventSink& sink, RunStats& stats);
  void DropIfIdle(RuleState& rs, Partition* part);  // erases it when nothing refers to it
  // Queues the window timer (rule 5, and rule 4's trailing deadline) of the matches `first`
  // started.
  void QueueWindowTimer(const Automaton& a, RuleState& rs, Partition* part,
                        const StoredEvent* first);
  // Drops the queued window timers whose partial matches are gone (see the .cc).
  void CompactTimers(RuleState& rs);
  std::unordered_set<uint64_t> live_seqs_;  // scratch of CompactTimers
  // State accounting (--max-state): a partial match's bytes enter when it joins a partition's
  // list and leave when it leaves it (dropped, completed, discarded).
  static size_t Cost(const PartialMatch& pm) { return sizeof(PartialMatch) + pm.used_bytes(); }
  static size_t Cost(const MatchRun& r) { return sizeof(MatchRun) + r.used_bytes(); }
  static size_t Cost(const Partition& part);
  static size_t RecountBytes(const RuleState& rs);  // one rule's share, by walking it
  // A partial match enters the accounted state (as it is now) and leaves it (as it was when it
  // entered: it must not change in between).
  void Remember(PartialMatch& pm) {
    pm.accounted = static_cast<uint32_t>(Cost(pm));
    bytes_ += pm.accounted;
  }
  void Forget(const PartialMatch& pm) { bytes_ -= pm.accounted; }
  void ForgetAll(Partition* part);  // clears its partial matches
  Partition* NewPartition(RuleState& rs, uint64_t hash, const std::string& key_text);
  void EnforceStateLimit(RunStats& stats);
  size_t Used() const;
  // The timer queues' fronts in firing order, (deadline, rule, first event): a min-heap with
  // an entry for the front of every non-empty queue, so that the next timer is found in
  // O(log rules) however many sequence rules there are. An entry whose queue front has changed
  // since is stale and skipped when it comes up (queues only lose their fronts by firing or
  // compaction, which push the new front).
  struct Front {
    TimeMs deadline;
    uint32_t rule;
    uint64_t seq;
    uint32_t automaton;
  };
  std::vector<Front> fronts_;
  void PushFront(size_t automaton);  // an entry for rules_[automaton]'s front
  void SettleFronts();               // stale entries off the top; next_deadline_ from it
  void FireQueued(TimeMs watermark, ComplexEventSink& sink, RunStats& stats);
  void UpdateNextDeadline();  // the heap built again from every queue
  const StoredEvent* Ref(const Event& e);
  // Keys computed for the event being offered, shared by the rules with the same key fields
  // (keysets with equal slots): with many sequence rules `by` the same field, the key text is
  // built and hashed once per event, not once per rule.
  struct KeyMemo {
    uint64_t epoch = 0;
    const Event* event = nullptr;
    std::string text;
    uint64_t hash = 0;
    bool ok = false;
  };
  // The event's key under keyset k of `a` (computed once per event and set of key fields).
  const KeyMemo& KeyOf(const Automaton& a, size_t k, const Event& e);
  std::vector<std::vector<uint32_t>> keyset_ids_;  // per automaton, per keyset: its memo
  std::vector<KeyMemo> key_memo_;
  uint64_t key_epoch_ = 1;

  // Capture (BeginCapture). Save()'s walk over one partition, its events numbered by `index`.
  template <class Index>
  void SavePartition(size_t r, const Partition& part, RuleRecord& rec, Index& index) const;
  RuleRecord& RecordFor(EngineSnapshot& s, size_t r) const;
  struct TimerCopy {
    TimeMs deadline;
    uint64_t seq;
    Partition* part;
  };
  // Appends the timers, in (deadline, seq) order, merged with those already in `rec`.
  static void SaveTimers(const std::vector<TimerCopy>& timers, RuleRecord& rec, uint32_t run_base);
  struct Capture {
    uint64_t epoch = 0;
    std::vector<std::vector<Partition*>> parts;  // per automaton, at BeginCapture
    std::vector<std::vector<TimerCopy>> timers;  // per automaton, at BeginCapture
    std::vector<RuleRecord> by_run;              // per automaton: what the run saved itself
    std::vector<EventRef> run_events;            // their events, held
    std::unordered_map<const StoredEvent*, uint64_t> run_index;
    std::vector<Partition*> graveyard;  // erased while being captured: freed at the end
    std::atomic<bool> walked{false};    // CaptureRest is done with the partitions
  };
  Capture cap_;
  bool capturing_ = false;  // a capture is in progress (the run's view)
  // Before the run changes `part` (or erases it): saves it for the capture in progress unless
  // that is done.
  void Touch(RuleState& rs, Partition* part) {
    if (capturing_) CaptureOnWrite(rs, part);
  }
  void CaptureOnWrite(RuleState& rs, Partition* part);
  static bool Claim(Partition* part, uint64_t done);
  void EndCapture();   // once walked: frees the graveyard, stops touching
  void WaitCapture();  // waits for the capture in progress to be walked, then EndCapture()

  const Program& p_;
  size_t max_partial_;
  std::vector<RuleState> rules_;       // per automaton
  std::vector<uint32_t> rule_of_;      // automaton -> rule index
  TimeMs next_deadline_ = kEndOfTime;  // the earliest queued timer
  // Per keyset of the rule being processed: the event's key (ComputeKeys; in key_memo_, whose
  // entries stay put).
  std::vector<const KeyMemo*> key_of_;
  std::vector<PartialMatch> born_;  // scratch of Step()
  std::vector<Option> options_;     // scratch of Step()
  std::vector<Option> starts_;      // scratch of Step(): PlanStart's
  std::vector<Planned> plan_;       // scratch of StepEvery()
  std::vector<int8_t> term_cache_;  // per term, this event and partition: -1 unknown, 0, 1
  std::vector<Completion> done_;
  std::vector<uint32_t> order_;  // Emit: positions in `done` in emission order
  EventRef current_;             // the copy of the event being processed its matches share
  const Event* current_of_ = nullptr;
  uint64_t current_seq_ = 0;
  EvalScratch eval_;
  // The event `having` and `emit` are evaluated against: none (they reach every field through
  // an alias), so every slot is missing.
  Event blank_;
  ComplexEvent ce_;
  bool suppress_on_;
  Suppression suppress_;
  size_t live_ = 0;
  uint64_t run_steps_ = 0;
  size_t bytes_ = 0;  // accounted state (see Cost)
  size_t max_state_ = 0;
  unsigned state_share_ = 1;
  EventMeter* meter_ = nullptr;
};

}  // namespace strix::engine
