// Benchmark: sequence rules (issue 3) over streams with many live keys.
// Hypotheses: (a) brute force, account takeover, velocity and missing-shipment rules over a
// stream with 100k active keys run near 1M events/s on one core, with state per live partial
// match under 128 bytes and memory flat when the stream is 10x longer (timers free expired
// windows); (b) the rising-then-falling price pattern (the Kleene benchmark of SASE, CORE and
// OpenCEP) over stock ticks stays in the same range.
// Method: deterministic generators (sessions that play out scenarios, interleaved at random);
// before timing, the engine's output on a prefix is checked against the literal test-only
// reference (test/sequence_reference.h), whose time on that prefix is the baseline; then the
// full stream runs end to end (JSON decoding included) next to a decode-only pass.
// Usage: bench_sequences [--profile] [events] [active_keys...]   (default 1000000 100000 1000000)
//        bench_sequences --write DIR [events] [active_keys]: writes DIR/fraud.strix and
//        DIR/fraud.jsonl (the fraud-ops rules and stream) for `strix run` (perf/bench_threads.sh)
#include <simdjson.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "adapters/batch_decoder.h"
#include "adapters/event_decoder.h"
#include "engine/compile.h"
#include "engine/engine.h"
#include "test/sequence_reference.h"

using namespace strix;
using Clock = std::chrono::steady_clock;

namespace {

const char* kRulesA = R"(
rule brute_force
  on sequence by user within 1m
       f: login_failed{5,}
       s: login_ok
  emit { user: s.user, failures: count(f), ips: distinct(f.ip) }

rule takeover
  on sequence by user within 1m
       l: login where country != "US"
       p: password_reset
       t: tx where amount > 1000 and device != l.device
  emit { user: l.user, amount: t.amount }

rule velocity
  on sequence by card within 1m
       t: tx+
  having sum(t.amount) > 8000
  suppress 10m
  emit { card: last(t).card, total: sum(t.amount), n: count(t) }

rule unshipped
  on sequence by order within 20s
       p: payment
       not shipment
  emit { order: p.order }
)";

const char* kRulesB = R"(
rule rise_then_fall
  on sequence by sym within 1m
       r: tick{3,} where price > prev(r).price
       d: tick where price < last(r).price
  emit { sym: d.sym, n: count(r), top: max(r.price), fall: d.price }
)";

// Sessions play scenarios; each step one random active session emits its next event.
struct StreamA {
  std::mt19937_64 rng{42};
  struct Session {
    int kind = 0, step = 0, len = 0;
    uint64_t id = 0;
  };
  std::vector<Session> live;
  uint64_t next_id = 0;
  size_t n = 0;

  explicit StreamA(size_t active) : live(active) {
    for (Session& s : live) Fresh(s);
  }
  int Pick(int k) { return int(rng() % uint64_t(k)); }
  void Fresh(Session& s) {
    s.kind = Pick(4);
    s.step = 0;
    s.id = next_id++;
    s.len = s.kind == 0 ? 3 + Pick(6) : s.kind == 1 ? 3 : s.kind == 2 ? 1 + Pick(6) : 2;
  }
  std::string Next() {
    Session& s = live[size_t(Pick(int(live.size())))];
    int64_t ts = int64_t(n++ / 10);  // 10 events per millisecond: 1M events span 100 s
    std::string e = "{\"ts\":" + std::to_string(ts) + ",";
    std::string id = std::to_string(s.id);
    switch (s.kind) {
      case 0:  // login failures, then maybe success
        if (s.step + 1 < s.len || Pick(3) == 0) {
          e += "\"type\":\"login_failed\",\"user\":\"u" + id + "\",\"ip\":\"10.0." +
               std::to_string(Pick(4)) + ".1\"";
        } else {
          e += "\"type\":\"login_ok\",\"user\":\"u" + id + "\"";
        }
        break;
      case 1: {  // login, reset, transaction
        static const char* kSteps[] = {"login", "password_reset", "tx"};
        e += "\"type\":\"" + std::string(kSteps[s.step]) + "\",\"user\":\"u" + id + "\"";
        if (s.step == 0)
          e += ",\"country\":\"" + std::string(Pick(2) ? "NG" : "US") + "\",\"device\":\"d1\"";
        if (s.step == 2)
          e += ",\"amount\":" + std::to_string(Pick(5000)) + ",\"device\":\"d" +
               std::to_string(1 + Pick(2)) + "\"";
        break;
      }
      case 2:  // card transactions
        e += "\"type\":\"tx\",\"card\":\"c" + id +
             "\",\"amount\":" + std::to_string(100 + Pick(3000));
        break;
      default:  // payment, then usually the shipment
        if (s.step == 0) {
          e += "\"type\":\"payment\",\"order\":\"o" + id + "\"";
        } else {
          e += "\"type\":\"" + std::string(Pick(5) ? "shipment" : "note") + "\",\"order\":\"o" +
               id + "\"";
        }
    }
    if (++s.step >= s.len) Fresh(s);
    return e + "}";
  }
};

// Ticks of `syms` symbols as random walks.
struct StreamB {
  std::mt19937_64 rng{7};
  std::vector<int> price;
  size_t n = 0;
  explicit StreamB(size_t syms) : price(syms, 1000) {}
  std::string Next() {
    size_t s = rng() % price.size();
    price[s] += int(rng() % 21) - 10;
    return "{\"type\":\"tick\",\"ts\":" + std::to_string(n++ / 10) + ",\"sym\":\"S" +
           std::to_string(s) + "\",\"price\":" + std::to_string(price[s]) + "}";
  }
};

long PeakRssKiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

using Sink = test::RefSink;

struct Result {
  double seconds = 0;
  size_t emitted = 0, peak_live = 0, peak_state_bytes = 0, peak_all_bytes = 0, end_live = 0;
};

using Lines = std::vector<simdjson::padded_string>;

Lines Pad(const std::vector<std::string>& lines) {
  Lines out;
  out.reserve(lines.size());
  for (const std::string& l : lines) out.emplace_back(l);
  return out;
}

Result RunEngine(const engine::Program& p, const Lines& lines, Sink& sink, size_t sample_every,
                 unsigned threads = 1) {
  Result r;
  adapters::EventDecoder dec(p.fields, adapters::Clock::kEvent);
  engine::Engine eng(p, 0, 10000, threads);
  auto t0 = Clock::now();
  double sampling = 0;
  if (threads > 1) {  // the pipeline of `strix run --threads N`: parallel decode, sharded match
    adapters::BatchDecoder batch(p.fields, adapters::Clock::kEvent, threads);
    for (size_t start = 0; start < lines.size(); start += 4096) {
      size_t end = std::min(lines.size(), start + 4096);
      for (size_t i = start; i < end; ++i)
        batch.Add(std::string_view(lines[i].data(), lines[i].size()));
      batch.Decode();
      for (size_t i = start; i < end; ++i) {
        Event& ev = batch.event(i - start);
        ev.seq = i;
        ev.line = i + 1;
        eng.Push(std::move(ev), sink);
      }
      batch.Clear();
    }
  }
  for (size_t i = 0; threads == 1 && i < lines.size(); ++i) {
    Event ev;
    if (dec.Decode(std::string_view(lines[i].data(), lines[i].size()), ev) !=
        adapters::DecodeOutcome::kEvent)
      continue;
    ev.seq = i;
    ev.line = i + 1;
    eng.Push(std::move(ev), sink);
    if (sample_every && i % sample_every == 0 && threads == 1) {
      auto s0 = Clock::now();
      const engine::SequenceMatcher& sm = eng.matcher().sequences();
      if (sm.live_partial_matches() >= r.peak_live) {  // both byte counts at the peak sample
        r.peak_live = sm.live_partial_matches();
        r.peak_state_bytes = sm.StateBytes();
        r.peak_all_bytes = eng.state_bytes();  // stored events included (--max-state's count)
      }
      sampling += std::chrono::duration<double>(Clock::now() - s0).count();
    }
  }
  r.end_live = eng.live_partial_matches();
  eng.Finish(sink);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count() - sampling;
  r.emitted = sink.count;
  return r;
}

double DecodeOnly(const engine::Program& p, const Lines& lines) {
  adapters::EventDecoder dec(p.fields, adapters::Clock::kEvent);
  auto t0 = Clock::now();
  size_t ok = 0;
  for (const simdjson::padded_string& l : lines) {
    Event ev;
    ok += dec.Decode(std::string_view(l.data(), l.size()), ev) == adapters::DecodeOutcome::kEvent;
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (ok != lines.size()) std::fprintf(stderr, "decode failures: %zu\n", lines.size() - ok);
  return s;
}

bool g_profile = false;  // --profile: only the 1-thread timed run (for perf record)

// --write: the fraud-ops rules and stream as files.
bool WriteFraud(const std::string& dir, size_t events, size_t keys) {
  std::FILE* r = std::fopen((dir + "/fraud.strix").c_str(), "w");
  std::FILE* e = std::fopen((dir + "/fraud.jsonl").c_str(), "w");
  if (!r || !e) return false;
  std::fputs(kRulesA, r);
  StreamA s(keys);
  for (size_t i = 0; i < events; ++i) {
    std::string line = s.Next();
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), e);
  }
  bool ok = std::fclose(r) == 0;
  return std::fclose(e) == 0 && ok;
}

template <typename Stream>
bool Workload(const char* name, const char* rules_text, size_t events, size_t keys) {
  ql::CheckedRules rules = ql::LoadRules({{"bench.strix", rules_text}});
  engine::CompileOptions copts;
  auto prog = engine::Compile(rules, copts);
  if (!rules.ok() || !prog.ok()) {
    std::fprintf(stderr, "rules do not compile\n%s", rules.FormatDiagnostics().c_str());
    return false;
  }
  const engine::Program& p = **prog;
  // 1. Correctness on a prefix with fewer keys, against the literal reference (the baseline).
  if (!g_profile) {
    Stream s(std::max<size_t>(50, keys / 1000));
    std::vector<std::string> lines;
    for (size_t i = 0; i < 20000; ++i) lines.push_back(s.Next());
    Sink sink;
    sink.p = &p;
    sink.record = true;
    Result e = RunEngine(p, Pad(lines), sink, 0);
    auto t0 = Clock::now();
    std::vector<test::RefOut> want =
        test::ReferenceSequences(rules, lines, test::RefOptions{}, nullptr);
    double ref_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!(sink.got == want)) {
      std::fprintf(stderr, "%s: engine output differs from the reference (%zu vs %zu)\n", name,
                   sink.got.size(), want.size());
      return false;
    }
    std::printf(
        "# %s check: 20000 events, %zu complex events equal to the reference; "
        "reference %.3f s, engine %.4f s (%.0fx)\n",
        name, want.size(), ref_s, e.seconds, ref_s / e.seconds);
  }
  // 2. The full stream.
  Stream s(keys);
  Lines lines;
  lines.reserve(events);
  for (size_t i = 0; i < events; ++i) lines.emplace_back(s.Next());
  long rss0 = PeakRssKiB();
  double decode_s = g_profile ? 0 : DecodeOnly(p, lines);
  Sink sink;
  sink.p = &p;
  Result r = RunEngine(p, lines, sink, g_profile ? 0 : events / 50);
  long rss1 = PeakRssKiB();
  std::printf("%-10s %7u %9zu %9zu %11.0f %9.0f %9.0f %10zu %9zu %8.0f %8.0f %9.1f %9zu %6s\n",
              name, 1u, events, keys, events / r.seconds, 1e9 * r.seconds / events,
              1e9 * decode_s / events, r.peak_live, r.end_live,
              r.peak_live ? double(r.peak_state_bytes) / r.peak_live : 0.0,
              r.peak_live ? double(r.peak_all_bytes) / r.peak_live : 0.0, (rss1 - rss0) / 1024.0,
              r.emitted, "1.00");
  std::fflush(stdout);
  if (g_profile) return true;
  // The same stream on 2 workers: output must be identical (count checked here; the order is
  // checked by the tests), and the ratio is against the 1-thread run above.
  Sink sink2;
  sink2.p = &p;
  Result r2 = RunEngine(p, lines, sink2, 0, 2);
  if (r2.emitted != r.emitted) {
    std::fprintf(stderr, "%s: 2 threads emitted %zu, 1 thread %zu\n", name, r2.emitted, r.emitted);
    return false;
  }
  std::printf("%-10s %7u %9zu %9zu %11.0f %9.0f %9s %10s %9s %8s %8s %9s %9zu %6.2f\n", name, 2u,
              events, keys, events / r2.seconds, 1e9 * r2.seconds / events, "-", "-", "-", "-", "-",
              "-", r2.emitted, r.seconds / r2.seconds);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "--write") {
    size_t events = args.size() > 2 ? std::stoul(args[2]) : 1000000;
    size_t keys = args.size() > 3 ? std::stoul(args[3]) : 100000;
    if (WriteFraud(args[1], events, keys)) return 0;
    std::fprintf(stderr, "bench_sequences: cannot write to %s\n", args[1].c_str());
    return 1;
  }
  if (!args.empty() && args[0] == "--profile") {
    g_profile = true;
    args.erase(args.begin());
  }
  size_t events = !args.empty() ? std::stoul(args[0]) : 1000000;
  std::vector<size_t> keys;
  for (size_t i = 1; i < args.size(); ++i) keys.push_back(std::stoul(args[i]));
  if (keys.empty()) keys = {100000, 1000000};
  std::printf(
      "# columns: events/s and ns/ev end to end (decoding included), decode_ns = decoding "
      "alone; live = partial matches (peak sampled, and at the end); B/pm = state bytes "
      "per live partial match at the peak sample (events not counted), B/pm_all = the same with "
      "the stored events (all state: what --max-state counts); rss = peak RSS growth in MiB\n");
  std::printf("%-10s %7s %9s %9s %11s %9s %9s %10s %9s %8s %8s %9s %9s %6s\n", "workload",
              "threads", "events", "keys", "events/s", "ns/ev", "decode_ns", "peak_live",
              "end_live", "B/pm", "B/pm_all", "rss_MiB", "emitted", "x_1thr");
  for (size_t k : keys) {
    if (!Workload<StreamA>("fraud-ops", kRulesA, events, k)) return 1;
  }
  for (size_t k : keys) {
    if (!Workload<StreamB>("rise-fall", kRulesB, events, std::min<size_t>(k, 10000))) return 1;
  }
  return 0;
}
