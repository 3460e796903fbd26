// Engine: watermark, late routing, the reorder buffer and timers around the matcher
// (see engine.h).
#include "engine/engine.h"

namespace strix::engine {

Engine::Engine(const Program& p, int64_t max_delay_ms, size_t max_partial_matches)
    : p_(p), max_delay_(max_delay_ms), matcher_(p, max_partial_matches) {}

Admit Engine::Push(Event&& e, ComplexEventSink& sink) {
  if (seen_any_ && e.time < watermark_) {
    ++stats_.late;
    return Admit::kLate;
  }
  ++stats_.events_in;
  if (!seen_any_ || e.time > max_seen_) max_seen_ = e.time;
  seen_any_ = true;
  watermark_ = max_seen_ - max_delay_;
  if (max_delay_ == 0) {
    matcher_.FireDeadlines(watermark_, sink, stats_);
    matcher_.Process(e, sink, stats_);
    return Admit::kAccepted;
  }
  e.Own();
  held_.push(std::move(e));
  Release(watermark_, watermark_, sink);
  return Admit::kAccepted;
}

void Engine::Release(TimeMs upto, TimeMs timers_before, ComplexEventSink& sink) {
  while (true) {
    bool event_ready = !held_.empty() && held_.top().time <= upto;
    TimeMs deadline = matcher_.NextDeadline();
    bool timer_ready = deadline < timers_before && deadline != kEndOfTime;
    // A deadline d comes after every event of time up to d and before any later one.
    if (timer_ready && (!event_ready || deadline < held_.top().time)) {
      matcher_.FireDeadlines(deadline + 1, sink, stats_);
      continue;
    }
    if (!event_ready) break;
    // priority_queue::top is const; move out through a copy of the handle.
    Event e = std::move(const_cast<Event&>(held_.top()));
    held_.pop();
    matcher_.Process(e, sink, stats_);
  }
}

void Engine::Finish(ComplexEventSink& sink, bool interrupted) {
  if (interrupted) {
    // Held events are matched in order; timers fire only as far as they would have.
    while (!held_.empty()) Release(held_.top().time, held_.top().time, sink);
    return;
  }
  Release(kEndOfTime, kEndOfTime, sink);
  matcher_.FireDeadlines(kEndOfTime, sink, stats_);
}

}  // namespace strix::engine
