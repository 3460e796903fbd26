// Benchmark: what moving data between two cores costs on this machine, the bound on what
// `--threads` can gain (issue 13 item 4; perf/results/2026-12-01-sequence-path.txt).
//   1. hand-over: two threads pinned to CPUs A and B pass one cache line back and forth
//      (release store, acquire spin); half the round trip is one core-to-core transfer.
//   2. objects: a thread fills a batch of N small heap objects (96 bytes, about an event,
//      reached through a shuffled pointer array), then a reader sums one field of each: on
//      the same core, and on the other core. The difference per object is what a batch pays
//      when its events were written on another core moments before.
// Checked before timing: every reader's sum equals the sum computed while writing.
// Usage: bench_core_to_core [A B] [objects]   (default CPUs 0 1, batches of 4,096 objects)
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

bool Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

double Ns(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

// 1. Round trips of one cache line between the two CPUs.
double RoundTripNs(int a, int b, int rounds) {
  alignas(64) std::atomic<int64_t> flag{0};
  std::thread other([&] {
    Pin(b);
    for (int64_t i = 0; i < rounds; ++i) {
      while (flag.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      flag.store(2 * i + 2, std::memory_order_release);
    }
  });
  Pin(a);
  const auto s = Clock::now();
  for (int64_t i = 0; i < rounds; ++i) {
    flag.store(2 * i + 1, std::memory_order_release);
    while (flag.load(std::memory_order_acquire) != 2 * i + 2) {
    }
  }
  const auto e = Clock::now();
  other.join();
  return Ns(s, e) / rounds;
}

struct Obj {
  int64_t value;
  char rest[88];
};

// 2. A batch of objects written on CPU `maker`, then read on CPU `reader`, `reps` times (the
// batch stays in the maker's caches, as a batch of just-decoded events does): ns per object.
double ReadNs(int maker, int reader, size_t n, int reps, bool& ok) {
  std::vector<std::unique_ptr<Obj>> objs(n);
  std::vector<Obj*> order(n);
  for (size_t i = 0; i < n; ++i) {
    objs[i] = std::make_unique<Obj>();
    order[i] = objs[i].get();
  }
  std::mt19937_64 rng(20261201);
  std::shuffle(order.begin(), order.end(), rng);
  double ns = 0;
  for (int r = 0; r < reps; ++r) {
    int64_t want = 0, sum = 0;
    std::thread make([&] {
      Pin(maker);
      for (size_t i = 0; i < n; ++i) {
        objs[i]->value = static_cast<int64_t>((i * 7919 + static_cast<size_t>(r)) % 1000);
        std::fill(std::begin(objs[i]->rest), std::end(objs[i]->rest), static_cast<char>(i + r));
        want += objs[i]->value;
      }
    });
    make.join();
    std::thread read([&] {
      Pin(reader);
      const auto s = Clock::now();
      for (Obj* o : order) sum += o->value;
      ns += Ns(s, Clock::now());
    });
    read.join();
    ok = ok && sum == want;
  }
  return ns / static_cast<double>(n) / reps;
}

}  // namespace

int main(int argc, char** argv) {
  const int a = argc > 2 ? std::atoi(argv[1]) : 0;
  const int b = argc > 2 ? std::atoi(argv[2]) : 1;
  const size_t n = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 4096;
  std::printf("# CPUs %d and %d; batches of %zu objects of %zu bytes\n", a, b, n, sizeof(Obj));
  RoundTripNs(a, b, 10000);  // warm up
  for (int round = 0; round < 3; ++round) {
    const double rt = RoundTripNs(a, b, 200000);
    bool ok = true;
    const double same = ReadNs(a, a, n, 200, ok);
    const double other = ReadNs(a, b, n, 200, ok);
    if (!ok) {
      std::fprintf(stderr, "bench_core_to_core: a reader's sum differs from the writer's\n");
      return 1;
    }
    std::printf(
        "round trip %.0f ns (one transfer ~%.0f ns); object read: written on the same "
        "core %.1f ns, on the other core %.1f ns\n",
        rt, rt / 2, same, other);
  }
  return 0;
}
