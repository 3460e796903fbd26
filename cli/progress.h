// Progress: a one-line progress bar on standard error for `strix replay` (events, rate,
// position in the file, time left), redrawn at most ten times a second.
// Stage: cli (presentation only). Interface: Progress::Update(), Progress::Done().
#pragma once

#include <chrono>
#include <cstdint>

namespace strix::cli {

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  // `position`/`size` in bytes of the input (size < 0 when unknown).
  void Update(uint64_t events, int64_t position, int64_t size);
  void Done(uint64_t events, int64_t position, int64_t size);

 private:
  void Draw(uint64_t events, int64_t position, int64_t size);
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_{};
};

}  // namespace strix::cli
