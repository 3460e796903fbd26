// Benchmark: the sequence queries of the CEP literature's comparisons (SASE, CORE, OpenCEP),
// skip-till-any-match (`every`) within 1000 ms over one stream (issue 13 item 6):
//   Q1   a: A  b: B where id == a.id          (no `by`: the join is in the condition)
//   Q2   by id: A B C
//   Q3   a: A where x < 10  b: B where x > 90  (no key at all)
//   Q10  ten rules like Q1 over ten ordered type pairs
//   Q1000  a thousand standing sequence rules `by id`: rule i is `a: A where x == i % 100`
//        then `b: B where x == 7i % 100` (each event concerns every rule with a live match)
// Stream: 1M events (default), types A-D uniform, id uniform over 100 values, x uniform over
// 0..99, one event per millisecond (ts = line number - 1), so a window holds 1,000 events.
// Method: the complex events of each query are counted by brute force (for each completing
// event, the earlier events of the window it pairs with: independent of the engine); the
// engine's output on the first 3,000 events is checked against the literal sequence reference
// (test/sequence_reference.h); then the stream (decoded in the timed loop, as `strix run`
// does) is pushed through an Engine that counts complex events, which must equal the brute
// force. Prints events/s and the count; `--write DIR` writes DIR/events.jsonl, DIR/QN.strix and
// DIR/QN.count for the end-to-end run (perf/bench_cep.sh runs `strix run` on them).
// Usage: bench_cep [--write DIR] [events] [Q1 Q2 Q3 Q10 Q1000]
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "adapters/event_decoder.h"
#include "engine/compile.h"
#include "engine/engine.h"
#include "test/sequence_reference.h"

using namespace strix;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kWindow = 1000;
constexpr int kIds = 100;

struct Ev {
  int type;  // 0..3: A..D
  int id, x;
  int64_t ts;
};

std::vector<Ev> Generate(size_t n) {
  std::mt19937_64 rng(20261201);
  std::vector<Ev> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = Ev{int(rng() % 4), int(rng() % kIds), int(rng() % 100), int64_t(i)};
  }
  return out;
}

std::string Line(const Ev& e) {
  static const char* kTypes[] = {"A", "B", "C", "D"};
  return std::string("{\"type\":\"") + kTypes[e.type] + "\",\"ts\":" + std::to_string(e.ts) +
         ",\"id\":" + std::to_string(e.id) + ",\"x\":" + std::to_string(e.x) + "}";
}

const std::pair<int, int> kPairs[10] = {{0, 1}, {0, 2}, {0, 3}, {1, 0}, {1, 2},
                                        {1, 3}, {2, 0}, {2, 1}, {2, 3}, {3, 0}};

std::string Rules(const std::string& q) {
  const std::string head = " on sequence within 1000ms every\n";
  if (q == "Q1") return "rule q1" + head + "  a: A\n  b: B where id == a.id\n  emit { id: b.id }\n";
  if (q == "Q2") {
    return "rule q2 on sequence by id within 1000ms every\n  a: A\n  b: B\n  c: C\n"
           "  emit { id: c.id }\n";
  }
  if (q == "Q3") return "rule q3" + head + "  a: A where x < 10\n  b: B where x > 90\n";
  std::string t;
  if (q == "Q1000") {
    for (int i = 0; i < 1000; ++i) {
      t += "rule m" + std::to_string(i) +
           " on sequence by id within 1000ms every a: A where x == " + std::to_string(i % 100) +
           " b: B where x == " + std::to_string(i * 7 % 100) + "\n";
    }
    return t;
  }
  static const char* kTypes[] = {"A", "B", "C", "D"};
  for (int i = 0; i < 10; ++i) {
    t += "rule q10_" + std::to_string(i) + head + "  a: " + kTypes[kPairs[i].first] +
         "\n  b: " + kTypes[kPairs[i].second] + " where id == a.id\n";
  }
  return t;
}

// Pairs (first of type t1 and `ok1`, then one of type t2 and `ok2`, the same id when `join`)
// whose second is at most kWindow after the first.
template <class F1, class F2>
uint64_t CountPairs(const std::vector<Ev>& s, int t1, int t2, bool join, F1 ok1, F2 ok2) {
  std::vector<std::deque<int64_t>> firsts(join ? kIds : 1);
  uint64_t n = 0;
  for (const Ev& e : s) {
    if (e.type == t2 && ok2(e)) {
      std::deque<int64_t>& d = firsts[join ? size_t(e.id) : 0];
      while (!d.empty() && d.front() < e.ts - kWindow) d.pop_front();
      n += d.size();
    }
    if (e.type == t1 && ok1(e)) firsts[join ? size_t(e.id) : 0].push_back(e.ts);
  }
  return n;
}

uint64_t BruteForce(const std::string& q, const std::vector<Ev>& s) {
  auto any = [](const Ev&) { return true; };
  if (q == "Q1") return CountPairs(s, 0, 1, true, any, any);
  if (q == "Q3") {
    return CountPairs(
        s, 0, 1, false, [](const Ev& e) { return e.x < 10; }, [](const Ev& e) { return e.x > 90; });
  }
  if (q == "Q10") {
    uint64_t n = 0;
    for (auto [t1, t2] : kPairs) n += CountPairs(s, t1, t2, true, any, any);
    return n;
  }
  if (q == "Q1000") {
    uint64_t n = 0;
    for (int i = 0; i < 1000; ++i) {
      const int xa = i % 100, xb = i * 7 % 100;
      n += CountPairs(
          s, 0, 1, true, [xa](const Ev& e) { return e.x == xa; },
          [xb](const Ev& e) { return e.x == xb; });
    }
    return n;
  }
  // Q2: for each C, the (A, B) pairs of its id in order within the window that C closes.
  std::vector<std::deque<const Ev*>> ab(kIds);
  uint64_t n = 0;
  for (const Ev& e : s) {
    std::deque<const Ev*>& d = ab[size_t(e.id)];
    while (!d.empty() && d.front()->ts < e.ts - kWindow) d.pop_front();
    if (e.type == 2) {
      uint64_t as = 0;
      for (const Ev* p : d) {
        if (p->type == 0) ++as;
        if (p->type == 1) n += as;
      }
    }
    if (e.type <= 1) d.push_back(&e);
  }
  return n;
}

using Count = test::RefSink;

// Pushes `lines` through a fresh engine, decoding each; returns seconds.
double Run(const engine::Program& p, const std::vector<simdjson::padded_string>& lines,
           Count& sink) {
  adapters::EventDecoder dec(p.fields, adapters::Clock::kEvent);
  engine::Engine eng(p, 0, 10000, 1);
  auto t0 = Clock::now();
  for (size_t i = 0; i < lines.size(); ++i) {
    Event ev;
    if (dec.Decode(std::string_view(lines[i].data(), lines[i].size()), ev) !=
        adapters::DecodeOutcome::kEvent)
      continue;
    ev.seq = i;
    ev.line = i + 1;
    eng.Push(std::move(ev), sink);
  }
  eng.Finish(sink);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string write_dir;
  size_t events = 1000000;
  std::vector<std::string> queries;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--write" && i + 1 < argc) {
      write_dir = argv[++i];
    } else if (!a.empty() && a[0] == 'Q') {
      queries.push_back(a);
    } else {
      events = std::stoul(a);
    }
  }
  if (queries.empty()) queries = {"Q1", "Q2", "Q3", "Q10"};
  const std::vector<Ev> stream = Generate(events);
  std::vector<std::string> text;
  std::vector<simdjson::padded_string> lines;
  text.reserve(events);
  lines.reserve(events);
  for (const Ev& e : stream) {
    text.push_back(Line(e));
    lines.emplace_back(text.back());
  }
  if (!write_dir.empty()) {
    std::ofstream out(write_dir + "/events.jsonl");
    for (const std::string& l : text) out << l << '\n';
  }
  std::printf("%-5s %9s %12s %12s %10s\n", "query", "events", "events/s", "complex", "brute");
  for (const std::string& q : queries) {
    const std::string rules_text = Rules(q);
    ql::CheckedRules rules = ql::LoadRules({{q + ".strix", rules_text}});
    auto prog = engine::Compile(rules, engine::CompileOptions{});
    if (!rules.ok() || !prog.ok()) {
      std::fprintf(stderr, "%s does not compile\n%s", q.c_str(), rules.FormatDiagnostics().c_str());
      return 1;
    }
    const engine::Program& p = **prog;
    // 1. The first events against the literal reference.
    const size_t prefix = std::min<size_t>(3000, events);
    std::vector<std::string> head(text.begin(), text.begin() + long(prefix));
    std::vector<simdjson::padded_string> head_lines;
    for (const std::string& l : head) head_lines.emplace_back(l);
    Count check;
    check.p = &p;
    check.record = true;
    Run(p, head_lines, check);
    std::vector<test::RefOut> want =
        test::ReferenceSequences(rules, head, test::RefOptions{}, nullptr);
    if (!(check.got == want)) {
      std::fprintf(stderr, "%s: engine differs from the reference on %zu events (%zu vs %zu)\n",
                   q.c_str(), prefix, check.got.size(), want.size());
      return 1;
    }
    // 2. The whole stream, against the brute-force count.
    const uint64_t brute = BruteForce(q, stream);
    Count sink;
    sink.p = &p;
    const double s = Run(p, lines, sink);
    if (sink.count != brute) {
      std::fprintf(stderr, "%s: %llu complex events, brute force %llu\n", q.c_str(),
                   (unsigned long long)sink.count, (unsigned long long)brute);
      return 1;
    }
    std::printf("%-5s %9zu %12.0f %12llu %10s\n", q.c_str(), events, double(events) / s,
                (unsigned long long)sink.count, "equal");
    std::fflush(stdout);
    if (!write_dir.empty()) {
      std::ofstream(write_dir + "/" + q + ".strix") << rules_text;
      std::ofstream(write_dir + "/" + q + ".count") << brute << '\n';
    }
  }
  return 0;
}
