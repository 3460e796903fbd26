// JSON Lines decoding into Events (see event_decoder.h).
#include "adapters/event_decoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "adapters/json_repair.h"
#include "adapters/line_source.h"
#include "common/hash.h"
#include "common/time.h"

namespace strix::adapters {

const char* ReasonText(DecodeOutcome o) {
  switch (o) {
    case DecodeOutcome::kBadJson:
      return "bad json";
    case DecodeOutcome::kNotObject:
      return "not an object";
    case DecodeOutcome::kBadTime:
      return "bad time";
    default:
      return "";
  }
}

EventDecoder::EventDecoder(const std::vector<FieldSpec>& fields, Clock clock)
    : num_slots_(fields.size()), clock_(clock) {
  trie_.emplace_back();
  std::map<std::pair<uint32_t, std::string>, uint32_t> kids;
  for (uint32_t s = 0; s < fields.size(); ++s) {
    uint32_t node = 0;
    for (const std::string& seg : fields[s].path) {
      auto [it, added] =
          kids.emplace(std::make_pair(node, seg), static_cast<uint32_t>(trie_.size()));
      if (added) trie_.emplace_back();
      trie_[node].has_kids = true;
      node = it->second;
    }
    trie_[node].slots.emplace_back(s, fields[s].transform);
  }
  edge_table_.Reset(kids.size());
  for (const auto& [key, child] : kids) {
    edge_table_.Add(EdgeHash(key.first, key.second), static_cast<uint32_t>(edges_.size()));
    edges_.push_back(Edge{key.first, child, key.second});
  }
}

uint64_t EventDecoder::EdgeHash(uint32_t parent, std::string_view name) {
  return HashKeyBytes(name, (uint64_t{parent} + 1) * 0x9e3779b97f4a7c15ULL);
}

uint32_t EventDecoder::Find(uint32_t parent, std::string_view name) const {
  uint32_t id = edge_table_.Find(EdgeHash(parent, name), [&](uint32_t i) {
    return edges_[i].parent == parent && KeyEqual(edges_[i].name, name);
  });
  return id == KeyTable::kNone ? UINT32_MAX : edges_[id].child;
}

// Inlined into Walk: a returned Value read back from memory after a call stalls on
// store-to-load forwarding, once per member.
__attribute__((always_inline)) inline Value EventDecoder::Convert(simdjson::dom::element el,
                                                                  Transform t) {
  using simdjson::dom::element_type;
  if (t != Transform::kNone && el.type() != element_type::STRING) return Value();  // lower(5)
  switch (el.type()) {
    case element_type::STRING: {
      std::string_view s = el.get_string().value_unsafe();
      if (t == Transform::kNone) return Value::String(s);
      std::string m(s);
      for (char& c : m) {
        if (t == Transform::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (t == Transform::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      scratch_.push_back(std::move(m));
      return Value::String(scratch_.back());
    }
    case element_type::INT64:
      return Value::Number(static_cast<double>(el.get_int64().value_unsafe()));
    case element_type::UINT64:
      return Value::Number(static_cast<double>(el.get_uint64().value_unsafe()));
    case element_type::DOUBLE:
      return Value::Number(el.get_double().value_unsafe());
    case element_type::BOOL:
      return Value::Bool(el.get_bool().value_unsafe());
    case element_type::NULL_VALUE:
      return Value::Null();
    case element_type::ARRAY:
    case element_type::OBJECT: {
      Value v;
      v.kind = el.type() == element_type::ARRAY ? ValueKind::kArray : ValueKind::kObject;
      size_t n = 0;
      if (v.kind == ValueKind::kArray) {
        n = el.get_array().value_unsafe().size();
      } else {
        n = el.get_object().value_unsafe().size();
      }
      v.number = static_cast<double>(n);
      scratch_.push_back(simdjson::minify(el));
      v.text = scratch_.back();
      return v;
    }
  }
  return Value();
}

void EventDecoder::Walk(simdjson::dom::object obj, uint32_t node, Event& out) {
  size_t k = 0;
  for (auto field : obj) {
    // Events of a stream tend to list their members in the same order: the top level's k-th
    // member is first compared with the last event's k-th one, and hashed only if it differs.
    // Members no rule reads are remembered too (as UINT32_MAX): most members of real events.
    uint32_t id;
    if (node == 0 && k < order_.size() && KeyEqual(order_[k].second, field.key)) {
      id = order_[k].first;
    } else {
      id = Find(node, field.key);
      if (node == 0 && k < kMaxRemembered) {
        if (order_.size() <= k) order_.resize(k + 1, {UINT32_MAX, std::string()});
        order_[k] = {id, std::string(field.key)};
      }
    }
    ++k;
    if (id == UINT32_MAX) continue;
    const Node& child = trie_[id];
    for (auto [slot, t] : child.slots) {
      if (out.slots[slot].missing()) out.slots[slot] = Convert(field.value, t);  // first wins
    }
    if (child.has_kids && field.value.type() == simdjson::dom::element_type::OBJECT) {
      Walk(field.value.get_object().value_unsafe(), id, out);
    }
  }
}

DecodeOutcome EventDecoder::Decode(std::string_view line, Event& out) {
  // A UTF-8 byte-order mark (from Windows tools, usually on a file's first line) is skipped.
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.remove_prefix(3);
  size_t first = line.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return DecodeOutcome::kBlank;
  size_t last = line.find_last_not_of(" \t\r\n");
  std::string_view body = line.substr(first, last - first + 1);
  scratch_.clear();
  simdjson::dom::element root;
  // The caller guarantees padding after `line`, and the bytes after `body` are readable.
  if (body.size() / 2 + 2 > parser_.max_depth()) {
    // Valid JSON may nest as deep as it likes: a line of n bytes nests at most n/2 deep (a few
    // bytes of parser state per level; grown geometrically, never shrunk).
    size_t depth = std::max(body.size() / 2 + 2, parser_.max_depth() * 2);
    if (parser_.allocate(std::max(body.size(), parser_.capacity()), depth))
      return DecodeOutcome::kBadJson;
  }
  auto err = parser_.parse(body.data(), body.size(), false).get(root);
  if (err == simdjson::NUMBER_ERROR || err == simdjson::NUMBER_OUT_OF_RANGE ||
      err == simdjson::STRING_ERROR) {
    // Valid JSON that simdjson refuses (huge numbers, lone surrogates): the slow path.
    if (RepairJson(body, repaired_)) {
      repaired_.append(simdjson::SIMDJSON_PADDING, '\0');
      err = parser_.parse(repaired_.data(), repaired_.size() - simdjson::SIMDJSON_PADDING, false)
                .get(root);
    }
  }
  if (err) return DecodeOutcome::kBadJson;
  if (root.type() != simdjson::dom::element_type::OBJECT) return DecodeOutcome::kNotObject;
  out.raw = body;
  out.slots.assign(num_slots_, Value());
  out.storage.reset();
  Walk(root.get_object().value_unsafe(), 0, out);

  if (clock_ == Clock::kWall) {
    // Arrival time in processing order: never earlier than the event before (the system clock
    // may step back), so nothing can be late under --clock wall.
    out.time = std::max<TimeMs>(last_time_, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  } else {
    const Value& t = out.slots[kTimeSlot];
    if (t.missing()) {
      out.time = last_time_;
    } else if (t.is_number()) {
      if (!std::isfinite(t.number) || std::fabs(t.number) > 9.0e15) return DecodeOutcome::kBadTime;
      out.time = static_cast<TimeMs>(std::floor(t.number));
    } else if (t.is_string()) {
      auto parsed = ParseRfc3339(t.text);
      if (!parsed) return DecodeOutcome::kBadTime;
      out.time = *parsed;
    } else {
      return DecodeOutcome::kBadTime;
    }
  }
  last_time_ = out.time;
  return DecodeOutcome::kEvent;
}

bool DecodeSaved(EventDecoder& dec, const engine::EventRecord& rec, Event& ev) {
  std::string padded = rec.raw;  // the decoder reads padding past the line
  padded.append(kPadding, '\0');
  if (dec.Decode(std::string_view(padded.data(), rec.raw.size()), ev) != DecodeOutcome::kEvent)
    return false;
  ev.Own();
  ev.time = rec.time;
  ev.source = rec.source;
  ev.line = rec.line;
  ev.seq = rec.seq;
  return true;
}

}  // namespace strix::adapters
