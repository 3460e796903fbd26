// Event::Own(): gives an event its own copy of the bytes it views (see event.h).
#include "common/event.h"

#include <cstring>

namespace strix {

void Event::Own() {
  size_t total = raw.size();
  for (const Value& v : slots) total += v.text.size();
  auto fresh = std::make_unique<char[]>(total + 1);
  char* at = fresh.get();
  auto keep = [&](std::string_view& s) {
    if (!s.empty()) std::memcpy(at, s.data(), s.size());
    s = std::string_view(at, s.size());
    at += s.size();
  };
  keep(raw);
  for (Value& v : slots) keep(v.text);
  storage = std::move(fresh);
}

Event Event::Clone() const {
  Event c;
  c.raw = raw;
  c.time = time;
  c.source = source;
  c.line = line;
  c.seq = seq;
  c.slots = slots;
  c.Own();
  return c;
}

}  // namespace strix
