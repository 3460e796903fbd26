// Pipeline: one run of strix over its inputs, the loop `run` and `replay` share (and Kafka,
// reload and checkpoints hook into): sources -> decoder (parallel batches with threads) ->
// engine -> complex-event writer -> output, with dead letters, replay pacing, progress and
// stopping on a flag (SIGINT/SIGTERM set it in the CLI).
// Stage: runtime. Interface:
//
//   runtime::PipelineOptions o;  o.inputs = {"events.jsonl"};  o.output = "-";  ...
//   runtime::Pipeline p(program, o, hooks, &stop);
//   if (Status s = p.Open(); !s.ok()) ...;       // opens inputs and outputs (nothing read yet)
//   runtime::RunReport r = p.Run();               // reads to the end or until `stop`
//
// The library prints nothing: messages (a TCP output down and back, a limit reached, an input
// that failed) go to hooks.message, the progress to hooks.progress. The exit status of CLI.md
// is in the report (0, or 2 when an input or output failed).
// A Kafka input (the only input then) is matched one engine per partition
// (runtime/partition_engines.h); with a state directory its state goes to Kafka instead, one
// transaction per checkpoint (docs/kafka.md).
// Covered by test/cli_test.sh, test/silent_cli_test.sh, test/state_cli_test.sh,
// test/kafka_test.sh, test/kafka_state_test.sh and the conformance cases.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/complex_event_writer.h"
#include "adapters/event_decoder.h"
#include "adapters/kafka.h"
#include "adapters/line_source.h"
#include "adapters/output.h"
#include "common/status.h"
#include "engine/complex_event.h"
#include "engine/program.h"
#include "runtime/rule_set.h"

namespace strix::runtime {

struct PipelineOptions {
  std::vector<std::string> inputs = {"-"};
  adapters::SourceLimits limits;
  adapters::KafkaConfig kafka;      // for kafka:// inputs and outputs (group, properties)
  int64_t idle_timeout_ms = 30000;  // a Kafka partition this quiet stops holding time back
  std::string output = "-";  // "-", a file, tcp://HOST:PORT, kafka://...; "": none (hooks only)
  std::string dead_letter;   // empty: dead letters are only counted (summary message)
  adapters::OutputEvents output_events = adapters::OutputEvents::kFull;
  int64_t write_timeout_ms = 30000;
  adapters::Clock clock = adapters::Clock::kEvent;
  int64_t max_delay_ms = 0;
  std::optional<int64_t> max_future_ms;
  size_t max_partial_matches = 10000;
  size_t max_state_bytes = size_t{1} << 30;  // 0: no limit
  unsigned threads = 1;
  double speed = 0;          // replay pacing: event time / speed; 0 as fast as possible
  bool keep_output = false;  // keep the formatted complex events (golden files)
  // --table NAME=FILE (LANGUAGE.md 7): rows loaded before the first event (not when the state
  // is restored from a checkpoint: the checkpoint holds the tables). With a Kafka input, into
  // each partition's engine as it is created (unless its state is restored).
  std::vector<std::pair<std::string, std::string>> tables;

  // Checkpoints (CLI.md "State: checkpoints and restarts"; runtime/checkpoint.h). Empty
  // state_dir: none. With a Kafka input, state per partition in Kafka and state_dir unused.
  // `meaning` lists the other options that change what the state means (the field options), as
  // (option, value); inputs, outputs and the clock are added here.
  std::string state_dir;
  int64_t checkpoint_every_ms = 10000;
  bool state_reset = false;
  std::vector<std::pair<std::string, std::string>> meaning;
  std::string strix_version;

  // Live reload (CLI.md "Live operation"; runtime/reload.h): when `reload` is set (SIGHUP) or,
  // with `watch`, when hooks.rules_stamp() changes (looked at once a second), hooks.load_rules
  // compiles the rules again beside the run and they take over between two events.
  std::atomic<bool>* reload = nullptr;
  bool watch = false;

  // --metrics HOST:PORT: Prometheus text at /metrics, "ok" at /healthz (runtime/metrics.h);
  // empty: none. The port taken is an error of Open().
  std::string metrics;
};

struct PipelineHooks {
  // One line for standard error, without the "strix: " prefix.
  std::function<void(const std::string&)> message;
  // Events handed to the engine so far and the input position (bytes; size < 0 unknown).
  std::function<void(uint64_t events, int64_t position, int64_t size)> progress;
  // Loads and compiles the rule files again (on another thread), keeping the slots of the
  // running program's fields (CompileOptions::seed_fields); none: no reloads.
  std::function<Result<std::shared_ptr<const RuleSet>>(std::shared_ptr<const engine::Program> seed)>
      load_rules;
  // A stamp of the rule files that changes when they do (--watch).
  std::function<std::string()> rules_stamp;
  // Opens input `index` (named options.inputs[index]) instead of adapters::OpenSource: lines
  // from elsewhere (`strix test` reads its given events from memory).
  std::function<Result<std::unique_ptr<adapters::Source>>(size_t index, const std::string& name)>
      open_input;
  // Every complex event as it is written (`line` formatted, with its newline).
  std::function<void(const engine::ComplexEvent& ce, std::string_view line)> complex_event;
  // Every dead letter: its reason, the input's name and the line number.
  std::function<void(const char* reason, const std::string& source, uint64_t line)> rejected;
};

struct RunReport {
  int status = 0;            // 0, or 2: an input or output failed (said through hooks.message)
  bool interrupted = false;  // `stop` was set
  engine::RunStats stats;
  uint64_t dead_letters = 0;            // every dead letter, late ones included
  double seconds = 0;                   // wall time of Run()
  std::vector<std::string> kept;        // with keep_output: the complex events as written
  uint64_t checkpoints = 0;             // written by this run
  uint64_t checkpoint_bytes = 0;        // size of the last one
  double checkpoint_seconds = 0;        // time spent writing them (on their own thread)
  double capture_seconds = 0;           // time the run stood still to capture them
  double final_checkpoint_seconds = 0;  // the one at the end of the input, waited for
  uint64_t reloads = 0;                 // new rules that took over
  uint64_t reload_failures = 0;         // reloads refused (errors, failed tests, unreadable files)
  double reload_pause_seconds = 0;      // the longest stand-still of a take-over
  // With worker threads: batches run on them and on the calling thread (ParallelChoice).
  uint64_t parallel_batches = 0, serial_batches = 0;
};

class Pipeline {
 public:
  // `program` and `stop` must outlive the pipeline.
  Pipeline(const engine::Program& program, PipelineOptions options, PipelineHooks hooks,
           std::atomic<bool>* stop);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Opens every input and output; an error names the one that failed. With a state
  // directory, loads its newest checkpoint first: inputs resume at their positions and file
  // outputs are cut back to their lengths; a checkpoint made with other options is an error
  // that names the option.
  Status Open();
  // Reads until the inputs end or `stop` is set, matches, writes, flushes. Once.
  RunReport Run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strix::runtime
