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
// absence deadlines are timers in one heap ordered by (deadline, rule, first event), so idle
// keys free their state when the watermark passes, and deadline output has the spec's order.
// Not thread-safe: one per worker. Covered by test/sequence_test.cc, the sequence
// differential test and conformance cases 02-11, 14, 16.
#pragma once

#include <limits>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/complex_event.h"
#include "engine/partial_match.h"
#include "engine/program.h"
#include "engine/suppression.h"

namespace strix::engine {

constexpr TimeMs kEndOfTime = std::numeric_limits<TimeMs>::max();

class SequenceMatcher {
 public:
  SequenceMatcher(const Program& p, size_t max_partial_matches);

  // Offers event `e` to sequence rule `rule`. `starts` is true when the condition index
  // found that `e` may satisfy the rule's first term. True when a match completed.
  bool Process(uint32_t rule, const Event& e, bool starts, ComplexEventSink& sink,
               RunStats& stats);
  // Fires every timer whose deadline is before `watermark` (the watermark is past it).
  void FireDeadlines(TimeMs watermark, ComplexEventSink& sink, RunStats& stats);
  // The earliest pending timer, or kEndOfTime.
  TimeMs NextDeadline() const;

  // Live partial matches and partitions, for --stats and the benchmarks.
  size_t live_partial_matches() const { return live_; }
  size_t partitions() const;

  Suppression& suppression() { return suppress_; }

 private:
  struct Partition {
    std::string_view key_text;  // the map's key
    EventRef key_event;         // the event that opened it: its key fields are the key
    std::vector<PartialMatch> pms;
    uint64_t next_created = 0;
    bool armed = false;         // a timer for (armed_time, armed_seq) is in the heap
    TimeMs armed_time = 0;
    uint64_t armed_seq = 0;
    uint32_t timers = 0;        // heap entries pointing here (stale ones included)
  };
  struct Timer {
    TimeMs deadline;
    uint32_t rule;
    uint64_t seq;
    Partition* part;
    bool operator>(const Timer& o) const {
      if (deadline != o.deadline) return deadline > o.deadline;
      if (rule != o.rule) return rule > o.rule;
      return seq > o.seq;
    }
  };
  struct Completion {
    PartialMatch pm;
    TimeMs time;
    EventRef key_event;  // its key fields are the partition key
  };
  using PartitionMap = std::unordered_map<std::string, Partition>;

  void Step(uint32_t rule, PartitionMap& map, Partition* part, const std::string& key_text,
            const Event& e, bool can_start, std::vector<Completion>& done, RunStats& stats);
  bool FilterHolds(const Automaton& a, const SeqFilter& f, const Event& e,
                   const std::string& key_text, MatchState* view);
  bool InPartition(const Automaton& a, uint32_t keyset, const std::string& key_text) const;
  // Completion check of `pm` (plus `e` bound to `term` when given) against `having`.
  bool HavingHolds(const Automaton& a, const PartialMatch& pm, uint32_t term, const Event* e);
  void Emit(uint32_t rule, std::vector<Completion>& done, ComplexEventSink& sink, RunStats& stats);
  void Rearm(uint32_t rule, PartitionMap& map, Partition* part);
  void Release(PartitionMap& map, Partition* part);
  EventRef Ref(const Event& e);

  const Program& p_;
  size_t max_partial_;
  std::vector<PartitionMap> parts_;   // per automaton
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::vector<std::string> keys_;     // per keyset of the rule being processed
  std::vector<bool> key_ok_;
  EventRef current_;                  // the shared copy of the event being processed
  const Event* current_of_ = nullptr;
  uint64_t current_seq_ = 0;
  EvalScratch eval_;
  ComplexEvent ce_;
  Suppression suppress_;
  size_t live_ = 0;
};

}  // namespace strix::engine
