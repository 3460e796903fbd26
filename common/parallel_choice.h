// ParallelChoice: whether the next batch of a run is shared out to the worker threads or run on
// the calling thread, chosen from the time per event each way has been measured to take.
// Stage: shared (the run loop consults it per batch for the batch decoder and the sharded
// matcher; both run the same code either way, ParallelFor with `parallel` false). Moving a
// batch's lines, events and output between cores can cost more than the matching it shares out
// (docs/language.md "Threads"): then the batches stay on one thread, the partitions stay where
// they are (nothing is moved). The first batches run on the workers; at the kFirstTrial-th,
// kTrial batches run on one thread, and from then on every kProbe batches kTrial batches try
// the way not in favour, so that a change in the stream is noticed. The first batch after a
// change of way is not measured: it pays for bringing the partitions' state into the other
// cores' caches, which a single-batch trial would charge to the way being tried (and so keep
// whichever way came first). The workers are kept unless one thread has been measured kMargin
// faster: per-batch times on a shared machine are noisy, and where both ways are close the
// workers are the better bet. Batches of fewer than kMinEvents events (live input cut short)
// are not measured. Covered by test/common_test.cc.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strix {

class ParallelChoice {
 public:
  static constexpr unsigned kProbe = 128;
  static constexpr unsigned kTrial = 3;  // batches per trial; the first is not measured
  // One thread is first tried from this batch on: the first ones, while the partitions are
  // being created, run on the workers (a trial among them measured slower on the fraud mix).
  static constexpr unsigned kFirstTrial = 16;
  static constexpr size_t kMinEvents = 256;
  static constexpr double kMargin = 0.9;  // one thread must take at most this of the workers' time

  // How the next batch runs.
  bool parallel() const { return parallel_; }
  // The batch just run (as parallel() said) took `seconds` for `events` events.
  void Done(size_t events, double seconds) {
    if (events < kMinEvents) return;
    const bool way = parallel_;
    ++batches_[way];
    ++done_;
    if (!cold_) {
      double& c = cost_[way];
      const double per = seconds / static_cast<double>(events);
      c = c < 0 ? per : c + 0.25 * (per - c);  // a moving average: one slow batch does not flip it
    }
    bool next;
    if (trial_left_ > 0) {  // a trial of `way` goes on, or ends
      next = --trial_left_ > 0 ? way : Favoured();
    } else if (done_ + 1 >= kFirstTrial && (done_ + 1 - kFirstTrial) % kProbe == 0) {
      next = !Favoured();  // the next kTrial batches try the other way
      trial_left_ = kTrial;
    } else {
      next = Favoured();
    }
    cold_ = next != way;
    parallel_ = next;
  }
  // Batches run each way (for --stats).
  uint64_t parallel_batches() const { return batches_[1]; }
  uint64_t serial_batches() const { return batches_[0]; }

 private:
  // The workers, unless one thread has been measured kMargin faster.
  bool Favoured() const {
    if (cost_[0] < 0 || cost_[1] < 0) return true;
    return !(cost_[0] < kMargin * cost_[1]);
  }

  double cost_[2] = {-1, -1};  // seconds per event: [one thread, workers]; -1 not measured
  uint64_t batches_[2] = {0, 0};
  uint64_t done_ = 0;
  unsigned trial_left_ = 0;
  bool cold_ = true;  // the batch running is the first its way (the first of all, too)
  bool parallel_ = true;
};

}  // namespace strix
