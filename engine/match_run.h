// MatchRun: partial matches of one partition that share their future, kept as one run.
// Stage: engine (sequence matching). Interface: MatchRun; SequenceMatcher::StepRun and its
// helpers (engine/sequence_run.cc) create, step and dissolve runs.
// Under `every` (rule 10 of LANGUAGE.md 3.2) every partial match that can take an event splits
// in two, so on a hot key the bound on partial matches (rule 11) is reached within a few events
// and, from then on, each event makes every live match take it while the survivors that passed
// it are the oldest and are dropped. Matches that stand on the same unbounded term (with its
// minimum) of a rule whose filters read nothing of the match answer every event alike, so they
// can be kept as one run: each match is its own events up to when the run formed (or none),
// then the run's log from where it joined; the log holds each event once. An event that every
// match takes is one append, the matches the bound drops are pops at the front, and a match
// the event starts is one more entry: O(1) per event, where the matches one by one cost
// O(live matches) and more. A match is made a PartialMatch again (Materialize) only when it
// completes or is saved, or when the run dissolves (an event the matches would not all take
// alike, or --max-state reached). Windows end matches at the run's front while their starts
// are in time order (the usual case: a start joins the run with the latest event).
// Not thread-safe (one per partition, one matcher per worker). Covered by the hot-key
// differential tests (test/sequence_differential_test.cc) and test/sequence_test.cc "[runs]".
#pragma once

#include <cstdint>
#include <deque>

#include "engine/partial_match.h"

namespace strix::engine {

// Tests set this to form runs at every step where the matches allow it, not only once the
// bound is reached, so that runs form and dissolve often (test/random_rules.cc). Never set
// outside tests.
extern bool g_eager_match_runs_for_testing;

class MatchRun {
 public:
  MatchRun() = default;
  MatchRun(const MatchRun&) = delete;
  MatchRun& operator=(const MatchRun&) = delete;
  ~MatchRun() { PopLog(log_.size()); }

  // Takes over the matches `pms` (in age order), which must all stand on one term; their
  // events move into the run.
  void Form(std::vector<PartialMatch>& pms);

  size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }
  uint32_t pos() const { return pos_; }
  void Stepped() { ++steps_; }
  uint64_t steps() const { return steps_; }  // events it took as a run
  // The first event of match i (its start: time and input order).
  const StoredEvent* first(size_t i) const {
    const Member& m = members_[i];
    return m.own.empty() ? Ptr(log_[m.join - base_]) : m.own.stored(0);
  }
  // The last event the matches took.
  const StoredEvent* last() const {
    return log_.empty() ? members_[0].own.stored(members_[0].own.size() - 1) : Ptr(log_.back());
  }
  // Every match takes `e` for `term`.
  void Append(uint32_t term, const StoredEvent* e);
  // A new match whose only event is the last one appended.
  void StartAtLast();
  // Whether the matches' first events are in time order along the run (so windows end at its
  // front), and a time no match started before (exact when in time order).
  bool in_time_order() const { return in_time_order_; }
  TimeMs earliest_start() const { return earliest_; }
  // Drops the n oldest matches (and the log before the oldest left).
  void PopFront(size_t n);
  // Match i as a partial match of `a` (its events taken one by one: aggregates rebuilt).
  void Materialize(const Automaton& a, size_t i, PartialMatch& out) const;
  // Heap bytes by content, like PartialMatch::used_bytes (--max-state).
  size_t used_bytes() const {
    return log_.size() * sizeof(uint64_t) + members_.size() * sizeof(Member) + own_bytes_;
  }

 private:
  struct Member {
    BoundEvents own;  // its events before it joined the run
    uint64_t join;    // then log[join, end)
  };
  static const StoredEvent* Ptr(uint64_t x) {
    return reinterpret_cast<const StoredEvent*>(x & ((uint64_t(1) << 48) - 1));
  }
  void Join(Member m);  // a match joins at the back (keeps the time order and earliest start)
  void PopLog(size_t n);
  std::deque<uint64_t> log_;    // (term << 48) | event, retained, as BoundEvents holds them
  uint64_t base_ = 0;           // the log index of log_.front()
  std::deque<Member> members_;  // in age order; `join` never decreases along it
  size_t own_bytes_ = 0;        // the members' own events' used_bytes()
  uint32_t pos_ = 0;
  uint64_t steps_ = 0;
  bool in_time_order_ = true;
  TimeMs earliest_ = 0;
};

}  // namespace strix::engine
