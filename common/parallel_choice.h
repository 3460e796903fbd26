// ParallelChoice: whether the next batch of a run is shared out to the worker threads or run on
// the calling thread, chosen from the time per event each way has been measured to take.
// Stage: shared (the run loop consults it per batch for the batch decoder and the sharded
// matcher; both run the same code either way, ParallelFor with `parallel` false). Moving a
// batch's lines, events and output between cores can cost more than the matching it shares out
// (docs/language.md "Threads"): then the batches stay on one thread, the partitions stay where
// they are (nothing is moved). The first batches run on the workers, the kFirstTrial-th on one
// thread, and from then on every kProbe-th batch tries the way not in favour, so that a
// change in the stream is noticed. The workers are kept unless one thread has been measured
// kMargin faster: per-batch times on a shared machine are noisy, and where both ways are close
// the workers are the better bet. Batches of fewer than kMinEvents events (live input cut
// short) are not measured. Covered by test/common_test.cc.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strix {

class ParallelChoice {
 public:
  static constexpr unsigned kProbe = 64;
  // One thread is first tried on this batch: the first ones, while the partitions are being
  // created, run on the workers (a trial among them measured slower on the fraud mix).
  static constexpr unsigned kFirstTrial = 16;
  static constexpr size_t kMinEvents = 256;
  static constexpr double kMargin = 0.9;  // one thread must take at most this of the workers' time

  // How the next batch runs.
  bool parallel() const { return parallel_; }
  // The batch just run (as parallel() said) took `seconds` for `events` events.
  void Done(size_t events, double seconds) {
    if (events < kMinEvents) return;
    double& c = cost_[parallel_];
    const double per = seconds / static_cast<double>(events);
    c = c < 0 ? per : c + 0.25 * (per - c);  // a moving average: one slow batch does not flip it
    ++batches_[parallel_];
    ++measured_;
    if (cost_[0] < 0) {
      parallel_ = measured_ + 1 < kFirstTrial;  // one thread not tried yet: at kFirstTrial
    } else {
      const bool best = !(cost_[0] < kMargin * cost_[1]);
      parallel_ = measured_ % kProbe == 0 ? !best : best;
    }
  }
  // Batches measured each way (for --stats).
  uint64_t parallel_batches() const { return batches_[1]; }
  uint64_t serial_batches() const { return batches_[0]; }

 private:
  double cost_[2] = {-1, -1};  // seconds per event: [one thread, workers]; -1 not measured
  uint64_t batches_[2] = {0, 0};
  uint64_t measured_ = 0;
  bool parallel_ = true;
};

}  // namespace strix
