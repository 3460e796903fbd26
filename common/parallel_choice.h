// ParallelChoice: whether the next batch of a run is matched by the worker threads or by one
// matcher on the calling thread (the way one thread runs), chosen from the time per event each
// way has been measured to take.
// Stage: shared (the run loop consults it per batch, for the batch decoder and the engine:
// Engine::SetParallel). Moving a batch's lines, events and output between cores can cost more
// than the matching it shares out (docs/language.md "Threads"): then one thread matches, as with
// --threads 1. The first batches run on the workers; at the kFirstTrial-th, kTrial batches run
// on one thread, and from then on every kProbe batches kTrial batches try the way not in
// favour, so that a change in the stream is noticed. A change of way moves the matching state
// (Engine::SetParallel: time in proportion to the live partial matches; Moved() reports it): a
// trial also waits until the batches since the last one took kMoveRatio times the two moves it
// would cost (the state's size times the time per partial match the last move took, or
// kMovePerItem before any), so that moving stays a small share of the run however large the
// state. Between trials the way stays: only a trial, which measures both ways fresh, changes it.
// The first batch after a change of way is not measured: it pays for bringing the state into
// the other cores' caches, which a single-batch trial would charge to the way being tried (and
// so keep whichever way came first). The workers are kept unless one thread has been measured
// kMargin faster: per-batch times on a shared machine are noisy, and where both ways are close
// the workers are the better bet. Batches of fewer than kMinEvents events (live input cut
// short) are not measured. Covered by test/common_test.cc.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strix {

class ParallelChoice {
 public:
  static constexpr unsigned kProbe = 128;
  static constexpr unsigned kTrial = 3;  // batches per trial; the first is not measured
  // One thread is first tried at this batch, if moving the state is cheap enough by then.
  static constexpr unsigned kFirstTrial = 4;
  static constexpr size_t kMinEvents = 256;
  static constexpr double kMargin = 0.9;  // one thread must take at most this of the workers' time
  static constexpr double kMoveRatio = 50;  // moving the state: at most ~2% of the run
  // Seconds to move one live partial match, until a move is measured (3 us on the fraud mix:
  // perf/results/2026-12-02-threads-move.txt).
  static constexpr double kMovePerItem = 3e-6;

  // How the next batch runs.
  bool parallel() const { return parallel_; }
  // The batch just run (as parallel() said) took `seconds` for `events` events; `state` is
  // what a change of way would move (live partial matches).
  void Done(size_t events, double seconds, size_t state = 0) {
    if (events < kMinEvents) return;
    const bool way = parallel_;
    ++batches_[way];
    ++done_;
    if (!cold_) {
      double& c = cost_[way];
      const double per = seconds / static_cast<double>(events);
      c = c < 0 ? per : c + 0.25 * (per - c);  // a moving average: one slow batch does not flip it
    }
    since_trial_ += seconds;
    bool next;
    if (trial_left_ > 0) {  // a trial of `way` goes on, or ends
      next = --trial_left_ > 0 ? way : Favoured();
    } else if (done_ >= next_trial_ &&
               since_trial_ >= kMoveRatio * 2 * per_item_ * static_cast<double>(state)) {
      next = !way;  // the next kTrial batches try the other way
      trial_left_ = kTrial;
      next_trial_ = done_ + kProbe;
      since_trial_ = 0;
    } else {
      next = way;
    }
    cold_ = next != way;
    parallel_ = next;
  }
  // A change of way took `seconds` to move `state` (as Done's).
  void Moved(double seconds, size_t state) {
    if (state >= kMinState) per_item_ = seconds / static_cast<double>(state);
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
  uint64_t next_trial_ = kFirstTrial - 1;  // the measured batch after which a trial may begin
  // Seconds of measured batches since the last trial; the first starts with kGrace of credit,
  // so that where the state is small (a few ms to move) the first trial comes at kFirstTrial.
  static constexpr double kGrace = 0.25;
  double since_trial_ = kGrace;
  // Seconds per item of state to move; measured on moves of at least kMinState items (the
  // fixed cost of a smaller one says little about a larger).
  static constexpr size_t kMinState = 1000;
  double per_item_ = kMovePerItem;
  unsigned trial_left_ = 0;
  bool cold_ = true;  // the batch running is the first its way (the first of all, too)
  bool parallel_ = true;
};

}  // namespace strix
