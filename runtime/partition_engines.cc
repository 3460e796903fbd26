// One engine per Kafka partition (see partition_engines.h).
#include "runtime/partition_engines.h"

#include <algorithm>
#include <limits>

#include "runtime/reload.h"

namespace strix::runtime {
namespace {

void Add(engine::RunStats& to, const engine::RunStats& s) {
  to.events_in += s.events_in;
  to.matched += s.matched;
  to.emitted += s.emitted;
  to.late += s.late;
  to.future += s.future;
  to.rejected += s.rejected;
  to.suppressed += s.suppressed;
  to.dropped_partial += s.dropped_partial;
  to.dropped_state += s.dropped_state;
}

}  // namespace

std::unique_ptr<engine::Engine> PartitionEngines::NewEngine() const {
  auto e = std::make_unique<engine::Engine>(*p_, s_.max_delay_ms, s_.max_partial_matches, 1);
  if (s_.max_future_ms) e->set_max_future(*s_.max_future_ms);
  e->set_max_state(s_.max_state_bytes);
  return e;
}

PartitionEngines::Part& PartitionEngines::Get(uint32_t source) {
  Part& part = parts_[source];
  if (!part.engine) {
    part.engine = NewEngine();
    if (init_) init_(*part.engine);
    part.last_arrival = std::chrono::steady_clock::now();
  }
  return part;
}

size_t PartitionEngines::state_bytes() const {
  size_t n = 0;
  for (const auto& [source, part] : parts_) n += part.engine->state_bytes();
  return n;
}

bool PartitionEngines::watermark(TimeMs* wm) const {
  bool any = false;
  for (const auto& [source, part] : parts_) {
    if (!part.engine->seen_any()) continue;
    *wm = any ? std::min(*wm, part.engine->watermark()) : part.engine->watermark();
    any = true;
  }
  return any;
}

engine::RestoreReport PartitionEngines::Reload(const engine::Program& p,
                                               const engine::Engine::DecodeFn& decode,
                                               const std::vector<int64_t>* rule_map) {
  p_ = &p;
  engine::RestoreReport total;
  for (auto& [source, part] : parts_) {
    std::unique_ptr<engine::Engine> next = NewEngine();
    engine::RestoreReport r = TakeOverState(*part.engine, *next, decode, rule_map);
    part.engine = std::move(next);
    part.dirty = true;
    total.partial_matches += r.partial_matches;
    total.dropped_rules = std::max(total.dropped_rules, r.dropped_rules);
    total.dropped_partial += r.dropped_partial;
    total.undecodable_events += r.undecodable_events;
  }
  return total;
}

void PartitionEngines::Drop(uint32_t source) {
  auto it = parts_.find(source);
  if (it == parts_.end()) return;
  Add(dropped_, it->second.engine->stats());
  it->second.engine->TakeSuppressedByRule(dropped_suppressed_);
  parts_.erase(it);
}

engine::Admit PartitionEngines::Push(Event&& e, uint32_t source, engine::ComplexEventSink& sink) {
  Part& part = Get(source);
  part.last_arrival = std::chrono::steady_clock::now();
  part.dirty = true;
  return part.engine->Push(std::move(e), sink);
}

void PartitionEngines::Tick(engine::ComplexEventSink& sink) {
  auto now = std::chrono::steady_clock::now();
  bool any_active = false;
  TimeMs low = std::numeric_limits<TimeMs>::max(), high = std::numeric_limits<TimeMs>::min();
  for (auto& [source, part] : parts_) {
    const engine::Engine& eng = *part.engine;
    // A partition with no event yet holds time back until it goes idle (its events may be
    // the oldest).
    TimeMs w = eng.seen_any() ? eng.watermark() : std::numeric_limits<TimeMs>::min();
    if (eng.seen_any()) high = std::max(high, w);
    if (now - part.last_arrival > std::chrono::milliseconds(s_.idle_timeout_ms)) continue;
    any_active = true;
    low = std::min(low, w);
  }
  TimeMs wm = any_active ? low : high;
  if (wm == std::numeric_limits<TimeMs>::min()) return;
  for (auto& [source, part] : parts_) {
    if (part.engine->AdvanceTo(wm, sink)) part.dirty = true;
  }
}

engine::RunStats PartitionEngines::stats() const {
  engine::RunStats s = dropped_;
  for (const auto& [source, part] : parts_) Add(s, part.engine->stats());
  return s;
}

void PartitionEngines::PartialMatchesByRule(std::vector<uint64_t>& add) const {
  for (const auto& [source, part] : parts_) part.engine->PartialMatchesByRule(add);
}

void PartitionEngines::TakeSuppressedByRule(std::vector<uint64_t>& add) {
  for (auto& [source, part] : parts_) part.engine->TakeSuppressedByRule(add);
  for (size_t r = 0; r < dropped_suppressed_.size() && r < add.size(); ++r)
    add[r] += dropped_suppressed_[r];
  dropped_suppressed_.clear();
}

size_t PartitionEngines::live_partial_matches() const {
  size_t n = 0;
  for (const auto& [source, part] : parts_) n += part.engine->live_partial_matches();
  return n;
}

}  // namespace strix::runtime
