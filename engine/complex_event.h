// ComplexEvent: one alert as the engine hands it to a sink, before formatting.
// Stage: engine (match -> sinks). Interface: ComplexEvent, ComplexEventSink, RunStats.
// Values and events are views valid only during the Emit() call.
// Covered by test/engine_test.cc.
#pragma once

#include <cstdint>
#include <vector>

#include "common/event.h"
#include "engine/stored_event.h"

namespace strix::engine {

struct MatchedEvent {
  MatchedEvent() = default;
  MatchedEvent(int32_t as, const Event& e) : alias_term(as), event(&e), id(&e.id_field()) {}
  MatchedEvent(int32_t as, const StoredEvent* e)
      : alias_term(as), event(&e->head), id(&e->id_field()), stored(e) {}

  int32_t alias_term = -1;  // -1: the term has no alias
  const EventHead* event = nullptr;
  const Value* id = nullptr;            // the event's id field
  const StoredEvent* stored = nullptr;  // set when `event` is a shared copy's (sequences)
  const Value& id_field() const { return *id; }
};

// Which part of the work a worker owns: single-event rules of every `count`-th event, and the
// sequence partitions whose key hashes to `index`.
struct Shard {
  uint32_t index = 0, count = 1;
  uint64_t ordinal = 0;  // the event's position in processing order
  bool OwnsEvent() const { return ordinal % count == index; }
  static uint32_t OwnerOf(uint64_t key_hash, uint32_t count) {
    return static_cast<uint32_t>(key_hash % count);
  }
  bool OwnsKey(uint64_t key_hash) const { return OwnerOf(key_hash, count) == index; }
};

struct ComplexEvent {
  uint32_t rule = 0;
  TimeMs time = 0;
  std::vector<Value> key;     // empty without `by`
  std::vector<Value> fields;  // the emit block, in order
  std::vector<MatchedEvent> events;
};

class ComplexEventSink {
 public:
  virtual ~ComplexEventSink() = default;
  virtual void Emit(const ComplexEvent& ce) = 0;
};

struct RunStats {
  uint64_t events_in = 0;  // events decoded and admitted
  uint64_t matched = 0;    // events that completed at least one complex event
  uint64_t emitted = 0;
  uint64_t late = 0;
  uint64_t future = 0;    // not admitted: beyond --max-future
  uint64_t rejected = 0;  // dead letters other than late
  uint64_t suppressed = 0;
  uint64_t dropped_partial = 0;  // by --max-partial-matches and --max-state together
  uint64_t dropped_state = 0;    // of those, by --max-state
};

}  // namespace strix::engine
