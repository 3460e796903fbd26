// EventDecoder: one JSON Lines line -> Event, with simdjson's DOM parser.
// Stage: adapters (decode). Interface: Decode(). Fills the event's slots for exactly the
// fields the program reads, in one walk over the object (a trie of the rules' paths), and
// derives type, time and identity fields (LANGUAGE.md section 1). Views point into the
// parser and the decoder's scratch until the next Decode(); Event::Own() copies them.
// Not thread-safe: one decoder per thread. Covered by test/adapters_test.cc.
#pragma once

#include <simdjson.h>

#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/event.h"
#include "common/key_table.h"
#include "engine/snapshot.h"

namespace strix::adapters {

enum class Clock { kEvent, kWall };

enum class DecodeOutcome { kEvent, kBlank, kBadJson, kNotObject, kBadTime };

const char* ReasonText(DecodeOutcome o);

class EventDecoder {
 public:
  EventDecoder(const std::vector<FieldSpec>& fields, Clock clock);

  // `line` must be followed by at least SIMDJSON_PADDING readable bytes.
  DecodeOutcome Decode(std::string_view line, Event& out);

 private:
  struct Node {
    bool has_kids = false;
    std::vector<std::pair<uint32_t, Transform>> slots;
  };
  // Trie edges, found through one hash table keyed by (parent node, member name): a member
  // the rules do not read costs one hash and one probe.
  struct Edge {
    uint32_t parent, child;
    std::string name;
  };
  static uint64_t EdgeHash(uint32_t parent, std::string_view name);
  uint32_t Find(uint32_t parent, std::string_view name) const;  // UINT32_MAX: none
  void Walk(simdjson::dom::object obj, uint32_t node, Event& out);
  Value Convert(simdjson::dom::element el, Transform t);

  std::vector<Node> trie_;
  std::vector<Edge> edges_;
  KeyTable edge_table_;  // EdgeHash -> index in edges_
  // Top-level member k of the last event and its trie node (UINT32_MAX: not read), for the
  // first kMaxRemembered members (an event with very many members does not grow this).
  static constexpr size_t kMaxRemembered = 256;
  std::vector<std::pair<uint32_t, std::string>> order_;
  size_t num_slots_;
  Clock clock_;
  simdjson::dom::parser parser_;
  std::deque<std::string> scratch_;
  std::string repaired_;  // the line rewritten by RepairJson, when it needed that
  TimeMs last_time_ = 0;
};

// An event saved in a checkpoint (engine::EventRecord), decoded again with `dec` (the current
// rules' fields), owning its bytes, with its saved time and position. False when it no longer
// decodes.
bool DecodeSaved(EventDecoder& dec, const engine::EventRecord& rec, Event& ev);

}  // namespace strix::adapters
