// strix run RULES... [options]: load rules, read events, write complex events (CLI.md), and
// strix replay: the same over a recorded file, with pacing (--speed), a golden file
// (--expect, --update) and a progress bar.
// Stage: cli. Wires sources -> decoder -> engine -> writer, dead letters and --stats.
// SIGINT/SIGTERM stop reading; events already read are finished and outputs flushed, exit 0.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>
#include <unordered_map>

#include "adapters/batch_decoder.h"
#include "adapters/complex_event_writer.h"
#include "adapters/dead_letter.h"
#include "adapters/event_decoder.h"
#include "adapters/golden.h"
#include "adapters/line_source.h"
#include "adapters/merged_source.h"
#include "adapters/output.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/time.h"
#include "engine/compile.h"
#include "engine/engine.h"

namespace strix::cli {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) {
  g_stop.store(true);
}

struct RunOptions {
  std::vector<std::string> files;
  std::vector<std::string> inputs = {"-"};
  std::string output = "-";
  std::string dead_letter;
  std::string type_field = "type", time_field = "ts", id_field = "id";
  std::string clock = "event";
  std::string max_delay = "0s";
  std::string max_future;  // empty: no bound
  std::string write_timeout = "30s";
  std::string output_events = "full";
  uint64_t max_partial_matches = 10000;
  uint64_t max_state = uint64_t{1} << 30;  // bytes; 0: no limit
  unsigned threads = 0;
  bool stats = false;
  uint64_t max_line = 1 << 20;
  uint64_t max_queued = uint64_t{64} << 20;
  uint64_t max_connections = 256;
  // replay
  bool replay = false;
  std::string speed = "max";
  std::string expect;
  bool update = false;
  bool progress = false;
  bool output_given = false;  // -o was written (replay with --expect writes no output otherwise)
};

// Formats complex events, writes them (when there is an output) and keeps them (golden files).
class OutputSink : public engine::ComplexEventSink {
 public:
  OutputSink(adapters::ComplexEventWriter& w, adapters::Output* out, bool keep)
      : w_(w), out_(out), keep_(keep) {}
  void Emit(const engine::ComplexEvent& ce) override {
    const std::string& line = w_.Format(ce);
    if (out_) out_->Write(line);
    if (keep_) kept.push_back(line);
  }
  std::vector<std::string> kept;

 private:
  adapters::ComplexEventWriter& w_;
  adapters::Output* out_;
  bool keep_;
};

// The field options name three different non-empty paths without empty segments.
bool FieldOptionsOk(const RunOptions& o) {
  const std::pair<const char*, const std::string*> fields[] = {{"--type-field", &o.type_field},
                                                               {"--time-field", &o.time_field},
                                                               {"--id-field", &o.id_field}};
  for (auto [name, value] : fields) {
    for (const std::string& seg : engine::SplitPath(*value)) {
      if (seg.empty()) {
        std::fprintf(stderr, "strix: %s: not a field path: '%s'\n", name, value->c_str());
        return false;
      }
    }
  }
  for (size_t i = 0; i < 3; ++i) {
    for (size_t j = i + 1; j < 3; ++j) {
      if (*fields[i].second == *fields[j].second) {
        std::fprintf(stderr, "strix: %s and %s name the same field '%s'\n", fields[i].first,
                     fields[j].first, fields[i].second->c_str());
        return false;
      }
    }
  }
  return true;
}

// A duration option; nullopt (with a message naming the option) when it is not one, or is 0
// where a positive one is needed.
std::optional<int64_t> DurationOption(const char* name, const std::string& text,
                                      bool positive = false) {
  auto d = ParseDuration(text);
  if (!d || (positive && *d == 0)) {
    std::fprintf(stderr, "strix: %s: not a %sduration of at most %lld ms: '%s'\n", name,
                 positive ? "positive " : "", static_cast<long long>(kMaxDurationMs), text.c_str());
    return std::nullopt;
  }
  return d;
}

int Run(const RunOptions& o) {
  if (o.max_line == 0 || o.max_line > adapters::kMaxLineLimit) {  // before the rules load
    std::fprintf(stderr, "strix: --max-line must be 1 to %zu bytes\n", adapters::kMaxLineLimit);
    return 2;
  }
  auto delay = DurationOption("--max-delay", o.max_delay);
  auto write_timeout = DurationOption("--write-timeout", o.write_timeout, true);
  if (!delay || !write_timeout || !FieldOptionsOk(o)) return 2;
  std::optional<int64_t> max_future;
  if (!o.max_future.empty() && !(max_future = DurationOption("--max-future", o.max_future)))
    return 2;
  double speed = 0;  // 0: as fast as possible
  if (o.speed != "max") {
    char* end = nullptr;
    speed = std::strtod(o.speed.c_str(), &end);
    if (end == o.speed.c_str() || *end != '\0' || !(speed > 0)) {
      std::fprintf(stderr, "strix: --speed: 'max' or a positive number, not '%s'\n",
                   o.speed.c_str());
      return 2;
    }
  }
  if (o.update && o.expect.empty()) {
    std::fprintf(stderr, "strix: --update needs --expect GOLDEN\n");
    return 2;
  }
  std::string golden_text;
  if (!o.expect.empty() && !o.update) {
    auto text = ReadWholeFile(o.expect);
    if (!text) {
      std::fprintf(stderr, "strix: cannot open golden file '%s'\n", o.expect.c_str());
      return 2;
    }
    golden_text = std::move(*text);
  }
  ql::CheckedRules rules;
  ql::LoadOptions load;
  load.type_field = engine::SplitPath(o.type_field);
  if (int rc = LoadRuleFiles(o.files, rules, load)) return rc;
  if (!rules.ok()) return 1;
  engine::CompileOptions copts;
  copts.type_field = engine::SplitPath(o.type_field);
  copts.time_field = engine::SplitPath(o.time_field);
  copts.id_field = engine::SplitPath(o.id_field);
  auto prog = engine::Compile(rules, copts);
  if (!prog.ok()) {
    std::fprintf(stderr, "strix: %s\n", prog.message().c_str());
    return 1;
  }
  const engine::Program& program = **prog;

  // Open everything first, so a bad name fails before any output. Several inputs are read at
  // once (a listener first must not starve the files after it): lines in arrival order.
  std::vector<std::unique_ptr<adapters::Source>> sources;
  for (const std::string& in : o.inputs) {
    adapters::SourceLimits limits;
    limits.max_line = o.max_line;
    limits.max_queued = o.max_queued;
    limits.max_connections = o.max_connections;
    auto s = adapters::OpenSource(in, limits, &g_stop);
    if (!s.ok()) {
      std::fprintf(stderr, "strix: %s\n", s.message().c_str());
      return 2;
    }
    sources.push_back(std::move(*s));
  }
  std::unique_ptr<adapters::Source> src;
  adapters::MergedSource* merged = nullptr;
  if (sources.size() == 1) {
    src = std::move(sources[0]);
  } else {
    auto m = std::make_unique<adapters::MergedSource>(std::move(sources), o.max_queued);
    merged = m.get();
    src = std::move(m);
  }
  bool golden = !o.expect.empty();
  // A TCP peer that goes down holds the run (back-pressure) until it is back; both are said.
  auto tcp_options = [&](const std::string& name) {
    adapters::TcpWriterOptions t;
    t.stop = &g_stop;
    t.write_timeout_ms = *write_timeout;
    t.on_status = [name](const std::string& what) {
      std::fprintf(stderr, "strix: output '%s': %s\n", name.c_str(), what.c_str());
    };
    return t;
  };
  auto out = adapters::Output::Open(golden && !o.output_given ? "/dev/null" : o.output,
                                    tcp_options(o.output));
  if (!out.ok()) {
    std::fprintf(stderr, "strix: %s\n", out.message().c_str());
    return 2;
  }
  std::unique_ptr<adapters::Output> dead_out;
  if (!o.dead_letter.empty()) {
    auto d = adapters::Output::Open(o.dead_letter, tcp_options(o.dead_letter));
    if (!d.ok()) {
      std::fprintf(stderr, "strix: %s\n", d.message().c_str());
      return 2;
    }
    dead_out = std::move(*d);
  }

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read returns and sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  adapters::OutputEvents mode = o.output_events == "ids"    ? adapters::OutputEvents::kIds
                                : o.output_events == "none" ? adapters::OutputEvents::kNone
                                                            : adapters::OutputEvents::kFull;
  // Source names for identities and dead letters: the inputs as written, then one per TCP peer.
  std::vector<std::string> names = o.inputs;
  std::unordered_map<std::string, uint32_t> peer_index;
  auto origin_of = [&](size_t si, const adapters::Line& line) -> uint32_t {
    if (line.origin.empty()) return static_cast<uint32_t>(si);
    auto [it, fresh] =
        peer_index.try_emplace(std::string(line.origin), static_cast<uint32_t>(names.size()));
    if (fresh) names.emplace_back(line.origin);
    return it->second;
  };
  adapters::ComplexEventWriter formatter(program, names, mode, nullptr);
  OutputSink writer(formatter, out->get(), golden);
  Progress progress(o.progress);
  bool paced = false;
  TimeMs pace_from = 0;
  auto pace_start = std::chrono::steady_clock::now();
  adapters::DeadLetters dead(dead_out.get());
  adapters::Clock clock = o.clock == "wall" ? adapters::Clock::kWall : adapters::Clock::kEvent;
  adapters::EventDecoder decoder(program.fields, clock);
  unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  engine::Engine eng(program, *delay, static_cast<size_t>(o.max_partial_matches), threads);
  if (max_future) eng.set_max_future(*max_future);
  eng.set_max_state(static_cast<size_t>(o.max_state));
  bool state_warned = false;  // --max-state reached: said once, when it first happens
  auto warn_state = [&]() {
    if (state_warned || eng.stats().dropped_state == 0) return;
    state_warned = true;
    std::fprintf(stderr,
                 "strix: warning: --max-state %llu bytes reached: the oldest partial matches are "
                 "being dropped (counted in --stats)\n",
                 static_cast<unsigned long long>(o.max_state));
  };
  auto started = std::chrono::steady_clock::now();
  uint64_t seq = 0;
  int status = 0;
  auto push = [&](Event&& ev, size_t si, uint64_t number, std::string_view raw) {
    if (speed > 0) {  // replay pacing: event time / speed = wall time since the first event
      if (!paced) {
        paced = true;
        pace_from = ev.time;
        pace_start = std::chrono::steady_clock::now();
      }
      double ms = double(ev.time - pace_from) / speed;
      auto when = pace_start + std::chrono::microseconds(int64_t(std::min(ms * 1000, 9e15)));
      if (ms > 0 && when > std::chrono::steady_clock::now() && !g_stop.load()) {
        // Everything due is shown before waiting, and the wait ends at once on a signal.
        eng.Flush(writer);
        (void)(*out)->Flush();
        while (!g_stop.load() && std::chrono::steady_clock::now() < when) {
          progress.Update(seq, src->position(), src->size());
          std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
              when - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
        }
      }
    }
    ev.source = static_cast<uint32_t>(si);
    ev.line = number;
    ev.seq = seq++;
    engine::Admit admit = eng.Push(std::move(ev), writer);
    if (admit == engine::Admit::kLate) dead.Reject("late", names[si], number, raw);
    if (admit == engine::Admit::kFuture) dead.Reject("future", names[si], number, raw);
    warn_state();
  };
  // With worker threads, lines are decoded in parallel batches; the rest is in input order.
  std::unique_ptr<adapters::BatchDecoder> batch;
  if (threads > 1) batch = std::make_unique<adapters::BatchDecoder>(program.fields, clock, threads);
  std::vector<std::pair<uint32_t, uint64_t>> numbers;  // per batched line: source, line number
  auto drain = [&]() {
    if (!batch || batch->size() == 0) return;
    batch->Decode();
    for (size_t i = 0; i < batch->size(); ++i) {
      adapters::DecodeOutcome r = batch->outcome(i);
      if (r == adapters::DecodeOutcome::kBlank) continue;
      if (r != adapters::DecodeOutcome::kEvent) {
        dead.Reject(adapters::ReasonText(r), names[numbers[i].first], numbers[i].second,
                    batch->line(i));
        continue;
      }
      Event& ev = batch->event(i);
      std::string_view raw = ev.raw;
      push(std::move(ev), numbers[i].first, numbers[i].second, raw);
    }
    batch->Clear();
    numbers.clear();
  };
  // A failed output (disk full, ...) stops the run: reading on would lose what it cannot write.
  auto outputs_failed = [&]() { return (*out)->failed() || (dead_out && dead_out->failed()); };
  adapters::Line line;
  Event ev;
  // The sources end by themselves at the end of the input, and on SIGINT/SIGTERM once they
  // have handed out what they had read (which is then processed).
  while (src->Next(line)) {
    if (outputs_failed()) {
      g_stop.store(true);  // stops the readers too
      break;
    }
    progress.Update(seq, src->position(), src->size());
    uint32_t from = origin_of(line.input, line);
    if (line.too_long) {
      drain();  // keeps dead letters in input order
      dead.Reject("too long", names[from], line.number, line.text.substr(0, 4096));
      continue;
    }
    if (batch) {
      batch->Add(line.text);
      numbers.emplace_back(from, line.number);
      if (batch->size() >= 4096 || !src->LineReady()) drain();
    } else {
      adapters::DecodeOutcome r = decoder.Decode(line.text, ev);
      if (r == adapters::DecodeOutcome::kEvent) {
        std::string_view raw = ev.raw;
        push(std::move(ev), from, line.number, raw);  // ev is decoded into again (its slots
                                                      // vector is reused when not kept)
      } else if (r != adapters::DecodeOutcome::kBlank) {
        dead.Reject(adapters::ReasonText(r), names[from], line.number, line.text);
      }
    }
    if (!src->LineReady()) {  // live input may go idle: emit what we have now
      drain();
      eng.Flush(writer);
      (void)(*out)->Flush();
      if (dead_out) (void)dead_out->Flush();
    }
  }
  drain();
  if (o.progress) progress.Done(seq, src->position(), src->size());
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    const std::string& err = merged ? merged->input_error(i) : src->error();
    if (err.empty()) continue;
    std::fprintf(stderr, "strix: error reading '%s': %s\n", o.inputs[i].c_str(), err.c_str());
    status = 2;
  }
  eng.Finish(writer, g_stop.load());  // on a signal, pending deadlines do not fire
  warn_state();
  Status fs = (*out)->Flush();
  if (!fs.ok()) {
    std::fprintf(stderr, "strix: %s\n", fs.message().c_str());
    status = 2;
  }
  if (golden && o.update && (g_stop.load() || status != 0)) {
    // An interrupted or failed run leaves the golden file as it was.
    std::fprintf(stderr, "strix: run %s; golden file '%s' not updated\n",
                 g_stop.load() ? "interrupted" : "failed", o.expect.c_str());
    if (status == 0) status = 1;
  } else if (golden && o.update) {
    // Written to a temporary file beside it and renamed over it: never half a golden file.
    std::string tmp = o.expect + ".tmp";
    auto g = adapters::Output::Open(tmp);
    Status gs = g.ok() ? Status::Ok() : g.status();
    if (g.ok()) {
      for (const std::string& l : writer.kept) (*g)->Write(l);
      gs = (*g)->Flush();
      g->reset();
      if (gs.ok() && std::rename(tmp.c_str(), o.expect.c_str()) != 0)
        gs = Status::Error("cannot rename '" + tmp + "' to '" + o.expect + "'");
      if (!gs.ok()) std::remove(tmp.c_str());
    }
    if (!gs.ok()) {
      std::fprintf(stderr, "strix: %s\n", gs.message().c_str());
      status = 2;
    } else {
      std::printf("golden %s: wrote %zu complex events\n", o.expect.c_str(), writer.kept.size());
    }
  } else if (golden) {
    auto diff =
        adapters::CompareGolden(golden_text, writer.kept, mode == adapters::OutputEvents::kNone);
    if (!diff.ok()) {
      std::fprintf(stderr, "strix: %s: %s\n", o.expect.c_str(), diff.message().c_str());
      status = 2;
    } else if (diff->equal()) {
      std::printf("golden %s: %zu complex events, all equal\n", o.expect.c_str(), diff->actual);
    } else {
      std::printf("golden %s: %zu difference%s (%zu complex events expected, %zu came out)\n",
                  o.expect.c_str(), diff->lines.size(), diff->lines.size() == 1 ? "" : "s",
                  diff->golden, diff->actual);
      for (const std::string& l : diff->lines) std::printf("  %s\n", l.c_str());
      if (status == 0) status = 1;
    }
  }
  if (dead_out) {
    Status ds = dead_out->Flush();
    if (!ds.ok()) {
      std::fprintf(stderr, "strix: dead letters lost: %s\n", ds.message().c_str());
      status = 2;
    }
  }
  std::string summary = dead.Summary();
  if (!summary.empty() && !dead_out) std::fprintf(stderr, "strix: %s\n", summary.c_str());
  if (o.stats) {
    const engine::RunStats& st = eng.stats();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    uint64_t rejected = dead.total();  // every dead letter, late ones included (as the summary)
    std::fprintf(
        stderr,
        "events in: %llu, matched: %llu, emitted: %llu, late: %llu, rejected: %llu, "
        "suppressed: %llu, dropped partial matches: %llu (by --max-state: %llu), events/s: "
        "%.0f\n",
        static_cast<unsigned long long>(st.events_in), static_cast<unsigned long long>(st.matched),
        static_cast<unsigned long long>(st.emitted), static_cast<unsigned long long>(st.late),
        static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(st.suppressed),
        static_cast<unsigned long long>(st.dropped_partial),
        static_cast<unsigned long long>(st.dropped_state), secs > 0 ? static_cast<double>(st.events_in + st.late) / secs : 0.0);
  }
  return status;
}

void AddRunOptions(CLI::App* cmd, RunOptions* o) {
  cmd->add_option("rules", o->files, "Rule files (*.strix) or folders of them")->required();
  cmd->add_option("-o,--output", o->output, "'-' (standard output) or a file")
      ->capture_default_str();
  cmd->add_option("--dead-letter", o->dead_letter, "Where rejected input goes (JSON Lines)");
  cmd->add_option("--type-field", o->type_field, "Field holding the event type")
      ->capture_default_str();
  cmd->add_option("--time-field", o->time_field, "Field holding the event time")
      ->capture_default_str();
  cmd->add_option("--id-field", o->id_field, "Field holding the event id")->capture_default_str();
  cmd->add_option("--clock", o->clock, "event or wall")
      ->check(CLI::IsMember({"event", "wall"}))
      ->capture_default_str();
  cmd->add_option("--max-delay", o->max_delay, "Out-of-order tolerance (e.g. 5s)")
      ->capture_default_str();
  cmd->add_option("--write-timeout", o->write_timeout,
                  "A TCP output peer that reads nothing for this long is reconnected")
      ->capture_default_str();
  cmd->add_option("--max-future", o->max_future,
                  "Dead-letter events (reason 'future') further than this ahead of both the "
                  "newest event time and the wall clock (default: no bound)");
  cmd->add_option("--output-events", o->output_events, "full, ids or none")
      ->check(CLI::IsMember({"full", "ids", "none"}))
      ->capture_default_str();
  cmd->add_option("--max-partial-matches", o->max_partial_matches,
                  "Per rule and partition (sequence rules)")
      ->capture_default_str();
  cmd->add_option("--max-state", o->max_state,
                  "Bytes of matching state (partial matches and the events they hold) beyond "
                  "which the oldest partial matches are dropped, with a warning; 0: no limit. "
                  "Suffixes KB, MB, GB (1024-based)")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("1GB");
  cmd->add_option(
      "--threads", o->threads,
      "Worker threads, default: the number of cores (output order does not depend on it)");
  cmd->add_option("--max-line", o->max_line, "Longest input line in bytes")->capture_default_str();
  cmd->add_option("--max-queued", o->max_queued,
                  "Bytes of read lines waiting to be matched (TCP clients, several inputs); "
                  "reading pauses beyond it")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  cmd->add_option("--max-connections", o->max_connections,
                  "TCP clients connected at once per listener; more wait to be accepted")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20))
      ->capture_default_str();
  cmd->add_flag("--stats", o->stats, "Print counters to standard error at the end");
}

}  // namespace

std::function<int()> RegisterRun(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Match events against rules and write complex events");
  auto o = std::make_shared<RunOptions>();
  AddRunOptions(cmd, o.get());
  // One value per occurrence: `-i events.jsonl rules.strix` leaves the rules positional.
  cmd->add_option("-i,--input", o->inputs,
                  "'-' (standard input), a .jsonl or .jsonl.gz file, or tcp://HOST:PORT to listen "
                  "(repeat -i for several inputs)")
      ->allow_extra_args(false)
      ->capture_default_str();
  return [o]() { return Run(*o); };
}

std::function<int()> RegisterReplay(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("replay", "Run over a recorded stream, paced, against a golden file");
  auto o = std::make_shared<RunOptions>();
  o->replay = true;
  AddRunOptions(cmd, o.get());
  auto* input =
      cmd->add_option("-i,--input", o->inputs, "The recorded stream (.jsonl or .jsonl.gz)")
          ->required();
  input->expected(1);
  cmd->add_option("--speed", o->speed,
                  "max, or X: paced by event time X times faster than recorded")
      ->capture_default_str();
  cmd->add_option("--expect", o->expect, "Golden file to compare the complex events with");
  cmd->add_flag("--update", o->update, "With --expect: write the golden file instead");
  auto* progress = cmd->add_flag("--progress", o->progress,
                                 "Progress bar on standard error (default: when it is a terminal)");
  return [o, cmd, progress]() {
    o->output_given = cmd->count("--output") > 0;
    if (progress->count() == 0) o->progress = isatty(2) != 0;
    return Run(*o);
  };
}

}  // namespace strix::cli
