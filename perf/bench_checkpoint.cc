// Benchmark: checkpoints (issue 10). Hypotheses: (a) a checkpoint costs under 100 bytes per
// live partial match plus the events they hold, and writes and restores at over a million
// partial matches per second; (b) `strix run --state --checkpoint-every 1s` over a stream
// with 100k live partial matches loses under 5% of the throughput of a run without state.
// Method, part (a): N keys each open one partial match (`a: login b: pay c: logout` by user,
// one login and one pay per key) and then sit; the engine is saved and encoded (the checkpoint
// file's bytes) twice (cold: fresh memory; then warm: reusing it, as every later checkpoint of
// a run does), decoded and restored into a fresh engine, each step timed; the restored
// engine is checked first: it holds N partial matches and completing every key gives N
// complex events. Part (b) is end to end, see perf/results/ for the commands.
// Usage: bench_checkpoint [keys...]   (default 100000 1000000)
#include <simdjson.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "adapters/event_decoder.h"
#include "engine/compile.h"
#include "engine/engine.h"
#include "runtime/checkpoint.h"

using namespace strix;
using Clock = std::chrono::steady_clock;

namespace {

struct Count : engine::ComplexEventSink {
  uint64_t n = 0;
  void Emit(const engine::ComplexEvent&) override { ++n; }
};

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long RssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

std::string Line(const char* type, uint64_t user, int64_t ts, int amount) {
  return std::string("{\"type\":\"") + type + "\",\"user\":\"u" + std::to_string(user) +
         "\",\"ts\":" + std::to_string(ts) + ",\"amount\":" + std::to_string(amount) +
         ",\"ip\":\"10.0." + std::to_string(user % 256) + "." + std::to_string(user % 7) + "\"}";
}

bool Push(engine::Engine& eng, adapters::EventDecoder& dec, const std::string& line, uint64_t seq,
          engine::ComplexEventSink& sink) {
  simdjson::padded_string p(line);
  Event ev;
  if (dec.Decode(std::string_view(p.data(), p.size()), ev) != adapters::DecodeOutcome::kEvent)
    return false;
  ev.seq = seq;
  ev.line = seq + 1;
  eng.Push(std::move(ev), sink);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<uint64_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::stoull(argv[i]));
  if (sizes.empty()) sizes = {100000, 1000000};
  const char* rules_text =
      "rule flow on sequence by user within 1h a: login b: pay where amount > 0 c: logout "
      "emit { s: b.amount }\n";
  ql::CheckedRules rules = ql::LoadRules({{"bench.strix", rules_text}});
  auto prog = engine::Compile(rules, engine::CompileOptions{});
  if (!rules.ok() || !prog.ok()) return 1;
  const engine::Program& p = **prog;
  adapters::EventDecoder dec(p.fields, adapters::Clock::kEvent);
  std::printf(
      "# bench_checkpoint: save = Engine::Save, encode = EncodeCheckpoint, decode = "
      "DecodeCheckpoint, restore = Engine::Restore (events decoded again); begin = "
      "Engine::BeginCapture (what the run waits for in strix run), complete = "
      "CompleteCapture (on the writer's thread there)\n");
  std::printf("%10s %12s %8s %9s %9s %9s %9s %9s %12s %9s %9s %10s\n", "live_pm", "bytes", "B/pm",
              "cold_s", "save_s", "encode_s", "decode_s", "restore_s", "pm/s_write", "rss_MiB",
              "begin_s", "complete_s");
  for (uint64_t n : sizes) {
    engine::Engine eng(p, 0, 10000, 1);
    Count sink;
    uint64_t seq = 0;
    for (uint64_t u = 0; u < n; ++u) Push(eng, dec, Line("login", u, 1000, 0), seq++, sink);
    for (uint64_t u = 0; u < n; ++u) Push(eng, dec, Line("pay", u, 2000, 5), seq++, sink);
    if (eng.live_partial_matches() != n) {
      std::fprintf(stderr, "setup: %zu live partial matches, want %llu\n",
                   eng.live_partial_matches(), static_cast<unsigned long long>(n));
      return 1;
    }
    // The first checkpoint faults its memory in; a running service writes one every interval
    // into the same memory: both are timed.
    runtime::Checkpoint c;
    std::string bytes;
    double cold_s = 0, save_s = 0, encode_s = 0;
    for (int round = 0; round < 2; ++round) {
      auto t0 = Clock::now();
      eng.Save(c.engine);
      save_s = Since(t0);
      auto t1 = Clock::now();
      runtime::EncodeCheckpointInto(c, "bench", bytes);
      encode_s = Since(t1);
      if (round == 0) cold_s = save_s + encode_s;
    }
    // The same checkpoint captured the way `strix run` takes it (nothing runs meanwhile
    // here): the same content, so the same size once encoded.
    runtime::Checkpoint c2;
    double begin_s = 0, complete_s = 0;
    for (int round = 0; round < 2; ++round) {  // the second reuses the memory (timed)
      auto t = Clock::now();
      eng.BeginCapture(c2.engine);
      begin_s = Since(t);
      t = Clock::now();
      eng.CompleteCapture(c2.engine);
      complete_s = Since(t);
    }
    auto t0 = Clock::now();
    std::string bytes2;
    runtime::EncodeCheckpointInto(c2, "bench", bytes2);
    if (bytes2.size() != bytes.size()) {
      std::fprintf(stderr, "captured %zu bytes, saved %zu\n", bytes2.size(), bytes.size());
      return 1;
    }
    t0 = Clock::now();
    auto back = runtime::DecodeCheckpoint(bytes);
    double decode_s = Since(t0);
    if (!back.ok()) return 1;
    engine::Engine fresh(p, 0, 10000, 1);
    t0 = Clock::now();
    auto report = fresh.Restore(back->engine, [&](const engine::EventRecord& rec, Event& ev) {
      return adapters::DecodeSaved(dec, rec, ev);
    });
    double restore_s = Since(t0);
    // Checked before it counts: every key's match is back and completes.
    if (report.partial_matches != n || fresh.live_partial_matches() != n) return 1;
    Count done;
    for (uint64_t u = 0; u < n; ++u) Push(fresh, dec, Line("logout", u, 3000, 0), seq++, done);
    fresh.Finish(done);
    if (done.n != n) {
      std::fprintf(stderr, "restored engine completed %llu of %llu\n",
                   static_cast<unsigned long long>(done.n), static_cast<unsigned long long>(n));
      return 1;
    }
    std::printf("%10llu %12zu %8.1f %9.3f %9.3f %9.3f %9.3f %9.3f %12.0f %9ld %9.4f %10.3f\n",
                static_cast<unsigned long long>(n), bytes.size(), double(bytes.size()) / n, cold_s,
                save_s, encode_s, decode_s, restore_s, n / (save_s + encode_s), RssMiB(), begin_s,
                complete_s);
  }
  return 0;
}
