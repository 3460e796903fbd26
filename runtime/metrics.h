// Metrics: Prometheus text at /metrics and "ok" at /healthz on --metrics HOST:PORT (CLI.md
// "Live operation"). Stage: runtime. Interface: MetricsServer::Start(), Update(),
// ObserveLatency(). prometheus-cpp keeps the series and writes the text format; civetweb (the
// HTTP server prometheus-cpp's own exposer is built on) serves both paths on only the address
// given. The run's thread updates the series now and then; the server's threads read them.
//
// Series: strix_events_received_total, strix_events_late_total,
// strix_events_rejected_total{reason}, strix_complex_events_total (and {rule}: a series only
// for rules that have produced complex events, so 100k standing searches cost nothing until
// they match), strix_complex_events_suppressed_total (and
// strix_rule_complex_events_suppressed_total{rule}), strix_partial_matches (and
// strix_rule_partial_matches{rule}: rules that have had one), strix_kafka_consumer_lag{topic,
// partition} (assigned partitions), strix_table_rows{table} (LANGUAGE.md 7, summed over Kafka
// partitions),
// strix_partial_matches_dropped_total, strix_state_bytes, strix_watermark_lag_seconds,
// strix_processing_latency_seconds (histogram, one event in 64), strix_reloads_total{result},
// strix_checkpoints_total, strix_checkpoint_size_bytes, strix_checkpoint_capture_seconds_total,
// strix_checkpoint_last_success_timestamp_seconds. Covered by test/metrics_test.sh.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/complex_event.h"

namespace strix::runtime {

// The run's numbers at one moment (totals since the start), and per-rule complex events since
// the last Update() (rule names as now).
struct MetricsSample {
  engine::RunStats stats;
  std::vector<std::pair<std::string, uint64_t>> rejected;         // dead letters by reason (totals)
  std::vector<std::pair<std::string, uint64_t>> emitted_by_rule;  // since the last Update
  std::vector<std::pair<std::string, uint64_t>> suppressed_by_rule;  // since the last Update
  std::vector<std::pair<std::string, uint64_t>> partial_by_rule;     // now (rules with any)
  std::vector<std::pair<std::string, uint64_t>> table_rows;          // now, every table
  uint64_t partial_matches = 0;
  uint64_t state_bytes = 0;
  bool have_watermark = false;
  int64_t watermark_ms = 0;  // event time
  uint64_t reloads = 0, reload_failures = 0;
  uint64_t checkpoints = 0, checkpoint_bytes = 0;
  double checkpoint_capture_seconds = 0;
};

class MetricsServer {
 public:
  // Binds HOST:PORT (":PORT" is loopback); an error says why not (port taken, bad address).
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& host_port);
  ~MetricsServer();
  void Update(const MetricsSample& s);
  void ObserveLatency(double seconds);
  // Kafka input: asked at every scrape (on the server's thread, so a run that stands still on
  // a slow output still shows its lag): per assigned partition (TOPIC/PARTITION), the messages
  // not yet read. Null (before the source goes) stops asking.
  using LagFn = std::function<std::vector<std::pair<std::string, int64_t>>()>;
  void SetKafkaLag(LagFn lag);
  int port() const;  // the port bound (for ":0")

 private:
  MetricsServer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strix::runtime
