// Kafka input: a consumer-group member whose messages are lines (see kafka.h).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>

#include "adapters/kafka.h"
#include "adapters/kafka_client.h"

namespace strix::adapters {

bool IsKafkaAddress(std::string_view s) {
  return s.substr(0, 8) == "kafka://";
}

std::optional<KafkaAddress> ParseKafkaAddress(std::string_view s) {
  if (!IsKafkaAddress(s)) return std::nullopt;
  s.remove_prefix(8);
  size_t slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= s.size()) return std::nullopt;
  KafkaAddress a;
  a.brokers = std::string(s.substr(0, slash));
  std::string_view topics = s.substr(slash + 1);
  while (!topics.empty()) {
    size_t comma = topics.find(',');
    std::string_view t = topics.substr(0, comma);
    if (t.empty()) return std::nullopt;
    a.topics.emplace_back(t);
    if (comma == std::string_view::npos) break;
    topics.remove_prefix(comma + 1);
    if (topics.empty()) return std::nullopt;
  }
  return a;
}

// librdkafka configuration from the address, the group and --kafka NAME=VALUE.
Result<rd_kafka_conf_t*> MakeKafkaConf(
    const std::string& brokers, const KafkaConfig& c,
    const std::vector<std::pair<std::string, std::string>>& fixed) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) -> Status {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      return Status::Error("Kafka property " + k + "=" + v + ": " + err);
    return Status::Ok();
  };
  std::vector<std::pair<std::string, std::string>> all = {{"bootstrap.servers", brokers}};
  all.insert(all.end(), fixed.begin(), fixed.end());
  all.insert(all.end(), c.properties.begin(), c.properties.end());  // the user's win
  for (const auto& [k, v] : all) {
    if (Status s = set(k, v); !s.ok()) {
      rd_kafka_conf_destroy(conf);
      return s;
    }
  }
  return conf;
}

Status CheckKafkaTopics(rd_kafka_t* rk, const std::vector<std::string>& topics) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, nullptr, &md, 10000);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Status::Error(std::string("Kafka brokers do not answer: ") + rd_kafka_err2str(e));
  Status s = Status::Ok();
  for (const std::string& t : topics) {
    bool found = false;
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (t == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) found = true;
    }
    if (!found && s.ok()) s = Status::Error("Kafka topic '" + t + "' does not exist");
  }
  rd_kafka_metadata_destroy(md);
  return s;
}

// librdkafka's own log lines (warnings: failed commits, broker trouble) go to the run's
// messages, not straight to standard error.
void KafkaLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* status = static_cast<std::function<void(const std::string&)>*>(
      rd_kafka_opaque(rk) ? static_cast<KafkaOpaque*>(rd_kafka_opaque(rk))->status : nullptr);
  if (status && *status) (*status)(std::string(fac) + ": " + buf);
}

struct KafkaSource::Impl : KafkaOpaque {
  rd_kafka_t* rk = nullptr;
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const std::string&)> on_status;
  mutable rd_kafka_message_t* ahead = nullptr;  // polled by LineReady(), not handed out yet
  rd_kafka_message_t* current = nullptr;        // handed out by the last Next()
  std::string text, origin;
  // Assignments and revocations not yet told to the run: (assigned, TOPIC/PARTITION).
  std::vector<std::pair<bool, std::string>> controls;
  size_t controls_told = 0;
  // Per partition: the offset after the last message handed out, not yet committed.
  std::map<std::pair<std::string, int32_t>, int64_t> handed;
  RebalanceHooks hooks;

  ~Impl() {
    if (ahead) rd_kafka_message_destroy(ahead);
    if (current) rd_kafka_message_destroy(current);
    if (rk) {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  }

  static void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* parts, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (self->on_status && parts->cnt > 0) {  // operators see which partitions a member holds
      std::string what = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "assigned" : "revoked";
      for (int i = 0; i < parts->cnt; ++i) {
        what += (i ? ", " : " ") + std::string(parts->elems[i].topic) + "/" +
                std::to_string(parts->elems[i].partition);
      }
      self->on_status(what);
    }
    for (int i = 0; i < parts->cnt; ++i) {  // told to the run as control lines
      self->controls.emplace_back(
          err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS,
          std::string(parts->elems[i].topic) + "/" + std::to_string(parts->elems[i].partition));
    }
    std::vector<KafkaPartition> ps;
    for (int i = 0; i < parts->cnt; ++i)
      ps.push_back({parts->elems[i].topic, parts->elems[i].partition, KafkaPartition::kStored});
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      if (self->hooks.assigned) {  // the run restores their state, and says where to start
        self->hooks.assigned(ps);
        for (int i = 0; i < parts->cnt; ++i) {
          if (ps[i].offset >= 0) parts->elems[i].offset = ps[i].offset;
        }
      }
      if (cooperative) {
        rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, parts);
        if (e) rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk, parts);
      }
      return;
    }
    // Revoked: the run writes their state first (with hooks). Without, what was handed out
    // but is not known durable is not committed; the next owner reads it again (at least once).
    if (self->hooks.revoked) self->hooks.revoked(ps);
    for (int i = 0; i < parts->cnt; ++i)
      self->handed.erase({parts->elems[i].topic, parts->elems[i].partition});
    if (cooperative) {
      rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts);
      if (e) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }
};

Result<std::unique_ptr<KafkaSource>> KafkaSource::Open(const KafkaAddress& at, const KafkaConfig& c,
                                                       const std::atomic<bool>* stop) {
  std::unique_ptr<KafkaSource> s(new KafkaSource());
  s->impl_ = std::make_unique<Impl>();
  Impl& im = *s->impl_;
  im.stop = stop;
  im.on_status = c.on_status;
  im.status = &im.on_status;
  auto conf = MakeKafkaConf(at.brokers, c,
                            {{"group.id", c.group},
                             {"enable.auto.commit", "false"},
                             {"auto.offset.reset", "earliest"},
                             // Eager: Debian's librdkafka 2.0.2 asserts in the cooperative-sticky
                             // assignor (see docs/kafka.md); --kafka can choose another.
                             {"partition.assignment.strategy", "range,roundrobin"},
                             {"isolation.level", "read_committed"}});
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_opaque(*conf, &im);
  rd_kafka_conf_set_rebalance_cb(*conf, &Impl::Rebalance);
  rd_kafka_conf_set_log_cb(*conf, &KafkaLog);
  char err[512];
  im.rk = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof err);
  if (!im.rk) {
    rd_kafka_conf_destroy(*conf);
    return Status::Error(std::string("Kafka consumer: ") + err);
  }
  rd_kafka_poll_set_consumer(im.rk);
  if (Status st = CheckKafkaTopics(im.rk, at.topics); !st.ok()) return st;
  rd_kafka_topic_partition_list_t* subs =
      rd_kafka_topic_partition_list_new(static_cast<int>(at.topics.size()));
  for (const std::string& t : at.topics)
    rd_kafka_topic_partition_list_add(subs, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(im.rk, subs);
  rd_kafka_topic_partition_list_destroy(subs);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Status::Error(std::string("Kafka subscribe: ") + rd_kafka_err2str(e));
  return s;
}

KafkaSource::~KafkaSource() = default;

bool KafkaSource::LineReady() const {
  Impl& im = *impl_;
  if (im.ahead || im.controls_told < im.controls.size()) return true;
  im.ahead = rd_kafka_consumer_poll(im.rk, 0);
  return im.ahead != nullptr || im.controls_told < im.controls.size();
}

bool KafkaSource::Next(Line& line) {
  Impl& im = *impl_;
  if (im.current) {
    rd_kafka_message_destroy(im.current);
    im.current = nullptr;
  }
  std::string last_status;
  auto waiting_since = std::chrono::steady_clock::now();
  while (true) {
    if (im.stop && im.stop->load()) return false;  // SIGINT/SIGTERM: the stream has no end
    if (im.controls_told < im.controls.size()) {
      const auto& [assigned, part] = im.controls[im.controls_told++];
      if (im.controls_told == im.controls.size()) {
        im.controls.clear();
        im.controls_told = 0;
        im.origin = part;
      } else {
        im.origin = part;
      }
      line = Line();
      line.origin = im.origin;
      line.partitioned = true;
      line.assigned = assigned;
      line.revoked = !assigned;
      return true;
    }
    rd_kafka_message_t* m = im.ahead ? im.ahead : rd_kafka_consumer_poll(im.rk, 100);
    im.ahead = nullptr;
    if (!m) {
      // Nothing for a second: a tick, so that the run can flush and idle partitions stop
      // holding the watermark back.
      if (std::chrono::steady_clock::now() - waiting_since > std::chrono::seconds(1)) {
        line = Line();
        line.tick = true;
        return true;
      }
      continue;
    }
    if (m->err) {
      // Broker trouble is retried by librdkafka; it is said (once per kind), not hidden.
      std::string what = rd_kafka_message_errstr(m);
      bool fatal = m->err == RD_KAFKA_RESP_ERR__FATAL ||
                   m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                   m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
      rd_kafka_message_destroy(m);
      if (fatal) {
        error_ = what;
        return false;
      }
      if (what != last_status && im.on_status) im.on_status(what);
      last_status = what;
      continue;
    }
    im.current = m;
    const char* topic = rd_kafka_topic_name(m->rkt);
    im.text.assign(static_cast<const char*>(m->payload), m->len);
    size_t n = im.text.size();
    // A message is one line: a line break inside it would be JSON's business, but a trailing
    // one is dropped as a file's would be.
    while (n > 0 && (im.text[n - 1] == '\n' || im.text[n - 1] == '\r')) --n;
    im.text.resize(n);
    im.text.append(kPadding, '\0');
    im.origin = std::string(topic) + "/" + std::to_string(m->partition);
    line = Line();
    line.text = std::string_view(im.text.data(), n);
    line.number = static_cast<uint64_t>(m->offset);
    line.origin = im.origin;
    line.partitioned = true;
    im.handed[{topic, m->partition}] = m->offset + 1;
    return true;
  }
}

void KafkaSource::SetRebalanceHooks(RebalanceHooks hooks) {
  impl_->hooks = std::move(hooks);
}

rd_kafka_t* KafkaSource::handle() const {
  return impl_->rk;
}

std::vector<std::pair<std::string, int64_t>> KafkaSource::Lag() const {
  std::vector<std::pair<std::string, int64_t>> out;
  rd_kafka_topic_partition_list_t* parts = nullptr;
  if (rd_kafka_assignment(impl_->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts) return out;
  rd_kafka_position(impl_->rk, parts);
  for (int i = 0; i < parts->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = parts->elems[i];
    int64_t low = 0, high = 0;  // the fetcher's last view (no request to a broker)
    if (p.offset < 0 ||         // the position: no message read yet
        rd_kafka_get_watermark_offsets(impl_->rk, p.topic, p.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    out.emplace_back(std::string(p.topic) + "/" + std::to_string(p.partition),
                     std::max<int64_t>(0, high - p.offset));
  }
  rd_kafka_topic_partition_list_destroy(parts);
  return out;
}

void KafkaSource::Durable() {
  Impl& im = *impl_;
  if (im.handed.empty() || im.hooks.revoked) return;  // with hooks, offsets go with transactions
  rd_kafka_topic_partition_list_t* offs =
      rd_kafka_topic_partition_list_new(static_cast<int>(im.handed.size()));
  for (const auto& [tp, off] : im.handed)
    rd_kafka_topic_partition_list_add(offs, tp.first.c_str(), tp.second)->offset = off;
  rd_kafka_commit(im.rk, offs, 1);  // async: a failed commit means a re-read, never a loss
  rd_kafka_topic_partition_list_destroy(offs);
  im.handed.clear();
}

}  // namespace strix::adapters
