// Parallel batch decoding (see batch_decoder.h).
#include "adapters/batch_decoder.h"

#include <simdjson.h>

#include <algorithm>

#include "common/parallel.h"

namespace strix::adapters {

BatchDecoder::BatchDecoder(const std::vector<FieldSpec>& fields, Clock clock, unsigned threads)
    : clock_(clock) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    decoders_.push_back(std::make_unique<EventDecoder>(fields, clock));
  }
}

BatchDecoder::~BatchDecoder() = default;

void BatchDecoder::Add(std::string_view line) {
  offsets_.emplace_back(text_.size(), line.size());
  text_.append(line);
  text_.append(simdjson::SIMDJSON_PADDING, ' ');
}

std::string_view BatchDecoder::line(size_t i) const {
  return std::string_view(text_.data() + offsets_[i].first, offsets_[i].second);
}

void BatchDecoder::Decode(bool parallel) {
  size_t n = offsets_.size();
  events_.resize(n);
  outcomes_.assign(n, DecodeOutcome::kBlank);
  size_t chunks = decoders_.size();
  ParallelFor(
      chunks,
      [&](size_t c) {
        EventDecoder& d = *decoders_[c];
        for (size_t i = c * n / chunks; i < (c + 1) * n / chunks; ++i) {
          events_[i] = Event();
          outcomes_[i] = d.Decode(line(i), events_[i]);
          if (outcomes_[i] == DecodeOutcome::kEvent) events_[i].Own();
        }
      },
      parallel);
  // Missing times take the previous decoded event's time, in input order. Under --clock wall
  // the chunks were stamped by different threads: times are made non-decreasing in input
  // order (arrival in processing order), so nothing is late.
  for (size_t i = 0; i < n; ++i) {
    if (outcomes_[i] != DecodeOutcome::kEvent) continue;
    if (clock_ == Clock::kEvent && events_[i].slots[kTimeSlot].missing())
      events_[i].time = last_time_;
    if (clock_ == Clock::kWall) events_[i].time = std::max(events_[i].time, last_time_);
    last_time_ = events_[i].time;
  }
}

void BatchDecoder::Clear() {
  text_.clear();
  offsets_.clear();
  events_.clear();
  outcomes_.clear();
}

}  // namespace strix::adapters
