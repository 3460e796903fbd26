// ComplexEvent: one alert as the engine hands it to a sink, before formatting.
// Stage: engine (match -> sinks). Interface: ComplexEvent, ComplexEventSink, RunStats.
// Values and events are views valid only during the Emit() call.
// Covered by test/engine_test.cc.
#pragma once

#include <cstdint>
#include <vector>

#include "common/event.h"

namespace strix::engine {

struct MatchedEvent {
  int32_t alias_term = -1;  // -1: the term has no alias
  const Event* event = nullptr;
};

struct ComplexEvent {
  uint32_t rule = 0;
  TimeMs time = 0;
  std::vector<Value> key;      // empty without `by`
  std::vector<Value> fields;   // the emit block, in order
  std::vector<MatchedEvent> events;
};

class ComplexEventSink {
 public:
  virtual ~ComplexEventSink() = default;
  virtual void Emit(const ComplexEvent& ce) = 0;
};

struct RunStats {
  uint64_t events_in = 0;      // events decoded and admitted
  uint64_t matched = 0;        // events that completed at least one complex event
  uint64_t emitted = 0;
  uint64_t late = 0;
  uint64_t rejected = 0;       // dead letters other than late
  uint64_t suppressed = 0;
  uint64_t dropped_partial = 0;
};

}  // namespace strix::engine
