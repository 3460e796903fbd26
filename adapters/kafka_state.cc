// Kafka transactions and the state topic of a run with --state (see kafka.h, KafkaTransaction).
//
// State records: key "TOPIC/PARTITION#I" (chunk I of that partition's checkpoint), value
//   "STXS", format (1 byte), serial (u64), I (u32), chunk count (u32), little-endian, then the
//   chunk's bytes.
// A partition's checkpoint is split into chunks of 512 KiB (below the brokers' default message
// size), all written in one transaction; the serial grows by one per checkpoint of that
// partition, whoever writes it, so a reader takes the newest serial whose chunks are all there.
// Each chunk index has a key of its own, so compaction keeps the newest of each.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "adapters/kafka.h"
#include "adapters/kafka_client.h"

namespace strix::adapters {
namespace {

constexpr size_t kChunk = 512 * 1024;
constexpr char kMagic[4] = {'S', 'T', 'X', 'S'};
constexpr uint8_t kFormat = 1;
constexpr size_t kHeader = 4 + 1 + 8 + 4 + 4;

void PutLE(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

std::string ErrorText(rd_kafka_error_t* e) {
  std::string s = rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  return s;
}

std::string DefaultTransactionalId(const KafkaConfig& c) {
  for (const auto& [k, v] : c.properties) {
    if (k == "transactional.id") return v;
  }
  char host[256] = "host";
  (void)gethostname(host, sizeof host - 1);
  return c.group + "-" + host + "-" + std::to_string(getpid());
}

// Creates the state topic, compacted, when the brokers let clients create topics.
Status CreateStateTopic(rd_kafka_t* rk, const std::string& topic) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), 1, -1, err, sizeof err);
  if (!nt) return Status::Error(err);
  rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(opts, 5000, err, sizeof err);
  rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 10000);
  Status s = Status::Error("no answer");
  if (ev) {
    if (rd_kafka_event_error(ev)) {
      s = Status::Error(rd_kafka_event_error_string(ev));
    } else if (const rd_kafka_CreateTopics_result_t* r = rd_kafka_event_CreateTopics_result(ev)) {
      size_t n = 0;
      const rd_kafka_topic_result_t** tr = rd_kafka_CreateTopics_result_topics(r, &n);
      s = Status::Ok();
      for (size_t i = 0; i < n; ++i) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
          const char* m = rd_kafka_topic_result_error_string(tr[i]);
          s = Status::Error(m ? m : rd_kafka_err2str(e));
        }
      }
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  return s;
}

}  // namespace

struct KafkaTransaction::Impl : KafkaOpaque {
  rd_kafka_t* rk = nullptr;
  std::string brokers, state_topic, id;
  KafkaConfig config;
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const std::string&)> on_status;
  struct Message {
    uint32_t topic;
    std::string key, value;
  };
  std::vector<std::string> topics;
  std::vector<Message> buffered;
  size_t bytes = 0;
  std::map<std::string, uint64_t> serials;  // per partition: the newest serial seen or written
  std::mutex mu;                            // the delivery callback
  std::string failure;

  ~Impl() {
    if (rk) rd_kafka_destroy(rk);
  }
  static void Delivered(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (!m->err) return;
    auto* self = static_cast<Impl*>(opaque);
    std::lock_guard<std::mutex> lock(self->mu);
    if (self->failure.empty())
      self->failure = std::string("a message was not delivered: ") + rd_kafka_err2str(m->err);
  }
  // Produces one message of the open transaction, waiting while the local queue is full.
  Status Produce(const std::string& topic, std::string_view key, std::string_view value) {
    while (true) {
      rd_kafka_resp_err_t e =
          rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                            RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return Status::Error("Kafka topic '" + topic + "': " + rd_kafka_err2str(e));
      if (stop && stop->load()) return Status::Error("stopped while Kafka was not taking messages");
      rd_kafka_poll(rk, 100);
    }
  }
  // An error of the transaction API: aborts the transaction when it must be.
  Status Fail(rd_kafka_error_t* e, const std::string& step) {
    const bool abort = rd_kafka_error_txn_requires_abort(e);
    const bool fatal = rd_kafka_error_is_fatal(e);
    std::string what = ErrorText(e);
    if (fatal) {
      return Status::Error("Kafka transactions of '" + id + "' stopped at " + step + ": " + what +
                           " (fenced: another strix took this transactional.id or these "
                           "partitions over)");
    }
    if (abort) {
      if (rd_kafka_error_t* a = rd_kafka_abort_transaction(rk, -1))
        what += "; the abort failed too: " + ErrorText(a);
      return Status::Error("Kafka transaction aborted at " + step + ": " + what);
    }
    return Status::Error("Kafka transaction failed at " + step + ": " + what);
  }
};

Result<std::unique_ptr<KafkaTransaction>> KafkaTransaction::Open(const std::string& brokers,
                                                                 const KafkaConfig& c,
                                                                 const std::string& state_topic,
                                                                 const std::atomic<bool>* stop) {
  std::unique_ptr<KafkaTransaction> t(new KafkaTransaction());
  t->impl_ = std::make_unique<Impl>();
  Impl& im = *t->impl_;
  im.brokers = brokers;
  im.state_topic = state_topic;
  im.config = c;
  im.config.transaction = nullptr;
  im.stop = stop;
  im.on_status = c.on_status;
  im.status = &im.on_status;
  im.id = DefaultTransactionalId(c);
  // A member that dies inside a commit leaves an open transaction; the brokers abort it after
  // this long (Kafka Streams' choice for exactly-once), and read_committed readers wait so long.
  auto conf = MakeKafkaConf(brokers, c,
                            {{"transactional.id", im.id},
                             {"transaction.timeout.ms", "10000"},
                             {"enable.idempotence", "true"},
                             {"acks", "all"},
                             {"linger.ms", "5"}});
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_opaque(*conf, &im);
  rd_kafka_conf_set_dr_msg_cb(*conf, &Impl::Delivered);
  rd_kafka_conf_set_log_cb(*conf, &KafkaLog);
  char err[512];
  im.rk = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err);
  if (!im.rk) {
    rd_kafka_conf_destroy(*conf);
    return Status::Error(std::string("Kafka producer: ") + err);
  }
  if (Status s = CheckKafkaTopics(im.rk, {state_topic}); !s.ok()) {
    if (s.message().find("does not exist") == std::string::npos) return s;
    if (Status cs = CreateStateTopic(im.rk, state_topic); !cs.ok()) {
      return Status::Error("Kafka state topic '" + state_topic +
                           "' does not exist and could not be created (" + cs.message() +
                           "): create it with cleanup.policy=compact");
    }
  }
  if (rd_kafka_error_t* e = rd_kafka_init_transactions(im.rk, 30000))
    return Status::Error("Kafka transactions for '" + im.id + "': " + ErrorText(e));
  return t;
}

KafkaTransaction::~KafkaTransaction() = default;

const std::string& KafkaTransaction::transactional_id() const {
  return impl_->id;
}

Status KafkaTransaction::CheckTopic(const std::string& topic) {
  return CheckKafkaTopics(impl_->rk, {topic});
}

void KafkaTransaction::Add(const std::string& topic, std::string_view key, std::string_view value) {
  Impl& im = *impl_;
  uint32_t t = 0;
  while (t < im.topics.size() && im.topics[t] != topic) ++t;
  if (t == im.topics.size()) im.topics.push_back(topic);
  im.buffered.push_back({t, std::string(key), std::string(value)});
  im.bytes += key.size() + value.size() + 64;
}

size_t KafkaTransaction::buffered_bytes() const {
  return impl_->bytes;
}

Status KafkaTransaction::Commit(const std::vector<std::pair<std::string, std::string>>& states,
                                const std::vector<KafkaPartition>& offsets,
                                const KafkaSource& consumer) {
  Impl& im = *impl_;
  if (rd_kafka_error_t* e = rd_kafka_begin_transaction(im.rk)) return im.Fail(e, "begin");
  Status s = Status::Ok();
  for (const Impl::Message& m : im.buffered) {
    if (s.ok()) s = im.Produce(im.topics[m.topic], m.key, m.value);
  }
  std::string value;
  for (const auto& [name, bytes] : states) {
    const uint64_t serial = ++im.serials[name];
    const size_t count = std::max<size_t>(1, (bytes.size() + kChunk - 1) / kChunk);
    for (size_t i = 0; i < count && s.ok(); ++i) {
      value.assign(kMagic, 4);
      value.push_back(static_cast<char>(kFormat));
      PutLE(value, serial, 8);
      PutLE(value, i, 4);
      PutLE(value, count, 4);
      value.append(bytes, std::min(bytes.size(), i * kChunk), kChunk);
      s = im.Produce(im.state_topic, name + "#" + std::to_string(i), value);
    }
  }
  if (!s.ok()) {
    if (rd_kafka_error_t* a = rd_kafka_abort_transaction(im.rk, -1))
      return Status::Error(s.message() + "; the abort failed too: " + ErrorText(a));
    return Status::Error(s.message() + " (the transaction was aborted)");
  }
  if (!offsets.empty()) {
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
    for (const KafkaPartition& p : offsets)
      rd_kafka_topic_partition_list_add(list, p.topic.c_str(), p.partition)->offset = p.offset;
    rd_kafka_consumer_group_metadata_t* md = rd_kafka_consumer_group_metadata(consumer.handle());
    rd_kafka_error_t* e = rd_kafka_send_offsets_to_transaction(im.rk, list, md, -1);
    rd_kafka_consumer_group_metadata_destroy(md);
    rd_kafka_topic_partition_list_destroy(list);
    if (e) return im.Fail(e, "sending the consumed offsets");
  }
  for (int tries = 1; rd_kafka_error_t* e = rd_kafka_commit_transaction(im.rk, -1); ++tries) {
    if (!rd_kafka_error_is_retriable(e) || tries >= 10) return im.Fail(e, "commit");
    if (im.on_status) im.on_status("commit retried: " + std::string(rd_kafka_error_string(e)));
    rd_kafka_error_destroy(e);
  }
  {
    std::lock_guard<std::mutex> lock(im.mu);
    if (!im.failure.empty()) return Status::Error("Kafka transaction: " + im.failure);
  }
  im.buffered.clear();
  im.bytes = 0;
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> KafkaTransaction::LoadState(
    const std::vector<std::string>& partitions) {
  Impl& im = *impl_;
  std::vector<std::pair<std::string, std::string>> found;
  if (partitions.empty()) return found;
  std::set<std::string> wanted(partitions.begin(), partitions.end());
  auto conf = MakeKafkaConf(im.brokers, im.config,
                            {{"group.id", im.config.group + ".strix-state-reader"},
                             {"enable.auto.commit", "false"},
                             {"enable.partition.eof", "true"},
                             {"auto.offset.reset", "earliest"},
                             {"isolation.level", "read_committed"}});
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_opaque(*conf, &im);
  rd_kafka_conf_set_log_cb(*conf, &KafkaLog);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(*conf);
    return Status::Error(std::string("Kafka state reader: ") + err);
  }
  struct Closer {
    rd_kafka_t* rk;
    ~Closer() {
      rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  } closer{rk};
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, im.state_topic.c_str(), nullptr);
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Status::Error("Kafka state topic '" + im.state_topic + "': " + rd_kafka_err2str(e));
  int parts = md->topic_cnt == 1 ? md->topics[0].partition_cnt : 0;
  rd_kafka_metadata_destroy(md);
  if (parts <= 0)
    return Status::Error("Kafka state topic '" + im.state_topic + "' has no partitions");
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(parts);
  for (int p = 0; p < parts; ++p) {
    rd_kafka_topic_partition_list_add(list, im.state_topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  e = rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Status::Error("Kafka state topic '" + im.state_topic + "': " + rd_kafka_err2str(e));
  // Per partition: the chunks of each serial (kept until a newer serial is complete).
  struct Pieces {
    uint32_t count = 0, have = 0;
    std::vector<std::string> chunks;
    std::vector<bool> got;
  };
  std::map<std::string, std::map<uint64_t, Pieces>> pending;
  std::map<std::string, std::pair<uint64_t, std::string>> complete;  // newest whole checkpoint
  std::set<int> at_end;
  auto started = std::chrono::steady_clock::now();
  auto said = started;
  while (static_cast<int>(at_end.size()) < parts) {
    if (im.stop && im.stop->load()) return Status::Error("stopped while reading the state");
    auto now = std::chrono::steady_clock::now();
    if (now - said > std::chrono::seconds(10)) {
      said = now;
      if (im.on_status)
        im.on_status("still reading state topic '" + im.state_topic +
                     "' (an open transaction of a stopped member holds it until it times out)");
    }
    if (now - started > std::chrono::minutes(5))
      return Status::Error("Kafka state topic '" + im.state_topic +
                           "' not read to its end in 5 minutes");
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(m->partition);
      rd_kafka_message_destroy(m);
      continue;
    }
    if (m->err) {
      std::string what = rd_kafka_message_errstr(m);
      bool fatal = m->err == RD_KAFKA_RESP_ERR__FATAL ||
                   m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
      rd_kafka_message_destroy(m);
      if (fatal) return Status::Error("Kafka state topic '" + im.state_topic + "': " + what);
      if (im.on_status) im.on_status("state topic: " + what);
      continue;
    }
    at_end.erase(m->partition);
    std::string key(static_cast<const char*>(m->key), m->key_len);
    size_t hash = key.rfind('#');
    const char* v = static_cast<const char*>(m->payload);
    if (hash != std::string::npos && wanted.count(key.substr(0, hash)) && m->len >= kHeader &&
        std::memcmp(v, kMagic, 4) == 0 && static_cast<uint8_t>(v[4]) == kFormat) {
      std::string name = key.substr(0, hash);
      uint64_t serial = GetLE(v + 5, 8);
      uint32_t index = static_cast<uint32_t>(GetLE(v + 13, 4));
      uint32_t count = static_cast<uint32_t>(GetLE(v + 17, 4));
      uint64_t& newest = im.serials[name];
      newest = std::max(newest, serial);
      auto done = complete.find(name);
      if (count > 0 && index < count && (done == complete.end() || done->second.first < serial)) {
        Pieces& p = pending[name][serial];
        if (p.chunks.empty()) {
          p.count = count;
          p.chunks.resize(count);
          p.got.resize(count);
        }
        if (p.count == count && !p.got[index]) {
          p.got[index] = true;
          p.chunks[index].assign(v + kHeader, m->len - kHeader);
          if (++p.have == p.count) {
            std::string whole;
            for (std::string& c : p.chunks) whole += c;
            complete[name] = {serial, std::move(whole)};
            auto& by_serial = pending[name];
            by_serial.erase(by_serial.begin(), by_serial.upper_bound(serial));
          }
        }
      }
    }
    rd_kafka_message_destroy(m);
  }
  for (auto& [name, c] : complete) found.emplace_back(name, std::move(c.second));
  return found;
}

}  // namespace strix::adapters
