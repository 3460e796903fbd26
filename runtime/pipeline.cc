// The run loop of `run` and `replay` (see pipeline.h).
#include "runtime/pipeline.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>
#include <unordered_map>

#include "adapters/batch_decoder.h"
#include "adapters/dead_letter.h"
#include "adapters/merged_source.h"
#include "common/parallel_choice.h"
#include "engine/engine.h"
#include "runtime/checkpoint.h"
#include "runtime/metrics.h"
#include "runtime/partition_engines.h"
#include "runtime/reload.h"
#include "runtime/table_preload.h"

namespace strix::runtime {
namespace {

// Formats complex events, writes them (when there is an output) and keeps them (golden files).
class OutputSink : public engine::ComplexEventSink {
 public:
  OutputSink(adapters::ComplexEventWriter& w, adapters::Output* out, bool keep,
             const std::function<void(const engine::ComplexEvent&, std::string_view)>& observe)
      : w_(&w), out_(out), keep_(keep), observe_(observe) {}
  void SetFormatter(adapters::ComplexEventWriter& w) { w_ = &w; }  // new rules (reload)
  void Emit(const engine::ComplexEvent& ce) override {
    if (ce.rule < by_rule.size()) ++by_rule[ce.rule];
    const std::string_view line = w_->Format(ce);
    if (out_ && out_->keyed()) {  // Kafka: the key's JSON text is the message key
      key_.clear();
      adapters::AppendKeyJson(key_, ce.key);
      out_->WriteKeyed(key_, line);
    } else if (out_) {
      out_->Write(line);
    }
    if (keep_) kept.emplace_back(line);
    if (observe_) observe_(ce, line);
  }
  std::vector<std::string> kept;
  std::vector<uint64_t> by_rule;  // complex events per rule since the metrics last took them

 private:
  adapters::ComplexEventWriter* w_;
  adapters::Output* out_;
  bool keep_;
  const std::function<void(const engine::ComplexEvent&, std::string_view)>& observe_;
  std::string key_;
};

// The same options, in the same order: else the state means something else. The error
// names the first difference.
Status SameMeaning(const std::vector<std::pair<std::string, std::string>>& was,
                   const std::vector<std::pair<std::string, std::string>>& now) {
  auto show = [](const std::vector<std::pair<std::string, std::string>>& m, size_t i) {
    return i < m.size() ? m[i].first + " '" + m[i].second + "'" : std::string("nothing");
  };
  for (size_t i = 0; i < std::max(was.size(), now.size()); ++i) {
    if (i < was.size() && i < now.size() && was[i] == now[i]) continue;
    return Status::Error("was made with " + show(was, i) + " where this run has " + show(now, i) +
                         " (--state-reset starts afresh)");
  }
  return Status::Ok();
}

}  // namespace

struct Pipeline::Impl {
  const engine::Program& program;
  PipelineOptions o;
  PipelineHooks hooks;
  std::atomic<bool>* stop;
  std::unique_ptr<adapters::Source> src;
  adapters::MergedSource* merged = nullptr;
  std::unique_ptr<adapters::Output> out, dead_out;
  std::vector<bool> resumable;  // per input: a file
  std::unique_ptr<StateDir> state;
  std::optional<Checkpoint> restored;
  std::vector<std::pair<std::string, std::string>> meaning;
  adapters::KafkaConfig kafka;
  // --state with a Kafka input: state per partition, in Kafka, one transaction per checkpoint.
  std::unique_ptr<adapters::KafkaTransaction> txn;
  adapters::KafkaSource* kafka_src = nullptr;
  std::unique_ptr<MetricsServer> metrics;

  void Say(const std::string& m) const {
    if (hooks.message) hooks.message(m);
  }
  adapters::TcpWriterOptions TcpOptions(const std::string& name) const {
    // A TCP peer that goes down holds the run (back-pressure) until it is back; both are said.
    adapters::TcpWriterOptions t;
    t.stop = stop;
    t.write_timeout_ms = o.write_timeout_ms;
    t.on_status = [this, name](const std::string& what) { Say("output '" + name + "': " + what); };
    return t;
  }
  Status Open();
  RunReport Run();
};

Pipeline::Pipeline(const engine::Program& program, PipelineOptions options, PipelineHooks hooks,
                   std::atomic<bool>* stop)
    : impl_(new Impl{program, std::move(options), std::move(hooks), stop}) {}

Pipeline::~Pipeline() = default;

Status Pipeline::Open() {
  return impl_->Open();
}

RunReport Pipeline::Run() {
  return impl_->Run();
}

Status Pipeline::Impl::Open() {
  kafka = o.kafka;
  kafka.on_status = [this](const std::string& what) { Say("Kafka: " + what); };
  meaning = o.meaning;
  meaning.emplace_back("--clock", o.clock == adapters::Clock::kWall ? "wall" : "event");
  for (const std::string& in : o.inputs) meaning.emplace_back("--input", in);
  meaning.emplace_back("--output", o.output);
  meaning.emplace_back("--dead-letter", o.dead_letter);
  bool kafka_in = false;
  for (const std::string& in : o.inputs) kafka_in = kafka_in || adapters::IsKafkaAddress(in);
  // A Kafka input's partitions are matched apart (runtime/partition_engines.h) and its
  // rebalance callbacks call into the run: it is read alone, on the run's thread.
  if (kafka_in && o.inputs.size() != 1)
    return Status::Error("a Kafka input must be the only input");
  for (const auto& [name, file] : o.tables) {
    bool known = false;
    for (const engine::TableSpec& t : program.tables) known = known || t.name == name;
    if (!known)
      return Status::Error("--table " + name + "=" + file + ": the rules have no table '" + name +
                           "'");
    if (file == "-" || !std::ifstream(file))
      return Status::Error("--table " + name + ": cannot read '" + file + "'");
  }
  if (!o.state_dir.empty() && kafka_in) {
    // State per partition lives in Kafka (CLI.md "Kafka"), written with the outputs and the
    // offsets in one transaction: the state directory is not used.
    auto at = adapters::ParseKafkaAddress(o.inputs[0]);
    if (!at)
      return Status::Error("bad input address '" + o.inputs[0] + "' (kafka://BROKERS/TOPICS)");
    auto t =
        adapters::KafkaTransaction::Open(at->brokers, kafka, kafka.group + ".strix-state", stop);
    if (!t.ok()) return t.status();
    txn = std::move(*t);
    kafka.transaction = txn.get();
    // Only what changes the meaning of the state: not the addresses, which members may spell
    // differently.
    meaning = o.meaning;
    meaning.emplace_back("--clock", o.clock == adapters::Clock::kWall ? "wall" : "event");
  } else if (!o.state_dir.empty()) {
    auto d = StateDir::Open(o.state_dir);
    if (!d.ok()) return d.status();
    state = std::move(*d);
    if (o.state_reset) {
      if (Status s = state->Reset(); !s.ok()) return s;
    } else {
      std::vector<std::string> notes;
      auto c = state->LoadLatest(notes);
      for (const std::string& n : notes) Say("state: " + n);
      if (!c.ok()) return Status::Error("state: " + c.message());
      restored = std::move(*c);
    }
  }
  if (restored) {
    if (Status same = SameMeaning(restored->meaning, meaning); !same.ok())
      return Status::Error("state: the checkpoint in '" + o.state_dir + "' " + same.message());
  }
  if (!o.metrics.empty()) {
    auto m = MetricsServer::Start(o.metrics);
    if (!m.ok()) return m.status();
    metrics = std::move(*m);
    Say("metrics at http://" + o.metrics.substr(0, o.metrics.rfind(':')) + ":" +
        std::to_string(metrics->port()) + "/metrics");
  }
  // Open everything first, so a bad name fails before any output. Several inputs are read at
  // once (a listener first must not starve the files after it): lines in arrival order.
  std::vector<std::unique_ptr<adapters::Source>> sources;
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    const std::string& in = o.inputs[i];
    auto s = hooks.open_input ? hooks.open_input(i, in)
                              : adapters::OpenSource(in, o.limits, stop, kafka);
    if (!s.ok()) return s.status();
    resumable.push_back((*s)->resumable());
    if (restored && i < restored->positions.size() && restored->positions[i].resumable) {
      const InputPosition& at = restored->positions[i];
      if (Status r = (*s)->Resume(at.offset, at.line, at.partial); !r.ok())
        return Status::Error("state: input '" + in + "': " + r.message());
    }
    sources.push_back(std::move(*s));
  }
  if (kafka_in) kafka_src = dynamic_cast<adapters::KafkaSource*>(sources[0].get());
  if (sources.size() == 1) {
    src = std::move(sources[0]);
  } else {
    auto m = std::make_unique<adapters::MergedSource>(std::move(sources), o.limits.max_queued);
    merged = m.get();
    src = std::move(m);
  }
  // (src, which owns the Kafka source, outlives the metrics server: members go in reverse.)
  if (kafka_src && metrics) metrics->SetKafkaLag([k = kafka_src] { return k->Lag(); });
  // A restored run cuts its file outputs back to their checkpointed lengths.
  auto length_of = [&](const std::string& name) -> std::optional<uint64_t> {
    if (!restored) return std::nullopt;
    for (const auto& [n, len] : restored->outputs) {
      if (n == name) return len;
    }
    return std::nullopt;
  };
  if (!o.output.empty()) {
    auto main_out =
        adapters::Output::Open(o.output, TcpOptions(o.output), length_of(o.output), kafka);
    if (!main_out.ok()) return main_out.status();
    out = std::move(*main_out);
  }
  if (!o.dead_letter.empty()) {
    auto d = adapters::Output::Open(o.dead_letter, TcpOptions(o.dead_letter),
                                    length_of(o.dead_letter), kafka);
    if (!d.ok()) return d.status();
    dead_out = std::move(*d);
  }
  return Status::Ok();
}

RunReport Pipeline::Impl::Run() {
  RunReport report;
  // Source names for identities and dead letters: the inputs as written, then one per TCP peer.
  std::vector<std::string> names = restored ? restored->names : o.inputs;
  std::unordered_map<std::string, uint32_t> peer_index;
  for (size_t i = o.inputs.size(); i < names.size(); ++i)
    peer_index.emplace(names[i], static_cast<uint32_t>(i));
  auto name_index = [&](std::string_view name) -> uint32_t {
    auto [it, fresh] =
        peer_index.try_emplace(std::string(name), static_cast<uint32_t>(names.size()));
    if (fresh) names.emplace_back(name);
    return it->second;
  };
  auto origin_of = [&](size_t si, const adapters::Line& line) -> uint32_t {
    if (line.origin.empty()) return static_cast<uint32_t>(si);
    return name_index(line.origin);
  };
  // What is built from the rules (replaced together by a reload, runtime/reload.h).
  const engine::Program* prog = &program;
  std::shared_ptr<const RuleSet> rule_set;  // a reloaded set (null: the program given)
  auto formatter =
      std::make_unique<adapters::ComplexEventWriter>(*prog, names, o.output_events, nullptr);
  OutputSink writer(*formatter, out.get(), o.keep_output, hooks.complex_event);
  writer.by_rule.assign(prog->rules.size(), 0);
  uint64_t latency_tick = 0;  // metrics: one event in 64 is timed
  auto progress = [&](uint64_t events) {
    if (hooks.progress) hooks.progress(events, src->position(), src->size());
  };
  bool paced = false;
  TimeMs pace_from = 0;
  auto pace_start = std::chrono::steady_clock::now();
  adapters::DeadLetters dead(dead_out.get(), hooks.rejected);
  auto decoder = std::make_unique<adapters::EventDecoder>(prog->fields, o.clock);
  // A Kafka input's partitions each have an engine of their own (one thread each).
  // --threads: as many workers as the rules can use (engine::UsefulWorkers), said once.
  bool said_workers = false;
  auto workers_for = [&](const engine::Program& p) {
    if (kafka_src) return 1u;
    const unsigned n = engine::UsefulWorkers(p, std::max(1u, o.threads));
    if (n < o.threads && !said_workers) {
      said_workers = true;
      Say("--threads " + std::to_string(o.threads) +
          ": matching on one thread (the rules have no sequence with a `by` key for the "
          "threads to share out)");
    }
    return n;
  };
  auto make_engine = [&](const engine::Program& p) {
    auto e =
        std::make_unique<engine::Engine>(p, o.max_delay_ms, o.max_partial_matches, workers_for(p));
    if (o.max_future_ms) e->set_max_future(*o.max_future_ms);
    e->set_max_state(o.max_state_bytes);
    return e;
  };
  std::unique_ptr<engine::Engine> eng = make_engine(*prog);
  std::unique_ptr<PartitionEngines> parts;
  if (kafka_src) {
    parts = std::make_unique<PartitionEngines>(
        *prog, PartitionSettings{o.max_delay_ms, o.max_partial_matches, o.max_state_bytes,
                                 o.max_future_ms, o.idle_timeout_ms});
  }
  // The run's counters: a Kafka input's are summed over its partitions' engines.
  auto run_stats = [&]() { return parts ? parts->stats() : eng->stats(); };
  // Per table of the rules, a figure of the engines' table stores (LANGUAGE.md 7) summed over
  // the run's engines: a Kafka input's partitions, or the one.
  auto sum_tables = [&](auto figure) {
    std::vector<uint64_t> sum(prog->tables.size(), 0);
    auto add = [&](const engine::Engine& e) {
      if (!e.tables()) return;
      const std::vector<uint64_t> n = figure(*e.tables());
      for (size_t t = 0; t < n.size() && t < sum.size(); ++t) sum[t] += n[t];
    };
    if (parts) {
      parts->ForEach([&](uint32_t, PartitionEngines::Part& part) { add(*part.engine); });
    } else {
      add(*eng);
    }
    return sum;
  };
  bool state_warned = false;  // --max-state reached: said once, when it first happens
  // (With a Kafka input it is looked at every 256 lines, not per event: the sum is a walk.)
  auto warn_state = [&]() {
    if (state_warned || run_stats().dropped_state == 0) return;
    state_warned = true;
    Say("warning: --max-state " + std::to_string(o.max_state_bytes) +
        " bytes reached: the oldest partial matches are being dropped (counted in --stats)");
  };
  auto started = std::chrono::steady_clock::now();
  uint64_t seq = 0;
  // Where each input resumes after the lines handed to the engine so far.
  std::vector<InputPosition> positions(o.inputs.size());
  for (size_t i = 0; i < positions.size(); ++i) positions[i].resumable = resumable[i];
  if (restored) {
    seq = restored->next_seq;
    dead.RestoreCounts(restored->dead_counts);
    for (size_t i = 0; i < positions.size() && i < restored->positions.size(); ++i) {
      if (resumable[i]) positions[i] = restored->positions[i];
    }
    engine::RestoreReport rr =
        eng->Restore(restored->engine, [&](const engine::EventRecord& rec, Event& ev) {
          return adapters::DecodeSaved(*decoder, rec, ev);
        });
    std::string m = "state: restored from '" + o.state_dir +
                    "': " + std::to_string(rr.partial_matches) +
                    " partial matches, resuming after " + std::to_string(seq) + " events";
    if (rr.dropped_rules) {
      m += "; " + std::to_string(rr.dropped_rules) + " rules changed or removed since (" +
           std::to_string(rr.dropped_partial) + " partial matches dropped)";
    }
    if (rr.undecodable_events)
      m += "; " + std::to_string(rr.undecodable_events) + " saved events no longer decode";
    Say(m);
  }
  if (!restored && !o.tables.empty()) {
    // A Kafka input: each partition's tables start with the rows (CLI.md "Kafka": rows belong
    // to partitions), loaded once here and copied into a partition's engine when it is created;
    // saved state of the partition, when there is some, replaces them.
    std::unique_ptr<engine::Engine> seed = parts ? make_engine(*prog) : nullptr;
    PreloadReport loaded;
    Status s = PreloadTables(o.tables, *prog, parts ? *seed : *eng, *decoder, dead,
                             o.limits.max_line, loaded);
    if (!s.ok()) {
      Say(s.message());
      report.status = 2;
      return report;
    }
    for (const std::string& m : loaded.lines)
      Say(m + (parts ? " (each Kafka partition starts with them)" : ""));
    if (parts) {
      auto rows = std::make_shared<engine::EngineSnapshot>();
      seed->Save(*rows);
      parts->SetInitialState([rows, &decoder](engine::Engine& e) {
        e.Restore(*rows, [&](const engine::EventRecord& rec, Event& ev) {
          return adapters::DecodeSaved(*decoder, rec, ev);
        });
      });
    }
  }
  auto next_checkpoint = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(std::max<int64_t>(1, o.checkpoint_every_ms));
  auto push = [&](Event&& ev, size_t si, uint64_t number, std::string_view raw) {
    if (o.speed > 0) {  // replay pacing: event time / speed = wall time since the first event
      if (!paced) {
        paced = true;
        pace_from = ev.time;
        pace_start = std::chrono::steady_clock::now();
      }
      double ms = double(ev.time - pace_from) / o.speed;
      auto when = pace_start + std::chrono::microseconds(int64_t(std::min(ms * 1000, 9e15)));
      if (ms > 0 && when > std::chrono::steady_clock::now() && !stop->load()) {
        // Everything due is shown before waiting, and the wait ends at once on a signal.
        eng->Flush(writer);
        if (out) (void)out->Flush();
        while (!stop->load() && std::chrono::steady_clock::now() < when) {
          progress(seq);
          std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
              when - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
        }
      }
    }
    ev.source = static_cast<uint32_t>(si);
    ev.line = number;
    ev.seq = seq++;
    const bool timed = metrics && (++latency_tick & 63) == 0;  // one event in 64
    auto t_push =
        timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    engine::Admit admit =
        parts ? parts->Push(std::move(ev), si, writer) : eng->Push(std::move(ev), writer);
    if (timed) {
      metrics->ObserveLatency(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t_push).count());
    }
    if (admit == engine::Admit::kLate) dead.Reject("late", names[si], number, raw);
    if (admit == engine::Admit::kFuture) dead.Reject("future", names[si], number, raw);
    if (!parts) warn_state();
  };
  // With worker threads, lines are decoded in parallel batches; the rest is in input order.
  std::unique_ptr<adapters::BatchDecoder> batch;
  auto batch_for = [&](const engine::Program& p) {  // as the engine's workers (none: null)
    batch.reset();
    if (eng->workers() > 1)
      batch = std::make_unique<adapters::BatchDecoder>(p.fields, o.clock, eng->workers());
  };
  batch_for(*prog);
  std::vector<std::pair<uint32_t, uint64_t>> numbers;  // per batched line: source, line number
  // Each batch on the workers or on this thread, whichever its time per event has favoured
  // (common/parallel_choice.h): decoding, matching and output of the batch are timed together.
  ParallelChoice choice;
  auto drain = [&]() {
    if (!batch || batch->size() == 0) return;
    const auto t_batch = std::chrono::steady_clock::now();
    const size_t lines = batch->size();
    // A change of way moves the matching state (Engine::SetParallel); refused while a
    // checkpoint capture walks it: then the batch runs the old way and is not measured.
    const bool want = choice.parallel();
    if (eng->parallel() != want) {
      const auto t_move = std::chrono::steady_clock::now();
      if (eng->SetParallel(want, writer))
        choice.Moved(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_move).count(),
            eng->live_partial_matches());
    }
    const bool as_chosen = eng->parallel() == want;
    batch->Decode(eng->parallel());
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
    // The engine's batch ends with the decoder's, so that each measured time is that of its
    // own lines' decoding, matching and output (left to the engine's own count of 4096, a
    // batch could hold two flushes and the next none: times 5x apart for the same work).
    eng->Flush(writer);
    choice.Done(as_chosen ? lines : 0,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t_batch).count(),
                eng->live_partial_matches());
  };
  // A failed output (disk full, ...) stops the run: reading on would lose what it cannot write.
  auto outputs_failed = [&]() {
    return (out && out->failed()) || (dead_out && dead_out->failed());
  };
  // A checkpoint between two lines: everything read so far is matched and written (and
  // synced), then the engine, the input positions and the output lengths are saved.
  // Live input went quiet: what was read is matched and written out now. A Kafka output is
  // left to librdkafka here (a flush waits for every delivery: once a second is enough).
  // Everything read so far matched: batched lines decoded, worker batches emitted, time passed
  // on to quiet partitions.
  auto match_read = [&]() {
    drain();
    eng->Flush(writer);
    if (parts) parts->Tick(writer);
  };
  auto emit_now = [&]() {
    match_read();
    if (out && !out->keyed()) (void)out->Flush();
    if (dead_out && !dead_out->keyed()) (void)dead_out->Flush();
  };
  // Everything read so far matched and its output flushed (delivered, for Kafka).
  auto settle = [&]() {
    match_read();
    Status os = out ? out->Flush() : Status::Ok();
    if (dead_out && os.ok()) os = dead_out->Flush();
    return os;
  };
  // Settled, the source may acknowledge what it handed out (Kafka commits offsets).
  auto acknowledge = [&]() {
    if (settle().ok()) src->Durable();
  };
  auto next_ack = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  // Checkpoints are captured here, between two lines (everything read so far matched and
  // written), and written to disk by a thread of their own while the run goes on. The memory
  // of the capture and of the encoded bytes is reused from one checkpoint to the next.
  // (Declared after `eng`: captures refer to its events and must go first.)
  Checkpoint ck;
  std::unique_ptr<CheckpointWriter> writer_thread;
  if (state) writer_thread = std::make_unique<CheckpointWriter>(*state, o.strix_version);
  auto collect = [&]() {  // the outcome of the write in flight
    size_t bytes = 0;
    double secs = 0;
    Status ws = writer_thread->Wait(&bytes, &secs);
    if (!ws.ok()) {
      Say("state: " + ws.message());
    } else if (bytes > 0) {
      ++report.checkpoints;
      report.checkpoint_bytes = bytes;
      report.checkpoint_seconds += secs;
    }
  };
  auto checkpoint = [&](bool wait) {
    auto t0 = std::chrono::steady_clock::now();
    if (!settle().ok()) return;  // the run stops on the failed output; the last one stays
    Checkpoint& c = ck;
    c.meaning = meaning;
    c.positions = positions;
    c.outputs.clear();
    std::vector<int> sync;
    if (out && out->is_file()) {
      c.outputs.emplace_back(o.output, out->length());
      sync.push_back(out->fd());
    }
    if (dead_out && dead_out->is_file()) {
      c.outputs.emplace_back(o.dead_letter, dead_out->length());
      sync.push_back(dead_out->fd());
    }
    c.names = names;
    c.next_seq = seq;
    c.dead_counts = dead.Counts();
    eng->BeginCapture(c.engine);  // the partitions are saved on the writer's thread
    collect();                    // the previous write
    engine::Engine* e = eng.get();
    writer_thread->Submit(c, std::move(sync),
                          [e](engine::EngineSnapshot& s) { e->CompleteCapture(s); });
    report.capture_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (wait) collect();
  };
  // State in Kafka: one transaction holds the output since the last one, the state of every
  // partition that changed, and the offsets of the lines read. A failed transaction stops the
  // run (exit 2): the next owner of the partitions resumes from the last one committed.
  bool kafka_failed = false;
  auto kafka_fail = [&](const std::string& why) {  // said; the run stops with exit 2
    Say(why);
    kafka_failed = true;
    report.status = 2;
    stop->store(true);
  };
  auto kafka_checkpoint = [&]() {
    if (kafka_failed) return;
    auto t0 = std::chrono::steady_clock::now();
    if (!settle().ok()) return;  // a file output failed: the run stops on it
    std::vector<std::pair<std::string, std::string>> states;
    std::vector<adapters::KafkaPartition> offsets;
    size_t bytes = 0;
    parts->ForEach([&](uint32_t si, PartitionEngines::Part& part) {
      if (part.next_line < 0) return;  // nothing read and nothing restored: nothing to say
      const std::string& name = names[si];
      size_t slash = name.rfind('/');
      offsets.push_back({name.substr(0, slash),
                         static_cast<int32_t>(std::stol(name.substr(slash + 1))), part.next_line});
      if (!part.dirty) return;
      Checkpoint c;  // its own: it must not hold the events of an engine that goes later
      c.meaning = meaning;
      c.positions.assign(1, InputPosition{0, static_cast<uint64_t>(part.next_line), false, true});
      c.names.assign(1, name);
      c.next_seq = seq;
      part.engine->Save(c.engine);
      states.emplace_back(name, EncodeCheckpoint(c, o.strix_version));
      bytes += states.back().second.size();
      part.dirty = false;
    });
    if (states.empty() && txn->buffered_bytes() == 0) return;  // nothing new since the last
    Status s = txn->Commit(states, offsets, *kafka_src);
    if (!s.ok()) return kafka_fail(s.message());
    ++report.checkpoints;
    if (!states.empty()) report.checkpoint_bytes = bytes;
    report.capture_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Due at the interval, or early when the output waiting for the commit grows large (bounded
  // memory); the interval runs from the end of the last one.
  auto kafka_checkpoint_if_due = [&]() {
    auto now = std::chrono::steady_clock::now();
    if (now < next_checkpoint && txn->buffered_bytes() <= (size_t{64} << 20)) return;
    kafka_checkpoint();
    next_checkpoint =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(o.checkpoint_every_ms);
  };
  bool assigned_before = false;
  if (parts && txn) {
    adapters::KafkaSource::RebalanceHooks hooks;
    // Before partitions go: everything so far is committed, then their engines are dropped.
    hooks.revoked = [&](const std::vector<adapters::KafkaPartition>& ps) {
      kafka_checkpoint();
      for (const adapters::KafkaPartition& p : ps) parts->Drop(name_index(p.name()));
    };
    // When partitions come: their state is read from Kafka and reading starts where it ends.
    hooks.assigned = [&](std::vector<adapters::KafkaPartition>& ps) {
      if (kafka_failed) return;
      std::vector<std::string> wanted;
      for (const adapters::KafkaPartition& p : ps) wanted.push_back(p.name());
      std::vector<std::pair<std::string, std::string>> saved;
      // --state-reset: what was there before this run is ignored, not what it writes itself
      // (its partitions come back to it after each rebalance).
      if (!o.state_reset || assigned_before) {
        auto loaded = txn->LoadState(wanted);
        if (!loaded.ok()) return kafka_fail("state: " + loaded.message());
        saved = std::move(*loaded);
      }
      assigned_before = true;
      for (adapters::KafkaPartition& p : ps) {
        uint32_t si = name_index(p.name());
        parts->Drop(si);
        PartitionEngines::Part& part = parts->Get(si);
        auto it = std::find_if(saved.begin(), saved.end(),
                               [&](const auto& st) { return st.first == p.name(); });
        if (it == saved.end()) continue;
        auto c = DecodeCheckpoint(it->second);
        Status bad = c.ok() ? Status::Ok() : c.status();
        if (bad.ok()) bad = SameMeaning(c->meaning, meaning);
        if (!bad.ok()) return kafka_fail("state of " + p.name() + ": " + bad.message());
        engine::RestoreReport rr =
            part.engine->Restore(c->engine, [&](const engine::EventRecord& rec, Event& ev) {
              if (!adapters::DecodeSaved(*decoder, rec, ev)) return false;
              ev.source = si;  // this run's number for the partition
              return true;
            });
        part.engine->stats() = engine::RunStats();  // this run counts what it does
        seq = std::max(seq, c->next_seq);
        part.next_line = static_cast<int64_t>(c->positions.empty() ? 0 : c->positions[0].line);
        p.offset = part.next_line;
        std::string m = "state: " + p.name() + " restored: " + std::to_string(rr.partial_matches) +
                        " partial matches, reading on at offset " + std::to_string(p.offset);
        if (rr.dropped_rules) {
          m += "; " + std::to_string(rr.dropped_rules) + " rules changed or removed since (" +
               std::to_string(rr.dropped_partial) + " partial matches dropped)";
        }
        Say(m);
      }
    };
    kafka_src->SetRebalanceHooks(std::move(hooks));
  }
  // Reloads: watched for and compiled beside the run (Reloader), taken over here between two
  // events; rules that do not load are said at once, the running rules stay.
  std::unique_ptr<Reloader> reloader;
  if (hooks.load_rules) {
    // The new rules' engine is built where they are compiled, beside the run (one engine: a
    // Kafka input's partitions get theirs at the take-over).
    auto load = [&, base = hooks.load_rules](std::shared_ptr<const engine::Program> seed) {
      Result<std::shared_ptr<const RuleSet>> r = base(std::move(seed));
      if (r.ok() && !parts) (*r)->prepared_engine = make_engine(*(*r)->program);
      return r;
    };
    reloader = std::make_unique<Reloader>(load, o.reload, o.watch ? hooks.rules_stamp : nullptr,
                                          [this](const std::string& why) {
                                            std::string w = why;
                                            while (!w.empty() && w.back() == '\n') w.pop_back();
                                            Say("reload failed, the running rules stay:\n" + w);
                                          });
    // The program given outlives the run: held without owning it.
    reloader->SetSeed(std::shared_ptr<const engine::Program>(std::shared_ptr<void>(), prog));
  }
  // Metrics: the numbers handed to the endpoint now and then (at most every 250 ms while busy,
  // and whenever the input goes quiet), and before rules change (per-rule counts by name).
  auto last_publish = std::chrono::steady_clock::now();
  auto publish = [&]() {
    if (!metrics) return;
    last_publish = std::chrono::steady_clock::now();
    MetricsSample m;
    m.stats = run_stats();
    m.rejected = dead.Counts();
    // Per-rule figures by rule name (rules with none left out).
    auto named = [&](const std::vector<uint64_t>& by_rule,
                     std::vector<std::pair<std::string, uint64_t>>& into) {
      for (size_t r = 0; r < by_rule.size() && r < prog->rules.size(); ++r) {
        if (by_rule[r]) into.emplace_back(prog->rules[r].name, by_rule[r]);
      }
    };
    named(writer.by_rule, m.emitted_by_rule);
    writer.by_rule.assign(prog->rules.size(), 0);
    std::vector<uint64_t> suppressed(prog->rules.size(), 0), partial(prog->rules.size(), 0);
    if (parts) {
      parts->TakeSuppressedByRule(suppressed);
      parts->PartialMatchesByRule(partial);
    } else {
      eng->TakeSuppressedByRule(suppressed);
      eng->PartialMatchesByRule(partial);
    }
    named(suppressed, m.suppressed_by_rule);
    named(partial, m.partial_by_rule);
    m.partial_matches = parts ? parts->live_partial_matches() : eng->live_partial_matches();
    std::vector<uint64_t> rows =
        sum_tables([](const engine::TableStore& t) { return t.row_counts(); });
    for (size_t t = 0; t < rows.size(); ++t)
      m.table_rows.emplace_back(prog->tables[t].name, rows[t]);
    m.state_bytes = parts ? parts->state_bytes() : eng->state_bytes();
    TimeMs wm = 0;
    m.have_watermark = parts ? parts->watermark(&wm) : eng->seen_any();
    m.watermark_ms = parts ? wm : eng->watermark();
    m.reloads = report.reloads;
    m.reload_failures = reloader ? reloader->failures() : 0;
    m.checkpoints = report.checkpoints;
    m.checkpoint_bytes = report.checkpoint_bytes;
    m.checkpoint_capture_seconds = report.capture_seconds;
    metrics->Update(m);
  };
  auto take_over = [&](std::shared_ptr<const RuleSet> set) {
    auto t0 = std::chrono::steady_clock::now();
    drain();              // lines read so far are the old rules' (decoded with their fields)
    publish();            // per-rule counts under the old rules' names
    if (writer_thread) {  // no checkpoint may still refer to the old engine's events
      collect();
      writer_thread->Release();
    }
    ck.engine.Clear();
    auto next_decoder = std::make_unique<adapters::EventDecoder>(set->program->fields, o.clock);
    auto decode = [&](const engine::EventRecord& rec, Event& ev) {
      return adapters::DecodeSaved(*next_decoder, rec, ev);
    };
    // The rules' map, made beside the run, when they were compiled against these rules.
    const std::vector<int64_t>* rule_map =
        set->seeded_from == prog->serial ? &set->rule_map : nullptr;
    engine::RestoreReport rr;
    if (parts) {
      rr = parts->Reload(*set->program, decode, rule_map);
    } else {
      eng->Flush(writer);  // what the workers hold comes out under the old rules
      std::unique_ptr<engine::Engine> next =
          set->prepared_engine ? std::move(set->prepared_engine) : make_engine(*set->program);
      rr = TakeOverState(*eng, *next, decode, rule_map);
      eng = std::move(next);
    }
    auto next_formatter = std::make_unique<adapters::ComplexEventWriter>(*set->program, names,
                                                                         o.output_events, nullptr);
    writer.SetFormatter(*next_formatter);
    formatter = std::move(next_formatter);
    decoder = std::move(next_decoder);
    batch_for(*set->program);
    prog = set->program.get();
    writer.by_rule.assign(prog->rules.size(), 0);
    rule_set = std::move(set);  // the old set goes last, after all that was built from it
    reloader->SetSeed(std::shared_ptr<const engine::Program>(rule_set, prog));
    double pause = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    report.reload_pause_seconds = std::max(report.reload_pause_seconds, pause);
    ++report.reloads;
    std::string m = "rules reloaded after " + std::to_string(seq) +
                    " events: " + std::to_string(prog->rules.size()) + " rules, " +
                    std::to_string(rr.partial_matches) + " partial matches kept";
    if (rr.dropped_rules) {
      m += ", " + std::to_string(rr.dropped_partial) + " dropped with " +
           std::to_string(rr.dropped_rules) + " changed or removed rules";
    }
    Say(m + " (" + std::to_string(int64_t(pause * 1e6)) + " us)");
    if (!rule_set->warnings.empty()) Say("reloaded rules:\n" + rule_set->warnings);
  };
  // Between two lines: rules compiled since take over.
  auto poll_reload = [&]() {
    if (!reloader) return;
    if (std::shared_ptr<const RuleSet> set = reloader->Take()) take_over(std::move(set));
  };
  uint32_t lines_since_clock = 0;
  adapters::Line line;
  Event ev;
  // The sources end by themselves at the end of the input, and on SIGINT/SIGTERM once they
  // have handed out what they had read (which is then processed).
  while (src->Next(line)) {
    if (outputs_failed()) {
      stop->store(true);  // stops the readers too
      break;
    }
    if (line.tick) {  // the source waits: flush, let idle partitions go, acknowledge
      acknowledge();
      poll_reload();
      publish();
      if (txn) kafka_checkpoint_if_due();
      continue;
    }
    if (line.assigned || line.revoked) {  // a Kafka partition comes or goes
      uint32_t g = origin_of(line.input, line);
      if (txn) continue;  // done by the rebalance hooks, state and all
      // Without --state its state goes: the next owner reads again from the committed offset.
      if (line.assigned) {
        parts->Get(g);  // holds time back from now, even before its first event
      } else {
        parts->Drop(g);
        parts->Tick(writer);
      }
      continue;
    }
    progress(seq);
    uint32_t from = origin_of(line.input, line);
    if (parts && line.partitioned) {  // dead letters too: the offset moves on
      PartitionEngines::Part& part = parts->Get(from);
      part.next_line = static_cast<int64_t>(line.number) + 1;
      part.dirty = true;
    }
    if (line.origin.empty() && line.input < positions.size() && resumable[line.input]) {
      InputPosition& at = positions[line.input];
      at.offset = line.end;
      at.line = line.number;
      at.partial = line.partial;
    }
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
      adapters::DecodeOutcome r = decoder->Decode(line.text, ev);
      if (r == adapters::DecodeOutcome::kEvent) {
        std::string_view raw = ev.raw;
        push(std::move(ev), from, line.number, raw);  // ev is decoded into again (its slots
                                                      // vector is reused when not kept)
      } else if (r != adapters::DecodeOutcome::kBlank) {
        dead.Reject(adapters::ReasonText(r), names[from], line.number, line.text);
      }
    }
    if (!src->LineReady()) emit_now();  // live input may go idle
    if (++lines_since_clock >= 256 || !src->LineReady()) {
      lines_since_clock = 0;
      poll_reload();
      if (metrics && (!src->LineReady() || std::chrono::steady_clock::now() - last_publish >=
                                               std::chrono::milliseconds(250)))
        publish();
      if (parts) {
        parts->Tick(writer);  // quiet partitions' deadlines, on a busy stream too
        warn_state();
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= next_ack) {  // at least once a second on a busy stream
        acknowledge();
        next_ack = now + std::chrono::seconds(1);
      }
    }
    if (txn && lines_since_clock == 0) kafka_checkpoint_if_due();
    if (state && lines_since_clock == 0) {
      auto now = std::chrono::steady_clock::now();
      // The interval runs from the end of the last write: a disk slower than the interval
      // spaces checkpoints out rather than stalling the run.
      if (now >= next_checkpoint && !writer_thread->busy()) {
        checkpoint(false);
        next_checkpoint = now + std::chrono::milliseconds(o.checkpoint_every_ms);
      }
    }
  }
  drain();
  // At the end of the input or on a signal, before the end-of-input deadlines fire: a restart
  // goes on from here (and writes those complex events again, over the same bytes).
  auto final_t0 = std::chrono::steady_clock::now();
  if (state && !outputs_failed()) checkpoint(true);
  if (writer_thread) collect();
  // A one-off at shutdown (the run waits for the whole write), apart from the throughput cost.
  if (state)
    report.final_checkpoint_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - final_t0).count();
  if (txn) {
    // The partitions' state is in Kafka, held events and pending deadlines included: they are
    // not finished here but by whoever reads the partitions next.
    if (!outputs_failed()) kafka_checkpoint();
    kafka_src->SetRebalanceHooks({});  // closing the consumer must not call back into this run
  }
  if (metrics) metrics->SetKafkaLag(nullptr);  // the source may go before the server
  progress(seq);
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    const std::string& err = merged ? merged->input_error(i) : src->error();
    if (err.empty()) continue;
    Say("error reading '" + o.inputs[i] + "': " + err);
    report.status = 2;
  }
  report.interrupted = stop->load();
  if (!parts) {
    eng->Finish(writer, report.interrupted);  // on a signal, deadlines do not fire
  } else if (!txn) {
    // A Kafka input ends only on a signal: held events are matched, deadlines do not fire.
    parts->ForEach([&](uint32_t, PartitionEngines::Part& p) { p.engine->Finish(writer, true); });
  }
  warn_state();
  Status fs = out ? out->Flush() : Status::Ok();
  if (!fs.ok()) {
    Say(fs.message());
    report.status = 2;
  }
  if (dead_out) {
    Status ds = dead_out->Flush();
    if (!ds.ok()) {
      Say("dead letters lost: " + ds.message());
      report.status = 2;
    }
  }
  if (report.status == 0) src->Durable();
  std::string summary = dead.Summary();
  if (!summary.empty() && !dead_out) Say(summary);
  // Changelog events that changed nothing for want of a key (LANGUAGE.md 7) are not dead
  // letters (rules saw them), but they are said.
  std::vector<uint64_t> keyless =
      sum_tables([](const engine::TableStore& t) { return t.without_key(); });
  for (size_t t = 0; t < keyless.size(); ++t) {
    if (keyless[t])
      Say("table " + prog->tables[t].name + ": " + std::to_string(keyless[t]) +
          " changelog events without a key changed nothing");
  }
  report.stats = run_stats();
  report.parallel_batches = choice.parallel_batches();
  report.serial_batches = choice.serial_batches();
  if (reloader) report.reload_failures = reloader->failures();
  publish();                           // the final numbers, for a last scrape
  report.dead_letters = dead.total();  // every dead letter, late ones included (as the summary)
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.kept = std::move(writer.kept);
  return report;
}

}  // namespace strix::runtime
