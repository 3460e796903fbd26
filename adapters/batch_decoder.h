// BatchDecoder: decodes a batch of JSON Lines in parallel (oneTBB), for `--threads` > 1.
// Stage: adapters (decode). Interface: Add(), Decode(), then read events()/outcomes().
//
//   BatchDecoder d(program.fields, clock, threads);
//   d.Add(line_text, ...);                // copies the line (with simdjson padding)
//   d.Decode();                           // parallel; events own their bytes (Event::Own)
//   for i: d.outcome(i), d.event(i)       // in input order
//   d.Clear();
//
// Each chunk has its own EventDecoder. An event without a time takes the previous decoded
// event's time (LANGUAGE.md 1): that is fixed up in input order after the parallel part, so
// the result equals sequential decoding. Not thread-safe itself.
// Covered by test/adapters_test.cc.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapters/event_decoder.h"

namespace strix::adapters {

class BatchDecoder {
 public:
  BatchDecoder(const std::vector<FieldSpec>& fields, Clock clock, unsigned threads);
  ~BatchDecoder();

  void Add(std::string_view line);
  size_t size() const { return offsets_.size(); }
  // `parallel` false: every chunk on the calling thread (common/parallel_choice.h).
  void Decode(bool parallel = true);
  DecodeOutcome outcome(size_t i) const { return outcomes_[i]; }
  Event& event(size_t i) { return events_[i]; }
  std::string_view line(size_t i) const;
  void Clear();

 private:
  std::vector<std::unique_ptr<EventDecoder>> decoders_;
  Clock clock_;
  TimeMs last_time_ = 0;
  std::string text_;                                // lines, each followed by padding
  std::vector<std::pair<size_t, size_t>> offsets_;  // (start, length) in text_
  std::vector<Event> events_;
  std::vector<DecodeOutcome> outcomes_;
};

}  // namespace strix::adapters
