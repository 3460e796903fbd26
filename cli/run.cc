// strix run RULES... [options]: load rules, read events, write complex events (CLI.md), and
// strix replay: the same over a recorded file, with pacing (--speed), a golden file
// (--expect, --update) and a progress bar.
// Stage: cli. Parses and checks the options, loads the rules, runs runtime::Pipeline (the run
// loop), then compares or writes the golden file and prints --stats.
// SIGINT/SIGTERM stop reading; events already read are finished and outputs flushed, exit 0.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "adapters/golden.h"
#include "adapters/output.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/time.h"
#include "engine/compile.h"
#include "runtime/pipeline.h"
#include "runtime/rule_set.h"
#include "runtime/table_preload.h"

namespace strix::cli {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) {
  g_stop.store(true);
}
std::atomic<bool> g_reload{false};  // SIGHUP: load the rule files again
void OnHangup(int) {
  g_reload.store(true);
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
  std::string group = "strix";
  std::string idle_timeout = "30s";
  std::vector<std::string> kafka;   // NAME=VALUE
  std::vector<std::string> tables;  // NAME=FILE
  std::string state_dir;
  std::string checkpoint_every = "10s";
  bool state_reset = false;
  unsigned threads = 0;
  bool stats = false;
  bool watch = false;                  // reload when a rule file changes
  std::string metrics;                 // HOST:PORT
  bool reload_requires_tests = false;  // a reload whose test blocks fail is refused
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
  // SIGHUP asks for a reload (taken up once the run is going), from the start: its default
  // action would end the process.
  struct sigaction hup {};
  hup.sa_handler = OnHangup;
  sigemptyset(&hup.sa_mask);
  hup.sa_flags = SA_RESTART;  // reads go on; the reload is watched for on another thread
  sigaction(SIGHUP, &hup, nullptr);
  if (o.max_line == 0 || o.max_line > adapters::kMaxLineLimit) {  // before the rules load
    std::fprintf(stderr, "strix: --max-line must be 1 to %zu bytes\n", adapters::kMaxLineLimit);
    return 2;
  }
  auto delay = DurationOption("--max-delay", o.max_delay);
  auto write_timeout = DurationOption("--write-timeout", o.write_timeout, true);
  auto checkpoint_every = DurationOption("--checkpoint-every", o.checkpoint_every, true);
  auto idle_timeout = DurationOption("--idle-timeout", o.idle_timeout, true);
  if (!checkpoint_every || !idle_timeout) return 2;
  if (o.state_reset && o.state_dir.empty()) {
    std::fprintf(stderr, "strix: --state-reset needs --state DIR\n");
    return 2;
  }
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
    auto text = runtime::ReadWholeFile(o.expect);
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
  const bool golden = !o.expect.empty();

  runtime::PipelineOptions po;
  po.inputs = o.inputs;
  po.limits.max_line = o.max_line;
  po.limits.max_queued = o.max_queued;
  po.limits.max_connections = o.max_connections;
  po.output = golden && !o.output_given ? "/dev/null" : o.output;
  po.dead_letter = o.dead_letter;
  po.output_events = o.output_events == "ids"    ? adapters::OutputEvents::kIds
                     : o.output_events == "none" ? adapters::OutputEvents::kNone
                                                 : adapters::OutputEvents::kFull;
  po.write_timeout_ms = *write_timeout;
  po.clock = o.clock == "wall" ? adapters::Clock::kWall : adapters::Clock::kEvent;
  po.max_delay_ms = *delay;
  po.max_future_ms = max_future;
  po.max_partial_matches = static_cast<size_t>(o.max_partial_matches);
  po.max_state_bytes = static_cast<size_t>(o.max_state);
  // One thread unless asked: more were slower on every workload of perf/ (docs/language.md).
  po.threads = o.threads ? o.threads : 1u;
  po.speed = speed;
  po.keep_output = golden;
  po.kafka.group = o.group;
  po.idle_timeout_ms = *idle_timeout;
  for (const std::string& kv : o.kafka) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "strix: --kafka: NAME=VALUE, not '%s'\n", kv.c_str());
      return 2;
    }
    po.kafka.properties.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (const std::string& nf : o.tables) {
    auto t = runtime::ParseTableOption(nf);
    if (!t.ok()) {
      std::fprintf(stderr, "strix: %s\n", t.status().message().c_str());
      return 2;
    }
    po.tables.push_back(*t);
  }
  po.state_dir = o.state_dir;
  po.checkpoint_every_ms = *checkpoint_every;
  po.state_reset = o.state_reset;
  po.meaning = {
      {"--type-field", o.type_field}, {"--time-field", o.time_field}, {"--id-field", o.id_field}};
  po.strix_version = STRIX_VERSION;
  po.reload = &g_reload;
  po.watch = o.watch;
  po.metrics = o.metrics;
  runtime::RuleSetOptions reload_options;
  reload_options.load = load;
  reload_options.compile = copts;
  reload_options.require_tests = o.reload_requires_tests;
  Progress progress(o.progress);
  int64_t last_position = 0, last_size = -1;
  uint64_t last_events = 0;
  runtime::PipelineHooks hooks;
  hooks.message = [](const std::string& m) { std::fprintf(stderr, "strix: %s\n", m.c_str()); };
  hooks.progress = [&](uint64_t events, int64_t position, int64_t size) {
    last_events = events;
    last_position = position;
    last_size = size;
    progress.Update(events, position, size);
  };
  hooks.load_rules = [files = o.files,
                      reload_options](std::shared_ptr<const engine::Program> seed) {
    runtime::RuleSetOptions with_seed = reload_options;
    with_seed.seed = std::move(seed);
    return runtime::LoadRuleSet(files, with_seed);
  };
  hooks.rules_stamp = [files = o.files]() { return runtime::RuleFilesStamp(files); };
  runtime::Pipeline pipeline(program, po, hooks, &g_stop);
  if (Status s = pipeline.Open(); !s.ok()) {
    std::fprintf(stderr, "strix: %s\n", s.message().c_str());
    return 2;
  }

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read returns and sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A file-size limit (ulimit -f) makes a write fail with EFBIG, reported like a full disk,
  // instead of killing the run.
  signal(SIGXFSZ, SIG_IGN);

  runtime::RunReport report = pipeline.Run();
  if (o.progress) progress.Done(last_events, last_position, last_size);
  int status = report.status;
  const bool mode_none = po.output_events == adapters::OutputEvents::kNone;
  const std::vector<std::string>& kept = report.kept;
  if (golden && o.update && (report.interrupted || status != 0)) {
    // An interrupted or failed run leaves the golden file as it was.
    std::fprintf(stderr, "strix: run %s; golden file '%s' not updated\n",
                 report.interrupted ? "interrupted" : "failed", o.expect.c_str());
    if (status == 0) status = 1;
  } else if (golden && o.update) {
    // Written to a temporary file beside it and renamed over it: never half a golden file.
    std::string tmp = o.expect + ".tmp";
    auto g = adapters::Output::Open(tmp);
    Status gs = g.ok() ? Status::Ok() : g.status();
    if (g.ok()) {
      for (const std::string& l : kept) (*g)->Write(l);
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
      std::printf("golden %s: wrote %zu complex events\n", o.expect.c_str(), kept.size());
    }
  } else if (golden) {
    auto diff = adapters::CompareGolden(golden_text, kept, mode_none);
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
  if (o.stats) {
    const engine::RunStats& st = report.stats;
    double secs = report.seconds;
    uint64_t rejected = report.dead_letters;
    std::fprintf(
        stderr,
        "events in: %llu, matched: %llu, emitted: %llu, late: %llu, rejected: %llu, "
        "suppressed: %llu, dropped partial matches: %llu (by --max-state: %llu), events/s: "
        "%.0f\n",
        static_cast<unsigned long long>(st.events_in), static_cast<unsigned long long>(st.matched),
        static_cast<unsigned long long>(st.emitted), static_cast<unsigned long long>(st.late),
        static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(st.suppressed),
        static_cast<unsigned long long>(st.dropped_partial),
        static_cast<unsigned long long>(st.dropped_state),
        secs > 0 ? static_cast<double>(st.events_in + st.late) / secs : 0.0);
    if (report.parallel_batches + report.serial_batches > 0) {
      std::fprintf(stderr,
                   "batches: %llu on the worker threads, %llu on one thread (each way as its "
                   "measured time per event favoured)\n",
                   static_cast<unsigned long long>(report.parallel_batches),
                   static_cast<unsigned long long>(report.serial_batches));
    }
    if (!o.state_dir.empty()) {
      std::fprintf(stderr,
                   "checkpoints: %llu written, last %llu bytes, %.3f s capturing (the run "
                   "waits), %.3f s writing (in the background), %.3f s for the last at the "
                   "end of the input\n",
                   static_cast<unsigned long long>(report.checkpoints),
                   static_cast<unsigned long long>(report.checkpoint_bytes), report.capture_seconds,
                   report.checkpoint_seconds, report.final_checkpoint_seconds);
    }
    if (report.reloads || report.reload_failures) {
      std::fprintf(stderr, "reloads: %llu, failed: %llu, longest take-over: %.3f ms\n",
                   static_cast<unsigned long long>(report.reloads),
                   static_cast<unsigned long long>(report.reload_failures),
                   report.reload_pause_seconds * 1000);
    }
  }
  return status;
}

void AddRunOptions(CLI::App* cmd, RunOptions* o) {
  cmd->add_option("rules", o->files, "Rule files (*.strix) or folders of them")->required();
  cmd->add_option("-o,--output", o->output,
                  "'-' (standard output), a file, tcp://HOST:PORT or kafka://BROKERS/TOPIC")
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
  cmd->add_option("--threads", o->threads,
                  "Worker threads, default 1 (output order does not depend on it)");
  cmd->add_option("--table", o->tables,
                  "NAME=FILE: load rows of table NAME from a JSON Lines file before the first "
                  "event (repeatable)");
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
  cmd->add_option("--metrics", o->metrics,
                  "Serve Prometheus metrics at http://HOST:PORT/metrics and 'ok' at /healthz "
                  "(only that address is bound; ':PORT' is loopback)");
  cmd->add_flag("--watch", o->watch,
                "Reload the rules when a rule file changes (SIGHUP always reloads them)");
  cmd->add_flag("--reload-requires-tests", o->reload_requires_tests,
                "Refuse a reload whose rule files' test blocks do not all pass");
  cmd->add_option("--group", o->group, "Kafka consumer group of kafka:// inputs")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", o->idle_timeout,
                  "A Kafka partition with nothing new for this long stops holding back the "
                  "watermark")
      ->capture_default_str();
  cmd->add_option("--kafka", o->kafka,
                  "NAME=VALUE: a librdkafka property for kafka:// inputs and outputs "
                  "(repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--state", o->state_dir,
                  "Directory for checkpoints: a restart with the same command goes on where the "
                  "last checkpoint left off (file outputs byte-identical)");
  cmd->add_option("--checkpoint-every", o->checkpoint_every,
                  "Wall time between checkpoints (with --state)")
      ->capture_default_str();
  cmd->add_flag("--state-reset", o->state_reset,
                "Start afresh: remove the checkpoints in the --state directory");
}

}  // namespace

std::function<int()> RegisterRun(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Match events against rules and write complex events");
  auto o = std::make_shared<RunOptions>();
  AddRunOptions(cmd, o.get());
  // One value per occurrence: `-i events.jsonl rules.strix` leaves the rules positional.
  cmd->add_option("-i,--input", o->inputs,
                  "'-' (standard input), a .jsonl or .jsonl.gz file, tcp://HOST:PORT to listen, "
                  "or kafka://BROKERS/TOPICS (repeat -i for several inputs)")
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
