// StoredEvent::Make: the compact, one-allocation copy of an event (see stored_event.h).
#include "engine/stored_event.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

namespace strix::engine {

const Value StoredEvent::kMissing{};

StoredEvent* StoredEvent::Make(const Event& e, EventMeter* meter,
                               const std::vector<uint32_t>* keep_slots) {
  // The slots to look at: those asked for (ascending), or all of them.
  const uint32_t nslots = static_cast<uint32_t>(e.slots.size());
  const uint32_t* wanted = keep_slots ? keep_slots->data() : nullptr;
  const uint32_t nwanted = keep_slots ? static_cast<uint32_t>(keep_slots->size()) : nslots;
  auto slot_at = [&](uint32_t k) { return wanted ? wanted[k] : k; };
  uint32_t nvalues = 0, nlow = 0;
  size_t text = e.raw.size();
  for (uint32_t k = 0; k < nwanted; ++k) {
    const uint32_t i = slot_at(k);
    if (i >= nslots) break;
    const Value& v = e.slots[i];
    if (v.missing()) continue;
    ++nvalues;
    nlow += i < 64;
    text += v.text.size();
  }
  const size_t bytes = BlockBytes(nvalues, nlow, text);
  void* block = ::operator new(bytes);
  auto* s = new (block) StoredEvent();
  s->meter_ = meter;
  s->nvalues_ = nvalues;
  s->nlow_ = static_cast<uint8_t>(nlow);
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
  for (uint32_t k = 0; k < nwanted; ++k) {
    const uint32_t i = slot_at(k);
    if (i >= nslots) break;
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
  if (e->meter_) e->meter_->fetch_sub(static_cast<int64_t>(e->bytes()), std::memory_order_relaxed);
  e->~StoredEvent();  // (Value is trivially destructible: the values need no destructor)
  ::operator delete(const_cast<StoredEvent*>(e));
}

size_t StoredEvent::bytes() const {
  size_t text = head.raw.size();
  for (uint32_t i = 0; i < nvalues_; ++i) text += values()[i].text.size();
  return BlockBytes(nvalues_, nlow_, text);
}

const Value& StoredEvent::HighSlot(uint32_t i) const {
  const uint32_t* begin = high();
  const uint32_t* end = begin + (nvalues_ - nlow_);
  const uint32_t* it = std::lower_bound(begin, end, i);
  return it != end && *it == i ? values()[nlow_ + (it - begin)] : kMissing;
}

}  // namespace strix::engine
