// PartialMatch: the state of one run of a sequence automaton in one partition.
// Stage: engine (sequence matching). Interface: BoundEvents, AggState, DistinctSet, Aggregates,
// PartialMatch, MatchState (the MatchView the evaluator reads while testing a term or
// `having`).
// A partial match sits on the positive term it last fed (`pos`, with `count` events), holds
// its events in match order as tagged pointers to shared, reference-counted copies of the
// input events (8 bytes each, the first two inline), and keeps the aggregates of its list
// aliases incrementally (32 bytes per aggregated field, in one block), so `having sum(t.x) >
// 100` costs O(1) per event and a match is 64 bytes plus its heap parts; count(), first() and
// last() are found by binary search over the bindings (a term's events are one run, terms never
// decrease).
// Covered by test/sequence_test.cc and test/sequence_differential_test.cc.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "common/event.h"
#include "engine/automaton.h"
#include "engine/evaluate.h"
#include "engine/stored_event.h"

namespace strix::engine {

// An array of 8-byte values that copy as bytes, in 24 bytes: the first two inline, then an
// array of its own that doubles. The bindings and distinct sets of a match are usually short.
template <class T>
class SmallArray {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) == 8);

 public:
  SmallArray() = default;
  SmallArray(const SmallArray& o) {
    Reserve(o.size_);
    std::copy(o.begin(), o.end(), data());
    size_ = o.size_;
  }
  SmallArray(SmallArray&& o) noexcept { Steal(o); }
  SmallArray& operator=(const SmallArray& o) {
    SmallArray copy(o);
    return *this = std::move(copy);
  }
  SmallArray& operator=(SmallArray&& o) noexcept {
    if (this != &o) {
      Free();
      Steal(o);
    }
    return *this;
  }
  ~SmallArray() { Free(); }

  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const { return data()[i]; }
  void Push(T v) {
    if (size_ == cap_) Reserve(2 * cap_);
    data()[size_++] = v;
  }
  // Puts `v` before `at` (a position in this array).
  void Insert(const T* at, T v) {
    const size_t i = static_cast<size_t>(at - begin());
    if (size_ == cap_) Reserve(2 * cap_);
    T* d = data();
    std::copy_backward(d + i, d + size_, d + size_ + 1);
    d[i] = v;
    ++size_;
  }
  void Clear() { size_ = 0; }  // keeps the room
  size_t heap_bytes() const { return cap_ > kInline ? cap_ * sizeof(T) : 0; }
  // The same estimated from the size alone (spare room as if it grew by doubling), so that it
  // does not change when the array moves.
  size_t used_bytes() const { return size_ > kInline ? std::bit_ceil(size_) * sizeof(T) : 0; }

 private:
  static constexpr uint32_t kInline = 2;
  T* data() { return cap_ > kInline ? heap_ : in_; }
  const T* data() const { return cap_ > kInline ? heap_ : in_; }
  void Reserve(uint32_t n) {  // room for at least `n` (never less than it has)
    if (n <= cap_) return;
    T* fresh = new T[n];
    std::copy(begin(), end(), fresh);
    Free();
    heap_ = fresh;
    cap_ = n;
  }
  void Free() {  // gives back the room
    if (cap_ > kInline) delete[] heap_;
    cap_ = kInline;
  }
  void Steal(SmallArray& o) {  // `this` holds no array
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
    T in_[kInline] = {};
    T* heap_;
  };
};

// The events of a match in match order, each with its term, as tagged pointers (the term in
// the top 16 bits of a user-space address), holding a reference to each. 24 bytes.
class BoundEvents {
 public:
  BoundEvents() = default;
  BoundEvents(const BoundEvents& o) : items_(o.items_) {
    for (uint64_t x : items_) Retain(Ptr(x));
  }
  BoundEvents(BoundEvents&& o) noexcept = default;  // `o` is left empty
  BoundEvents& operator=(const BoundEvents& o) {
    BoundEvents copy(o);
    return *this = std::move(copy);
  }
  BoundEvents& operator=(BoundEvents&& o) noexcept {
    if (this != &o) {
      ReleaseAll();
      items_ = std::move(o.items_);
    }
    return *this;
  }
  ~BoundEvents() { ReleaseAll(); }

  void Push(uint32_t term, const StoredEvent* e) {
    Retain(e);
    items_.Push((uint64_t(term) << 48) | reinterpret_cast<uint64_t>(e));
  }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  uint32_t term(size_t i) const { return uint32_t(items_[i] >> 48); }
  uint64_t tagged(size_t i) const { return items_[i]; }  // (term << 48) | event, as stored
  const StoredEvent* stored(size_t i) const { return Ptr(items_[i]); }
  // Terms never decrease along a match (it only moves forward), so the events of one term are
  // a run: [Begin(term), Begin(term + 1)), found by binary search. Inside an all(...) group
  // the branches interleave: the group's events are the run [Begin(first), Begin(end)), and
  // one term's events are found by scanning it (MatchState).
  size_t Begin(uint32_t term) const {
    size_t lo = 0, hi = size();
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
  size_t heap_bytes() const { return items_.heap_bytes(); }
  size_t used_bytes() const { return items_.used_bytes(); }

 private:
  static const StoredEvent* Ptr(uint64_t x) {
    return reinterpret_cast<const StoredEvent*>(x & ((uint64_t(1) << 48) - 1));
  }
  void ReleaseAll() {  // keeps the room
    for (uint64_t x : items_) Release(Ptr(x));
    items_.Clear();
  }
  SmallArray<uint64_t> items_;
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

// One distinct value: its hash and the position of the bound event holding it.
struct DistinctEntry {
  uint32_t first;   // hash
  uint32_t second;  // position among the bindings
  bool operator<(const DistinctEntry& o) const {
    return first != o.first ? first < o.first : second < o.second;
  }
};

// The distinct values of one aggregate input, sorted by hash. Values whose hashes collide are
// told apart by comparing the values themselves (read from the bound events), so chosen field
// values cannot make two distinct values count as one. 8 bytes a value, the first two inline
// (a window's distinct values are usually few: no allocation, no second cache line).
using DistinctSet = SmallArray<DistinctEntry>;
static_assert(sizeof(DistinctSet) == 24);

// The aggregates of one match, in one allocation owned by one pointer: a small header, an
// AggState per input, then (only when distinct() is used) a DistinctSet per input.
class Aggregates {
 public:
  Aggregates() = default;
  Aggregates(const Aggregates& o);
  Aggregates(Aggregates&& o) noexcept : block_(o.block_) { o.block_ = nullptr; }
  Aggregates& operator=(Aggregates&& o) noexcept {
    std::swap(block_, o.block_);
    return *this;
  }
  Aggregates& operator=(const Aggregates& o) {
    Aggregates copy(o);
    return *this = std::move(copy);
  }
  ~Aggregates() { Free(); }

  // Fresh aggregates (none taken) for `n` inputs, with sets when `distinct`.
  void Make(uint32_t n, bool distinct);
  explicit operator bool() const { return block_ != nullptr; }
  uint32_t size() const { return block_ ? head()->n : 0; }
  bool has_distinct() const { return block_ && head()->distinct; }
  AggState& state(size_t i) { return states()[i]; }
  const AggState& state(size_t i) const { return states()[i]; }
  DistinctSet& set(size_t i) { return sets()[i]; }
  const DistinctSet& set(size_t i) const { return sets()[i]; }
  // The block, and with the sets' arrays (heap_bytes: by capacity; used_bytes: by content).
  size_t heap_bytes() const;
  size_t used_bytes() const;

 private:
  struct Head {
    uint32_t n;
    bool distinct;
  };
  static constexpr size_t kHead = 8;  // keeps the states 8-byte aligned
  static size_t BlockBytes(uint32_t n, bool distinct) {
    return kHead + n * sizeof(AggState) + (distinct ? n * sizeof(DistinctSet) : 0);
  }
  const Head* head() const { return reinterpret_cast<const Head*>(block_); }
  AggState* states() const { return reinterpret_cast<AggState*>(block_ + kHead); }
  DistinctSet* sets() const { return reinterpret_cast<DistinctSet*>(states() + head()->n); }
  void Allocate(uint32_t n, bool distinct);  // the block and its header; nothing in it yet
  void Free();
  char* block_ = nullptr;
};
static_assert(sizeof(Aggregates) == 8);

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
  uint16_t nbranches = 0;  // while `pos` is in an all(...) group: its branches
  // The bytes the matcher counted for it when it last took it into account (SequenceMatcher::
  // Remember), given back as they were (Forget) without visiting its heap parts again.
  uint32_t accounted = 0;
  Aggregates aggs;  // made at the first event, only for automata that have aggregates
  std::unique_ptr<BranchPos[]> branches;

  TimeMs start_time() const { return start; }
  const StoredEvent* first() const { return events.stored(0); }
  uint64_t start_seq() const { return events.stored(0)->head.seq; }
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

static_assert(sizeof(PartialMatch) <= 64, "a partial match stays within a cache line's bytes");

// The evaluator's view of a partial match, optionally with one more event tentatively bound
// (for `having` at completion) and the previous event of the term under test (for prev()).
class MatchState : public MatchView {
 public:
  // One bound event as the evaluator reads it: a stored copy, or the event under test.
  struct Bound {
    const StoredEvent* stored = nullptr;
    const Event* live = nullptr;
    const Value& slot(uint32_t i) const;  // a missing value when there is no event
  };

  MatchState(const Automaton& a, const PartialMatch* pm) : a_(a), pm_(pm) {}
  void SetPrev(Bound prev) { prev_ = prev; }
  // Tentatively binds `e` to `term`: First/Last/Aggregate see it; the partial match does not.
  void SetExtra(uint32_t term, const Event* e) {
    extra_term_ = term;
    extra_ = e;
  }
  Bound FirstOf(uint32_t term) const;
  Bound LastOf(uint32_t term) const;

  const Value& First(uint32_t term, uint32_t slot) const override {
    return FirstOf(term).slot(slot);
  }
  const Value& Last(uint32_t term, uint32_t slot) const override { return LastOf(term).slot(slot); }
  const Value& Prev(uint32_t slot) const override { return prev_.slot(slot); }
  bool HasPrev() const override { return prev_.stored || prev_.live; }
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
  Bound prev_;
  uint32_t extra_term_ = 0;
  const Event* extra_ = nullptr;
};

}  // namespace strix::engine
