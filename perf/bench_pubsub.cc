// Benchmark: the pub/sub workloads of the matching literature (Fabret, k-index, BE-Tree, REIN):
// conjunctions of ranges over integer attributes, matched through the library.
// Workloads (D = 20 integer attributes a0..a19, domain [0, 1e6), uniform values; k ranges on
// distinct attributes, inclusive, each `width` of the domain wide, placed uniformly):
//   bx1: 2,000 conjunctions of 5 ranges, 50% wide, 10,000 events
//   bx2: 100,000 conjunctions of 5 ranges, 50% wide, 1,000 events (~3,100 matches per event)
//   bx3: 100,000 conjunctions of 3-5 ranges, 1% wide, 10,000 events (~0.03 matches per event)
// Method: rules and events from a fixed seed; the matches of the first events are checked
// against a brute-force count (every conjunction against every event) before timing; then the
// events (decoded beforehand) are pushed through an Engine counting complex events.
// `--write DIR` also writes DIR/NAME.strix and DIR/NAME.jsonl for the end-to-end run
// (perf/bench_pubsub.sh runs `strix run` on them).
// Usage: bench_pubsub [--write DIR] [bx1 bx2 bx3]
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "adapters/event_decoder.h"
#include "engine/compile.h"
#include "engine/engine.h"

using namespace strix;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kAttrs = 20;
constexpr int64_t kDomain = 1000000;

struct Workload {
  const char* name;
  int conjunctions, kmin, kmax;
  double width;
  int events;
};

struct Range {
  int attr;
  int64_t lo, hi;  // inclusive
};

struct Generated {
  std::string text;
  std::vector<std::vector<Range>> conj;
  std::vector<std::string> lines;
  std::vector<std::vector<int64_t>> values;
};

Generated Generate(const Workload& w) {
  std::mt19937_64 rng(20261130);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  Generated g;
  const int64_t width = static_cast<int64_t>(w.width * kDomain);
  for (int i = 0; i < w.conjunctions; ++i) {
    int k = static_cast<int>(uniform(w.kmin, w.kmax));
    std::vector<int> attrs(kAttrs);
    for (int a = 0; a < kAttrs; ++a) attrs[a] = a;
    std::shuffle(attrs.begin(), attrs.end(), rng);
    std::vector<Range> c;
    g.text += "rule c" + std::to_string(i) + " on e where ";
    for (int j = 0; j < k; ++j) {
      int64_t lo = uniform(0, kDomain - width);
      c.push_back(Range{attrs[j], lo, lo + width - 1});
      g.text += (j ? " and a" : "a") + std::to_string(attrs[j]) + " in " + std::to_string(lo) +
                ".." + std::to_string(lo + width - 1);
    }
    g.text += "\n";
    g.conj.push_back(std::move(c));
  }
  for (int i = 0; i < w.events; ++i) {
    std::vector<int64_t> v(kAttrs);
    std::string line = "{\"type\":\"e\",\"ts\":" + std::to_string(i);
    for (int a = 0; a < kAttrs; ++a) {
      v[a] = uniform(0, kDomain - 1);
      line += ",\"a" + std::to_string(a) + "\":" + std::to_string(v[a]);
    }
    g.lines.push_back(line + "}");
    g.values.push_back(std::move(v));
  }
  return g;
}

uint64_t BruteForce(const Generated& g, size_t event) {
  uint64_t n = 0;
  for (const auto& c : g.conj) {
    bool all = true;
    for (const Range& r : c) {
      int64_t v = g.values[event][r.attr];
      all = all && v >= r.lo && v <= r.hi;
    }
    n += all;
  }
  return n;
}

struct Count : engine::ComplexEventSink {
  uint64_t n = 0;
  void Emit(const engine::ComplexEvent&) override { ++n; }
};

}  // namespace

int main(int argc, char** argv) {
  const std::vector<Workload> all = {{"bx1", 2000, 5, 5, 0.5, 10000},
                                     {"bx2", 100000, 5, 5, 0.5, 1000},
                                     {"bx3", 100000, 3, 5, 0.01, 10000}};
  std::string write_dir;
  std::vector<Workload> chosen;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--write" && i + 1 < argc) {
      write_dir = argv[++i];
      continue;
    }
    for (const Workload& w : all) {
      if (a == w.name) chosen.push_back(w);
    }
  }
  if (chosen.empty()) chosen = all;
  std::printf("%-5s %8s %8s %10s %12s %12s %12s\n", "load", "rules", "events", "compile_s",
              "matches/ev", "events/s", "checked");
  for (const Workload& w : chosen) {
    Generated g = Generate(w);
    if (!write_dir.empty()) {
      std::ofstream(write_dir + "/" + w.name + ".strix") << g.text;
      std::ofstream ev(write_dir + "/" + w.name + ".jsonl");
      for (const std::string& l : g.lines) ev << l << "\n";
    }
    auto t0 = Clock::now();
    ql::CheckedRules rules = ql::LoadRules({{std::string(w.name) + ".strix", g.text}});
    auto prog = engine::Compile(rules, engine::CompileOptions{});
    double compile_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!rules.ok() || !prog.ok()) {
      std::fprintf(stderr, "%s: rules do not compile\n", w.name);
      return 1;
    }
    const engine::Program& p = **prog;
    adapters::EventDecoder dec(p.fields, adapters::Clock::kEvent);
    std::vector<Event> events(g.lines.size());
    std::vector<simdjson::padded_string> padded;
    for (const std::string& l : g.lines) padded.emplace_back(l);
    for (size_t i = 0; i < g.lines.size(); ++i) {
      dec.Decode(std::string_view(padded[i].data(), padded[i].size()), events[i]);
      events[i].Own();
      events[i].seq = i;
    }
    // Checked before timing: the first events one by one against the brute-force count.
    const size_t check = std::min<size_t>(g.lines.size(), w.conjunctions > 10000 ? 50 : 500);
    {
      engine::Engine eng(p, 0, 10000, 1);
      for (size_t i = 0; i < check; ++i) {
        Count c;
        Event e = events[i].Clone();
        eng.Push(std::move(e), c);
        uint64_t want = BruteForce(g, i);
        if (c.n != want) {
          std::fprintf(stderr, "%s: event %zu: %llu matches, brute force %llu\n", w.name, i,
                       static_cast<unsigned long long>(c.n), static_cast<unsigned long long>(want));
          return 1;
        }
      }
    }
    engine::Engine eng(p, 0, 10000, 1);
    Count c;
    auto t1 = Clock::now();
    for (Event& e : events) eng.Push(std::move(e), c);
    double s = std::chrono::duration<double>(Clock::now() - t1).count();
    std::printf("%-5s %8d %8zu %10.2f %12.2f %12.0f %12zu\n", w.name, w.conjunctions,
                g.lines.size(), compile_s, double(c.n) / double(g.lines.size()),
                double(g.lines.size()) / s, check);
    std::fflush(stdout);
  }
  return 0;
}
