// Engine: watermark, late routing and the reorder buffer around the matcher (see engine.h).
#include "engine/engine.h"

namespace strix::engine {

Engine::Engine(const Program& p, int64_t max_delay_ms)
    : p_(p), max_delay_(max_delay_ms), matcher_(p) {}

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
    matcher_.Process(e, sink, stats_);
    return Admit::kAccepted;
  }
  e.Own();
  held_.push(std::move(e));
  Release(watermark_, sink);
  return Admit::kAccepted;
}

void Engine::Release(TimeMs upto, ComplexEventSink& sink) {
  while (!held_.empty() && held_.top().time <= upto) {
    // priority_queue::top is const; move out through a copy of the handle.
    Event e = std::move(const_cast<Event&>(held_.top()));
    held_.pop();
    matcher_.Process(e, sink, stats_);
  }
}

void Engine::Finish(ComplexEventSink& sink) {
  Release(std::numeric_limits<TimeMs>::max(), sink);
}

}  // namespace strix::engine
