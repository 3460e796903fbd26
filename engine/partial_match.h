// PartialMatch: the state of one run of a sequence automaton in one partition.
// Stage: engine (sequence matching). Interface: StoredEvent, EventRef, BoundEvents, AggState,
// PartialMatch, MatchState (the MatchView the evaluator reads while testing a term or
// `having`).
// A partial match sits on the positive term it last fed (`pos`, with `count` events), holds
// its events in match order as tagged pointers to shared, reference-counted copies of the
// input events (8 bytes each, the first two inline), and keeps the aggregates of its list
// aliases incrementally (32 bytes per aggregated field), so `having sum(t.x) > 100` costs O(1)
// per event and a typical match is 72 bytes plus its heap parts; count(), first() and last() are
// found by binary search over the bindings (a term's events are one run, terms never decrease).
// Covered by test/sequence_test.cc and test/sequence_differential_test.cc.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "common/event.h"
#include "engine/automaton.h"
#include "engine/evaluate.h"

namespace strix::engine {

// Bytes of stored events alive, shared by the matchers of one engine (--max-state).
using EventMeter = std::atomic<int64_t>;

// An input event kept alive while partial matches (possibly on several workers) refer to it.
// With a meter, its bytes count there while it lives.
struct StoredEvent {
  explicit StoredEvent(Event e, EventMeter* m = nullptr) : ev(std::move(e)), meter(m) {
    if (meter) {
      bytes = sizeof(StoredEvent) + ev.slots.capacity() * sizeof(Value) + ev.raw.size();
      for (const Value& v : ev.slots) bytes += v.text.size();
      meter->fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
    }
  }
  ~StoredEvent() {
    if (meter) meter->fetch_sub(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  }
  StoredEvent(const StoredEvent&) = delete;
  StoredEvent& operator=(const StoredEvent&) = delete;
  Event ev;
  EventMeter* meter = nullptr;
  size_t bytes = 0;
  mutable std::atomic<uint32_t> refs{0};
  // Held by the batch the sharded matcher is matching (set before its parallel phases, cleared
  // after its merge): alive until the batch's output is written, so what it emits of this
  // event need not hold it again.
  mutable bool in_batch = false;
  // Its index in the snapshot being written (EventTable), valid while snap_mark is that
  // snapshot's mark: no lookup table needed.
  mutable uint64_t snap_mark = 0, snap_index = 0;
};

inline void Retain(const StoredEvent* e) {
  e->refs.fetch_add(1, std::memory_order_relaxed);
}
inline void Release(const StoredEvent* e) {
  if (e->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete e;
}

// An owning pointer to a StoredEvent.
class EventRef {
 public:
  EventRef() = default;
  explicit EventRef(const StoredEvent* e) : e_(e) {
    if (e_) Retain(e_);
  }
  EventRef(const EventRef& o) : EventRef(o.e_) {}
  EventRef(EventRef&& o) noexcept : e_(o.e_) { o.e_ = nullptr; }
  EventRef& operator=(EventRef o) noexcept {
    std::swap(e_, o.e_);
    return *this;
  }
  ~EventRef() {
    if (e_) Release(e_);
  }
  const StoredEvent* get() const { return e_; }
  const Event* event() const { return e_ ? &e_->ev : nullptr; }
  explicit operator bool() const { return e_ != nullptr; }

 private:
  const StoredEvent* e_ = nullptr;
};

// The events of a match in match order, each with its term, as tagged pointers (the term in
// the top 16 bits of a user-space address). 24 bytes: the first two inline, then an array of
// its own that grows by doubling.
class BoundEvents {
 public:
  BoundEvents() = default;
  BoundEvents(const BoundEvents& o) {
    Reserve(o.size_);
    std::copy(o.data(), o.data() + o.size_, data());
    size_ = o.size_;
    for (uint32_t i = 0; i < size_; ++i) Retain(Ptr(data()[i]));
  }
  BoundEvents(BoundEvents&& o) noexcept { Steal(o); }
  BoundEvents& operator=(const BoundEvents& o) {
    BoundEvents copy(o);
    return *this = std::move(copy);
  }
  BoundEvents& operator=(BoundEvents&& o) noexcept {
    if (this != &o) {
      Clear();
      Free();
      Steal(o);
    }
    return *this;
  }
  ~BoundEvents() {
    Clear();
    Free();
  }

  void Push(uint32_t term, const StoredEvent* e) {
    Retain(e);
    if (size_ == cap_) Reserve(2 * cap_);
    data()[size_++] = (uint64_t(term) << 48) | reinterpret_cast<uint64_t>(e);
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint32_t term(size_t i) const { return uint32_t(data()[i] >> 48); }
  uint64_t tagged(size_t i) const { return data()[i]; }  // (term << 48) | event, as stored
  const Event* event(size_t i) const { return &Ptr(data()[i])->ev; }
  const StoredEvent* stored(size_t i) const { return Ptr(data()[i]); }
  // Terms never decrease along a match (it only moves forward), so the events of one term are
  // a run: [Begin(term), Begin(term + 1)), found by binary search. Inside an all(...) group
  // the branches interleave: the group's events are the run [Begin(first), Begin(end)), and
  // one term's events are found by scanning it (MatchState).
  size_t Begin(uint32_t term) const {
    size_t lo = 0, hi = size_;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (this->term(mid) < term) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  size_t heap_bytes() const { return cap_ > kInline ? cap_ * sizeof(uint64_t) : 0; }
  // The same estimated from the size alone (spare capacity as if it grew by doubling), so that
  // it does not change when the bindings move.
  size_t used_bytes() const {
    return size_ > kInline ? std::bit_ceil(size_) * sizeof(uint64_t) : 0;
  }

 private:
  static constexpr uint32_t kInline = 2;
  static const StoredEvent* Ptr(uint64_t x) {
    return reinterpret_cast<const StoredEvent*>(x & ((uint64_t(1) << 48) - 1));
  }
  uint64_t* data() { return cap_ > kInline ? heap_ : in_; }
  const uint64_t* data() const { return cap_ > kInline ? heap_ : in_; }
  // Room for `n` (at least; never less than it has).
  void Reserve(uint32_t n) {
    if (n <= cap_) return;
    uint64_t* fresh = new uint64_t[n];
    std::copy(data(), data() + size_, fresh);
    Free();
    heap_ = fresh;
    cap_ = n;
  }
  void Clear() {  // releases the events, keeps the room
    for (uint32_t i = 0; i < size_; ++i) Release(Ptr(data()[i]));
    size_ = 0;
  }
  void Free() {  // gives back the room (the events are released already)
    if (cap_ > kInline) delete[] heap_;
    cap_ = kInline;
  }
  void Steal(BoundEvents& o) {  // `this` is empty and inline
    size_ = o.size_;
    cap_ = o.cap_;
    if (o.cap_ > kInline) {
      heap_ = o.heap_;
    } else {
      in_[0] = o.in_[0];
      in_[1] = o.in_[1];
    }
    o.size_ = 0;
    o.cap_ = kInline;
  }
  uint32_t size_ = 0, cap_ = kInline;
  union {
    uint64_t in_[kInline] = {0, 0};
    uint64_t* heap_;
  };
};
static_assert(sizeof(BoundEvents) == 24);

// Running values over one AggInput (see automaton.h): the values of one field of one term.
struct AggState {
  uint32_t numbers = 0;  // events whose field held a number
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();

  void Add(const Value& v);
  Value Get(AggFn fn) const;
};

// Hash of a value for distinct(): numbers by numeric value, strings by bytes, others by kind
// and JSON text. 32 bits: equal hashes are told apart by the values (DistinctSet).
uint32_t DistinctHash(const Value& v);
// Tests set this to make every DistinctHash equal, so that results must come from comparing the
// values themselves (test/sequence_differential_test.cc). Never set outside tests.
extern bool g_distinct_hash_collides_for_testing;
// Equality for distinct(): the same classes as DistinctHash.
bool DistinctEqual(const Value& a, const Value& b);

// The distinct values of one aggregate input: (hash, position of the bound event holding the
// value), sorted by hash. Values whose hashes collide are told apart by comparing the values
// themselves (read from the bound events), so chosen field values cannot make two distinct
// values count as one. 8 bytes a value.
using DistinctSet = std::vector<std::pair<uint32_t, uint32_t>>;

// Where one branch of an all(...) group stands: the term it last fed (kNoBranchTerm: none
// yet) and that term's number of events.
constexpr uint32_t kNoBranchTerm = UINT32_MAX;
struct BranchPos {
  uint32_t term = kNoBranchTerm;
  uint32_t count = 0;
};

struct PartialMatch {
  PartialMatch() = default;
  PartialMatch(const PartialMatch& o);
  PartialMatch(PartialMatch&&) noexcept = default;
  PartialMatch& operator=(PartialMatch&&) noexcept = default;

  uint32_t pos = 0;    // the term last fed
  uint32_t count = 0;  // its number of events (inside a group: in its branch)
  TimeMs start = 0;    // the first event's time (kept here: windows are checked often)
  BoundEvents events;
  // Aggregates, allocated only for automata that have them: AggState per input, then (only
  // when distinct() is used) a sorted hash set per input.
  uint16_t naggs = 0;
  uint16_t nbranches = 0;  // while `pos` is in an all(...) group: its branches
  // The bytes the matcher counted for it when it last took it into account (SequenceMatcher::
  // Remember), given back as they were (Forget) without visiting its heap parts again.
  uint32_t accounted = 0;
  std::unique_ptr<AggState[]> aggs;
  std::unique_ptr<DistinctSet[]> distinct;
  std::unique_ptr<BranchPos[]> branches;

  TimeMs start_time() const { return start; }
  const StoredEvent* first() const { return events.stored(0); }
  uint64_t start_seq() const { return events.event(0)->seq; }
  // Binds `e` to `term` and updates the aggregates (and the branches of a group).
  void Take(const Automaton& a, uint32_t term, const StoredEvent* e);
  // Branch b of the group `pos` is in (a match not in a group, or empty: nothing taken).
  BranchPos Branch(size_t b) const { return b < nbranches ? branches[b] : BranchPos{}; }
  // Sets the branches from the bound events (a restored match).
  void RebuildBranches(const Automaton& a);

 private:
  void EnterGroup(const SeqGroup& g);                        // every branch without events
  uint32_t TakeInBranch(const Automaton& a, uint32_t term);  // the term's count after it

 public:
  size_t heap_bytes() const;
  // Heap bytes by content (not capacity), so that a move does not change it: --max-state.
  size_t used_bytes() const;
};

static_assert(sizeof(PartialMatch) <= 72, "a partial match stays within 72 bytes");

// The evaluator's view of a partial match, optionally with one more event tentatively bound
// (for `having` at completion) and the previous event of the term under test (for prev()).
class MatchState : public MatchView {
 public:
  MatchState(const Automaton& a, const PartialMatch* pm) : a_(a), pm_(pm) {}
  void SetPrev(const Event* prev) { prev_ = prev; }
  // Tentatively binds `e` to `term`: First/Last/Aggregate see it; the partial match does not.
  void SetExtra(uint32_t term, const Event* e) {
    extra_term_ = term;
    extra_ = e;
  }

  const Event* First(uint32_t term) const override;
  const Event* Last(uint32_t term) const override;
  const Event* Prev() const override { return prev_; }
  Value Aggregate(uint32_t input, AggFn fn) const override;

 private:
  // Where term's events are among the bindings: exactly [begin, end), or (inside a group)
  // somewhere in it.
  struct Run {
    size_t begin, end;
    bool scan;   // the term's events are somewhere in [begin, end)
    bool whole;  // every event in [begin, end) counts (a group's alias)
  };
  Run RunOf(uint32_t term) const;
  const Automaton& a_;
  const PartialMatch* pm_;
  const Event* prev_ = nullptr;
  uint32_t extra_term_ = 0;
  const Event* extra_ = nullptr;
};

}  // namespace strix::engine
