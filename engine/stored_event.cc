// StoredEvent::Make: the compact, one-allocation copy of an event (see stored_event.h).
#include "engine/stored_event.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace strix::engine {

const Value StoredEvent::kMissing{};

StoredEvent* StoredEvent::Make(const Event& e, EventMeter* meter) {
  uint32_t nvalues = 0, nlow = 0;
  size_t text = e.raw.size();
  for (uint32_t i = 0; i < e.slots.size(); ++i) {
    const Value& v = e.slots[i];
    if (v.missing()) continue;
    ++nvalues;
    nlow += i < 64;
    text += v.text.size();
  }
  const size_t bytes =
      sizeof(StoredEvent) + nvalues * sizeof(Value) + (nvalues - nlow) * sizeof(uint32_t) + text;
  void* block = ::operator new(bytes);
  auto* s = new (block) StoredEvent();
  s->meter_ = meter;
  s->bytes_ = bytes;
  s->nvalues_ = nvalues;
  s->nlow_ = nlow;
  auto* values = reinterpret_cast<Value*>(s + 1);
  auto* high = reinterpret_cast<uint32_t*>(values + nvalues);
  char* at = reinterpret_cast<char*>(high + (nvalues - nlow));
  auto keep = [&](std::string_view v) {
    if (!v.empty()) std::memcpy(at, v.data(), v.size());
    std::string_view copy(at, v.size());
    at += v.size();
    return copy;
  };
  s->head = static_cast<const EventHead&>(e);
  s->head.raw = keep(e.raw);
  uint32_t n = 0;
  for (uint32_t i = 0; i < e.slots.size(); ++i) {
    const Value& v = e.slots[i];
    if (v.missing()) continue;
    if (i < 64) {
      s->low_ |= uint64_t(1) << i;
    } else {
      high[n - nlow] = i;
    }
    Value* copy = new (values + n++) Value(v);
    copy->text = keep(v.text);
  }
  if (meter) meter->fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  return s;
}

void StoredEvent::Destroy(const StoredEvent* e) {
  if (e->meter_) e->meter_->fetch_sub(static_cast<int64_t>(e->bytes_), std::memory_order_relaxed);
  e->~StoredEvent();  // (Value is trivially destructible: the values need no destructor)
  ::operator delete(const_cast<StoredEvent*>(e));
}

const Value& StoredEvent::HighSlot(uint32_t i) const {
  const uint32_t* begin = high();
  const uint32_t* end = begin + (nvalues_ - nlow_);
  const uint32_t* it = std::lower_bound(begin, end, i);
  return it != end && *it == i ? values()[nlow_ + (it - begin)] : kMissing;
}

}  // namespace strix::engine
