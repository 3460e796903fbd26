// Soak: reload cycles do not leak (issue 12). Each cycle writes a rule file that adds or
// removes a rule (alternately: two rules, three rules), loads and compiles it as a reload does
// (runtime::LoadRuleSet), pushes a few events into the running engine, and moves its state
// onto an engine for the new program (runtime::MoveState), the old engine and rule set going.
// Resident memory is printed every tenth of the run; after the first tenth (allocator warm-up)
// it must not grow by more than 8 MiB, else exit 1. A measurement, not a timing test.
// Usage: soak_reload [cycles] [--no-reload]   (default 100000; --no-reload: the same events
// into one engine, for comparison)
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "adapters/event_decoder.h"
#include "runtime/reload.h"
#include "runtime/rule_set.h"

using namespace strix;

namespace {

struct Null : engine::ComplexEventSink {
  uint64_t n = 0;
  void Emit(const engine::ComplexEvent&) override { ++n; }
};

long RssKiB() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace

int main(int argc, char** argv) {
  long cycles = argc > 1 ? std::atol(argv[1]) : 100000;
  const bool reload = !(argc > 2 && std::string(argv[2]) == "--no-reload");
  char dir[] = "/tmp/strix-soak-XXXXXX";
  if (!mkdtemp(dir)) return 2;
  const std::string path = std::string(dir) + "/r.strix";
  const char* base =
      "rule pair on sequence by user within 1h a: login b: pay emit { u: a.user }\n"
      "rule big on pay where amount > 900\n";
  runtime::RuleSetOptions options;
  auto write = [&](bool extra) {
    std::ofstream(path) << base
                        << (extra ? "rule extra on sequence by user within 1h a: pay b: login\n"
                                  : "");
  };
  write(false);
  auto set = runtime::LoadRuleSet({path}, options);
  if (!set.ok()) {
    std::fprintf(stderr, "%s\n", set.message().c_str());
    return 2;
  }
  std::shared_ptr<const runtime::RuleSet> current = *set;
  auto eng = std::make_unique<engine::Engine>(*current->program, 0);
  Null sink;
  uint64_t seq = 0;
  long baseline = 0, peak = 0;
  for (long c = 1; c <= cycles; ++c) {
    adapters::EventDecoder dec(current->program->fields, adapters::Clock::kEvent);
    for (int k = 0; k < 4; ++k) {  // users come and go: some partial matches stay open
      std::string line = std::string("{\"type\":\"") + (k % 2 ? "pay" : "login") +
                         "\",\"user\":\"u" + std::to_string((c * 7 + k) % 500) +
                         "\",\"ts\":" + std::to_string(seq) +
                         ",\"amount\":" + std::to_string((c * 13 + k) % 1000) + "}";
      simdjson::padded_string padded(line);
      Event ev;
      if (dec.Decode(std::string_view(padded.data(), padded.size()), ev) !=
          adapters::DecodeOutcome::kEvent)
        return 2;
      ev.seq = seq++;
      eng->Push(std::move(ev), sink);
    }
    if (reload) write(c % 2 == 1);
    auto next_set = runtime::LoadRuleSet({path}, options);
    if (!next_set.ok()) {
      std::fprintf(stderr, "%s\n", next_set.message().c_str());
      return 2;
    }
    if (reload) {
      adapters::EventDecoder next_dec((*next_set)->program->fields, adapters::Clock::kEvent);
      auto next = std::make_unique<engine::Engine>(*(*next_set)->program, 0);
      runtime::MoveState(*eng, *next, [&](const engine::EventRecord& rec, Event& ev) {
        return adapters::DecodeSaved(next_dec, rec, ev);
      });
      eng = std::move(next);
      current = *next_set;
    }
    if (c % (cycles / 10 == 0 ? 1 : cycles / 10) == 0) {
      long rss = RssKiB();
      if (c <= cycles / 10 || baseline == 0) baseline = rss;
      peak = std::max(peak, rss);
      std::printf(
          "cycle %ld: rss %ld KiB, %zu partial matches, state %zu bytes, %llu complex "
          "events\n",
          c, rss, eng->live_partial_matches(), eng->state_bytes(),
          static_cast<unsigned long long>(sink.n));
      std::fflush(stdout);
    }
  }
  std::remove(path.c_str());
  rmdir(dir);
  long growth = peak - baseline;
  std::printf("rss after warm-up %ld KiB, peak %ld KiB, growth %ld KiB: %s\n", baseline, peak,
              growth, growth <= 8 * 1024 ? "flat" : "GROWS");
  return growth <= 8 * 1024 ? 0 : 1;
}
