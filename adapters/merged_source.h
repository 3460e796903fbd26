// MergedSource: several inputs read at once (files, standard input and TCP listeners mixed),
// their lines handed over in arrival order.
// Stage: adapters (sources). Interface: the Source interface (line_source.h); Line::input says
// which input a line came from. One reader thread per input copies its lines into one queue
// bounded in bytes (default 64 MiB) and lines: a full queue pauses the readers (back-pressure),
// so a fast file cannot grow memory while a slow consumer catches up, and a listener never
// waits for a file to end (or the other way round). Lines of one input keep their order; lines
// of different inputs interleave as they arrive (with --max-delay, event time orders them).
// The merged source ends when every input has ended; inputs end by themselves at their end or
// when the shared stop flag is set (they then hand over what they had read), so destroy it
// only after that (the destructor joins the readers). Covered by test/adapters_test.cc.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/line_source.h"

namespace strix::adapters {

class MergedSource : public Source {
 public:
  explicit MergedSource(std::vector<std::unique_ptr<Source>> inputs,
                        size_t max_queued_bytes = size_t{64} << 20);
  ~MergedSource() override;

  bool Next(Line& line) override;
  bool LineReady() const override;
  // The first read error of any input, as "input N: message" (N counts from 0).
  const std::string& error() const override { return error_; }
  // Per input: its read error, empty if none (valid once Next() returned false).
  const std::string& input_error(size_t i) const { return errors_[i]; }

 private:
  void Read(size_t i);

  std::vector<std::unique_ptr<Source>> inputs_;
  std::vector<std::thread> readers_;
  std::vector<std::string> errors_;
  size_t max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<OwnedLine> queue_;
  size_t queued_bytes_ = 0;
  size_t running_ = 0;  // readers not finished
  OwnedLine current_;
  std::string error_;
};

}  // namespace strix::adapters
