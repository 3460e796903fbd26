// ParallelFor: runs fn(0..n-1) on worker threads and returns when all are done (with `parallel`
// false: one after the other on the calling thread, see parallel_choice.h).
// Stage: shared (the sharded matcher and the batch decoder). oneTBB's parallel_for in normal
// builds; under ThreadSanitizer (-DSTRIX_TSAN=ON) one std::thread per index instead, because
// libtbb is not instrumented and TSan cannot see the hand-over inside it (every access after a
// parallel_for would be reported as a race). The callers' code is the same in both.
#pragma once

#include <cstddef>

#if defined(STRIX_TSAN)
#include <thread>
#include <vector>
#else
#include <tbb/parallel_for.h>
#endif

namespace strix {

template <class Fn>
void ParallelFor(size_t n, const Fn& fn, bool parallel = true) {
  if (!parallel) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
#if defined(STRIX_TSAN)
  std::vector<std::thread> threads;
  for (size_t i = 1; i < n; ++i) threads.emplace_back([&fn, i] { fn(i); });
  if (n > 0) fn(0);
  for (std::thread& t : threads) t.join();
#else
  tbb::parallel_for(size_t(0), n, fn);
#endif
}

}  // namespace strix
