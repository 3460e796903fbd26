// The metrics endpoint (see metrics.h).
#include "runtime/metrics.h"

#include <CivetServer.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>

namespace strix::runtime {
namespace {

// A Counter that follows a total kept elsewhere (it only goes up by the difference).
struct Follow {
  prometheus::Counter* c = nullptr;
  uint64_t seen = 0;
  void To(uint64_t total) {
    if (total > seen) c->Increment(static_cast<double>(total - seen));
    seen = std::max(seen, total);
  }
};

class Text : public CivetHandler {
 public:
  Text(std::function<std::string()> body, std::string type)
      : body_(std::move(body)), type_(std::move(type)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    std::string b = body_();
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: "
              "close\r\n\r\n",
              type_.c_str(), b.size());
    mg_write(conn, b.data(), b.size());
    return true;
  }

 private:
  std::function<std::string()> body_;
  std::string type_;
};

}  // namespace

struct MetricsServer::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::mutex mu;  // Update (the run) against Add of new series (families are thread-safe)
  Follow events, late, emitted, suppressed, dropped, reloads_ok, reloads_failed, checkpoints;
  prometheus::Family<prometheus::Counter>* rejected_family = nullptr;
  std::map<std::string, Follow> rejected;
  prometheus::Family<prometheus::Counter>* rule_family = nullptr;
  std::map<std::string, prometheus::Counter*> by_rule;
  prometheus::Family<prometheus::Counter>* rule_suppressed_family = nullptr;
  std::map<std::string, prometheus::Counter*> suppressed_by_rule;
  prometheus::Family<prometheus::Gauge>* rule_partial_family = nullptr;
  std::map<std::string, prometheus::Gauge*> partial_by_rule;
  prometheus::Family<prometheus::Gauge>* table_family = nullptr;
  std::map<std::string, prometheus::Gauge*> table_rows;
  prometheus::Family<prometheus::Gauge>* lag_family = nullptr;
  std::map<std::string, prometheus::Gauge*> lag_by_partition;
  std::mutex lag_mu;  // the scrape (server threads) against SetKafkaLag (the run)
  LagFn lag_fn;
  void ScrapeLag();
  prometheus::Gauge *partial = nullptr, *state = nullptr, *lag = nullptr, *ck_bytes = nullptr,
                    *ck_last = nullptr;
  prometheus::Counter* ck_capture = nullptr;
  double ck_capture_seen = 0;
  prometheus::Histogram* latency = nullptr;
  std::unique_ptr<Text> metrics_page, health_page;
  std::unique_ptr<CivetServer> server;
};

MetricsServer::MetricsServer() : impl_(std::make_unique<Impl>()) {}
MetricsServer::~MetricsServer() {
  if (impl_->server) impl_->server->close();
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || colon + 1 >= host_port.size())
    return Status::Error("--metrics HOST:PORT, not '" + host_port + "'");
  std::string host = host_port.substr(0, colon);
  if (host.empty()) host = "127.0.0.1";  // only the address given: ":PORT" is loopback
  if (host.front() == '[') host = host.substr(1, host.size() - 2);
  std::string port = host_port.substr(colon + 1);
  std::unique_ptr<MetricsServer> m(new MetricsServer());
  Impl& im = *m->impl_;
  auto& reg = *im.registry;
  auto counter = [&](const std::string& name, const std::string& help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add({});
  };
  auto gauge = [&](const std::string& name, const std::string& help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(reg).Add({});
  };
  im.events.c = counter("strix_events_received_total", "Events decoded and admitted");
  im.late.c = counter("strix_events_late_total", "Events older than the watermark (dead letters)");
  im.emitted.c = counter("strix_complex_events_total", "Complex events emitted");
  im.suppressed.c = counter("strix_complex_events_suppressed_total", "Complex events suppressed");
  im.dropped.c = counter("strix_partial_matches_dropped_total",
                         "Partial matches dropped by --max-partial-matches or --max-state");
  im.rejected_family = &prometheus::BuildCounter()
                            .Name("strix_events_rejected_total")
                            .Help("Dead letters by reason (late ones included)")
                            .Register(reg);
  im.rule_family = &prometheus::BuildCounter()
                        .Name("strix_rule_complex_events_total")
                        .Help("Complex events by rule (rules that have produced one)")
                        .Register(reg);
  im.rule_suppressed_family =
      &prometheus::BuildCounter()
           .Name("strix_rule_complex_events_suppressed_total")
           .Help("Complex events suppressed by rule (rules that have had one)")
           .Register(reg);
  im.rule_partial_family = &prometheus::BuildGauge()
                                .Name("strix_rule_partial_matches")
                                .Help("Live partial matches by rule (rules that have had one)")
                                .Register(reg);
  im.table_family = &prometheus::BuildGauge()
                         .Name("strix_table_rows")
                         .Help("Rows of each table (LANGUAGE.md 7)")
                         .Register(reg);
  im.lag_family = &prometheus::BuildGauge()
                       .Name("strix_kafka_consumer_lag")
                       .Help(
                           "Messages of an assigned partition not yet read (high watermark "
                           "minus the next offset)")
                       .Register(reg);
  auto& reloads = prometheus::BuildCounter()
                      .Name("strix_reloads_total")
                      .Help("Rule reloads by result")
                      .Register(reg);
  im.reloads_ok.c = &reloads.Add({{"result", "ok"}});
  im.reloads_failed.c = &reloads.Add({{"result", "failed"}});
  im.checkpoints.c = counter("strix_checkpoints_total", "Checkpoints written");
  im.ck_capture = counter("strix_checkpoint_capture_seconds_total",
                          "Time the run stood still to capture checkpoints");
  im.ck_bytes = gauge("strix_checkpoint_size_bytes", "Size of the last checkpoint");
  im.ck_last = gauge("strix_checkpoint_last_success_timestamp_seconds",
                     "Wall time of the last checkpoint written (Unix seconds)");
  im.partial = gauge("strix_partial_matches", "Live partial matches");
  im.state = gauge("strix_state_bytes", "Matching state as accounted for --max-state");
  im.lag = gauge("strix_watermark_lag_seconds", "Wall clock minus the watermark (event time)");
  im.latency =
      &prometheus::BuildHistogram()
           .Name("strix_processing_latency_seconds")
           .Help("Time to match one event and hand out its complex events (sampled)")
           .Register(reg)
           .Add({}, prometheus::Histogram::BucketBoundaries{1e-6, 4e-6, 16e-6, 64e-6, 256e-6, 1e-3,
                                                            4e-3, 16e-3, 64e-3, 0.25, 1});
  std::weak_ptr<prometheus::Registry> weak = im.registry;
  Impl* impl = &im;  // the pages go (server closed) before the Impl does
  im.metrics_page = std::make_unique<Text>(
      [weak, impl]() {
        auto r = weak.lock();
        if (!r) return std::string();
        impl->ScrapeLag();
        std::ostringstream out;
        prometheus::TextSerializer().Serialize(out, r->Collect());
        return out.str();
      },
      "text/plain; version=0.0.4; charset=utf-8");
  im.health_page = std::make_unique<Text>([]() { return std::string("ok\n"); }, "text/plain");
  std::string listen = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  std::vector<std::string> options = {"listening_ports", listen, "num_threads", "2"};
  try {
    im.server = std::make_unique<CivetServer>(options);
  } catch (const std::exception& e) {
    return Status::Error("--metrics " + host_port +
                         ": cannot listen there (the port is taken, or the address is not one "
                         "of this machine's): " +
                         e.what());
  }
  im.server->addHandler("/metrics", im.metrics_page.get());
  im.server->addHandler("/healthz", im.health_page.get());
  return m;
}

int MetricsServer::port() const {
  auto ports = impl_->server->getListeningPorts();
  return ports.empty() ? 0 : ports[0];
}

void MetricsServer::Update(const MetricsSample& s) {
  Impl& im = *impl_;
  std::lock_guard<std::mutex> lock(im.mu);
  im.events.To(s.stats.events_in);
  im.late.To(s.stats.late);
  im.emitted.To(s.stats.emitted);
  im.suppressed.To(s.stats.suppressed);
  im.dropped.To(s.stats.dropped_partial);
  im.reloads_ok.To(s.reloads);
  im.reloads_failed.To(s.reload_failures);
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (s.checkpoints > im.checkpoints.seen) {  // one written since the last look
    im.ck_last->Set(now);
    im.ck_bytes->Set(static_cast<double>(s.checkpoint_bytes));
  }
  im.checkpoints.To(s.checkpoints);
  for (const auto& [reason, n] : s.rejected) {
    auto it = im.rejected.find(reason);
    if (it == im.rejected.end()) {
      it = im.rejected.emplace(reason, Follow{}).first;
      it->second.c = &im.rejected_family->Add({{"reason", reason}});
    }
    it->second.To(n);
  }
  // Per-rule counters: a series appears with a rule's first count.
  auto count_by_rule = [](const std::vector<std::pair<std::string, uint64_t>>& added,
                          prometheus::Family<prometheus::Counter>* family,
                          std::map<std::string, prometheus::Counter*>& series) {
    for (const auto& [rule, n] : added) {
      if (n == 0) continue;
      prometheus::Counter*& c = series[rule];
      if (!c) c = &family->Add({{"rule", rule}});
      c->Increment(static_cast<double>(n));
    }
  };
  count_by_rule(s.emitted_by_rule, im.rule_family, im.by_rule);
  count_by_rule(s.suppressed_by_rule, im.rule_suppressed_family, im.suppressed_by_rule);
  // A rule's gauge stays once it exists (at 0 when its matches are gone, or it was removed).
  for (auto& [rule, g] : im.partial_by_rule) g->Set(0);
  for (const auto& [rule, n] : s.partial_by_rule) {
    prometheus::Gauge*& g = im.partial_by_rule[rule];
    if (!g) g = &im.rule_partial_family->Add({{"rule", rule}});
    g->Set(static_cast<double>(n));
  }
  for (const auto& [table, n] : s.table_rows) {
    prometheus::Gauge*& g = im.table_rows[table];
    if (!g) g = &im.table_family->Add({{"table", table}});
    g->Set(static_cast<double>(n));
  }
  im.partial->Set(static_cast<double>(s.partial_matches));
  im.state->Set(static_cast<double>(s.state_bytes));
  if (s.checkpoint_capture_seconds > im.ck_capture_seen) {
    im.ck_capture->Increment(s.checkpoint_capture_seconds - im.ck_capture_seen);
    im.ck_capture_seen = s.checkpoint_capture_seconds;
  }
  if (s.have_watermark) im.lag->Set(now - static_cast<double>(s.watermark_ms) / 1000);
}

void MetricsServer::Impl::ScrapeLag() {
  std::lock_guard<std::mutex> lock(lag_mu);
  std::vector<std::pair<std::string, int64_t>> now;
  if (lag_fn) now = lag_fn();
  // Partitions no longer assigned lose their series.
  std::map<std::string, prometheus::Gauge*> kept;
  for (const auto& [name, n] : now) {
    auto it = lag_by_partition.find(name);
    prometheus::Gauge* g = nullptr;
    if (it != lag_by_partition.end()) {
      g = it->second;
      lag_by_partition.erase(it);
    } else {
      size_t slash = name.rfind('/');
      g = &lag_family->Add(
          {{"topic", name.substr(0, slash)}, {"partition", name.substr(slash + 1)}});
    }
    g->Set(static_cast<double>(n));
    kept.emplace(name, g);
  }
  for (auto& [name, g] : lag_by_partition) lag_family->Remove(g);
  lag_by_partition = std::move(kept);
}

void MetricsServer::SetKafkaLag(LagFn lag) {
  std::lock_guard<std::mutex> lock(impl_->lag_mu);
  impl_->lag_fn = std::move(lag);
}

void MetricsServer::ObserveLatency(double seconds) {
  impl_->latency->Observe(seconds);
}

}  // namespace strix::runtime
