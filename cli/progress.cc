// Progress bar (see progress.h).
#include "cli/progress.h"

#include <cstdio>
#include <string>

namespace strix::cli {

void Progress::Update(uint64_t events, int64_t position, int64_t size) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  Draw(events, position, size);
}

void Progress::Done(uint64_t events, int64_t position, int64_t size) {
  if (!enabled_) return;
  Draw(events, position, size);
  std::fputc('\n', stderr);
}

void Progress::Draw(uint64_t events, int64_t position, int64_t size) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = secs > 0 ? events / secs : 0;
  std::string bar;
  if (size > 0 && position >= 0) {
    double frac = std::min(1.0, double(position) / double(size));
    int filled = int(frac * 30);
    bar = "[" + std::string(size_t(filled), '#') + std::string(size_t(30 - filled), '.') + "] ";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%3.0f%% ", frac * 100);
    bar += buf;
    if (frac > 0 && frac < 1) {
      std::snprintf(buf, sizeof buf, " %.0fs left", secs / frac - secs);
      bar += std::to_string(events) + " events, " + std::to_string(uint64_t(rate)) + " events/s," +
             buf;
    } else {
      bar += std::to_string(events) + " events, " + std::to_string(uint64_t(rate)) + " events/s";
    }
  } else {
    bar = std::to_string(events) + " events, " + std::to_string(uint64_t(rate)) + " events/s";
  }
  std::fprintf(stderr, "\r%-100s", bar.c_str());
  std::fflush(stderr);
}

}  // namespace strix::cli
