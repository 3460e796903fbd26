// Event: one decoded input event as rules see it.
// Stage: shared (built by adapters/ decoding, read by index/ and engine/).
// Interface: FieldSpec (a field path a rule reads, optionally lower/upper-cased), EventHead,
// Event.
// Field values sit in `slots`, one per FieldSpec of the compiled program, so evaluation never
// searches the JSON. Views point into the decoder's buffers until Own() copies them into the
// event. Covered by test/decode_test.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "common/value.h"

namespace strix {

enum class Transform : uint8_t { kNone, kLower, kUpper };

struct FieldSpec {
  std::vector<std::string> path;
  Transform transform = Transform::kNone;
  bool operator==(const FieldSpec& o) const { return path == o.path && transform == o.transform; }
};

// Slots every program has, in this order.
constexpr uint32_t kTypeSlot = 0;
constexpr uint32_t kTimeSlot = 1;
constexpr uint32_t kIdSlot = 2;

// What identifies an event and where it came from: all a complex event's writer reads of it
// besides its id field (engine::StoredEvent keeps one of these beside its compact values).
struct EventHead {
  std::string_view raw;  // the line as it came in, without the line break
  TimeMs time = 0;
  uint32_t source = 0;  // index of the input in the run's source list
  uint64_t line = 0;    // line number within the source, from 1
  uint64_t seq = 0;     // arrival order over all sources
};

struct Event : EventHead {
  std::vector<Value> slots;
  std::unique_ptr<char[]> storage;  // owned bytes after Own(); stable when the event moves

  const Value& type() const { return slots[kTypeSlot]; }
  const Value& id_field() const { return slots[kIdSlot]; }

  // Copies the raw line and every string the slots view into `storage`, so the event
  // outlives the decoder's buffers (events held by the reorder buffer).
  void Own();
  // A copy that owns its bytes (the original may keep viewing the decoder's buffers).
  Event Clone() const;
};

}  // namespace strix
