// PartialMatch: the state of one run of a sequence automaton in one partition.
// Stage: engine (sequence matching). Interface: EventRef, Binding, AggState, PartialMatch,
// MatchState (the MatchView the evaluator reads while testing a term or `having`).
// A partial match sits on the positive term it last fed (`pos`, with `count` events), holds
// its events in match order (shared, reference-counted copies of the input events), and keeps
// the aggregates of its list aliases incrementally, so `having sum(t.x) > 100` costs O(1)
// per event. Covered by test/sequence_test.cc.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "common/event.h"
#include "engine/automaton.h"
#include "engine/evaluate.h"

namespace strix::engine {

using EventRef = std::shared_ptr<const Event>;

struct Binding {
  uint32_t term = 0;
  EventRef event;
};

// Running values over one AggInput (see automaton.h).
struct AggState {
  uint32_t events = 0;   // events of the term
  uint32_t numbers = 0;  // of which the field held a number
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::vector<uint64_t> distinct;  // sorted hashes of the present values (when used)

  void Add(const AggInput& in, const Event& e);
  Value Get(AggFn fn) const;
};

// Hash of a value for distinct(): numbers by numeric value, strings by bytes, others by kind
// and JSON text.
uint64_t DistinctHash(const Value& v);

struct PartialMatch {
  uint32_t pos = 0;       // the term last fed
  uint32_t count = 0;     // its number of events
  uint64_t created = 0;   // creation order in the partition (the oldest is dropped first)
  std::vector<Binding> events;
  std::vector<AggState> aggs;

  TimeMs start_time() const { return events.front().event->time; }
  uint64_t start_seq() const { return events.front().event->seq; }
  // Binds `e` to `term` and updates the aggregates.
  void Take(const Automaton& a, uint32_t term, EventRef e);
};

// The evaluator's view of a partial match, optionally with one more event tentatively bound
// (for `having` at completion) and the previous event of the term under test (for prev()).
class MatchState : public MatchView {
 public:
  MatchState(const Automaton& a, const PartialMatch* pm) : a_(a), pm_(pm) {}
  void SetPrev(const Event* prev) { prev_ = prev; }
  // Tentatively binds `e` to `term`: First/Last/Aggregate see it; the partial match does not.
  void SetExtra(uint32_t term, const Event* e);
  void ClearExtra() { extra_ = nullptr; }

  const Event* First(uint32_t term) const override;
  const Event* Last(uint32_t term) const override;
  const Event* Prev() const override { return prev_; }
  Value Aggregate(uint32_t input, AggFn fn) const override;

 private:
  const Automaton& a_;
  const PartialMatch* pm_;
  const Event* prev_ = nullptr;
  uint32_t extra_term_ = 0;
  const Event* extra_ = nullptr;
  std::vector<AggState> extra_aggs_;
};

}  // namespace strix::engine
