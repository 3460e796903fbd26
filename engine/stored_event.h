// StoredEvent: an input event kept while partial matches refer to it, in one allocation.
// Stage: engine (sequence state). Interface: EventMeter, StoredEvent, Retain/Release, EventRef.
// A sequence binds events that outlive the decoder's buffers; the matches of one matcher share
// one copy, counted by references (with --threads, each worker copies the events it binds
// itself: on the core that reads them, and never an event no sequence binds). The copy keeps the
// event's head (raw line, time, source, line, arrival order) and only the slots that hold a value,
// found by a bitmap for slots 0-63 and by binary search above: an event of a mix with many fields
// of which it has a few costs those few (a 10-slot program's login event: 4 values, not 10), and
// the head, values and bytes share one allocation instead of three. The engine keeps only the slots
// its sequences read back (Program::stored_slots): a field tested only when the event arrives
// (`where country != "US"`) is not copied. Covered by test/sequence_test.cc.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/event.h"

namespace strix::engine {

// Bytes of stored events alive, shared by the matchers of one engine (--max-state).
using EventMeter = std::atomic<int64_t>;

class StoredEvent {
 public:
  // A copy of `e` that owns its bytes, with no references yet (EventRef or Retain hold it).
  // With a meter, its bytes count there while it lives. With `keep_slots` (ascending: the
  // program's stored_slots), only those slots' values are copied; slot() of any other is
  // missing. Without, every value is.
  static StoredEvent* Make(const Event& e, EventMeter* meter = nullptr,
                           const std::vector<uint32_t>* keep_slots = nullptr);
  StoredEvent(const StoredEvent&) = delete;
  StoredEvent& operator=(const StoredEvent&) = delete;

  EventHead head;  // `raw` views the copy's own bytes
  // Slot `i` of the event; a missing value for a slot it has no value in.
  const Value& slot(uint32_t i) const {
    if (i < 64) {
      const uint64_t bit = uint64_t(1) << i;
      if (!(low_ & bit)) return kMissing;
      return values()[std::popcount(low_ & (bit - 1))];
    }
    return HighSlot(i);
  }
  const Value& id_field() const { return slot(kIdSlot); }
  size_t bytes() const;  // the allocation's size (summed again: not worth 8 bytes an event)

  mutable std::atomic<uint32_t> refs{0};
  // Its index in the snapshot being written (EventTable), valid while snap_mark is that
  // snapshot's mark: no lookup table needed. (32 bits: 2^32 events held take > 350 GB.)
  mutable uint32_t snap_index = 0;
  mutable uint64_t snap_mark = 0;

 private:
  friend void Release(const StoredEvent* e);
  StoredEvent() = default;
  ~StoredEvent() = default;
  static void Destroy(const StoredEvent* e);
  // The allocation: header, values, the slot numbers above 63, then `text` bytes (Make sizes
  // it, bytes() gives it again for the meter).
  static size_t BlockBytes(size_t nvalues, size_t nlow, size_t text) {
    return sizeof(StoredEvent) + nvalues * sizeof(Value) + (nvalues - nlow) * sizeof(uint32_t) +
           text;
  }
  const Value& HighSlot(uint32_t i) const;
  // After the header: the values (slots 0-63 in slot order, then the higher ones in slot
  // order), the higher slots' numbers, then the bytes (raw line, then the values' texts).
  const Value* values() const { return reinterpret_cast<const Value*>(this + 1); }
  const uint32_t* high() const { return reinterpret_cast<const uint32_t*>(values() + nvalues_); }

  static const Value kMissing;
  EventMeter* meter_ = nullptr;
  uint64_t low_ = 0;      // which of slots 0-63 hold a value
  uint32_t nvalues_ = 0;  // values held
  uint8_t nlow_ = 0;      // of them, for slots 0-63
};
static_assert(sizeof(StoredEvent) == 88, "the header of every stored event: keep it small");
static_assert(sizeof(StoredEvent) % alignof(Value) == 0, "the values follow the header");
static_assert(std::is_trivially_destructible_v<Value>, "stored values need no destructor");

inline void Retain(const StoredEvent* e) {
  e->refs.fetch_add(1, std::memory_order_relaxed);
}
inline void Release(const StoredEvent* e) {
  if (e->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) StoredEvent::Destroy(e);
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
  const StoredEvent* operator->() const { return e_; }
  explicit operator bool() const { return e_ != nullptr; }

 private:
  const StoredEvent* e_ = nullptr;
};

}  // namespace strix::engine
