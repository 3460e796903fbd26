// Kafka output: one message per complex event, keyed (see kafka.h).
#include <librdkafka/rdkafka.h>

#include <mutex>

#include "adapters/kafka.h"

namespace strix::adapters {

struct KafkaWriter::Impl : KafkaOpaque {
  rd_kafka_t* rk = nullptr;
  std::string topic;
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const std::string&)> on_status;
  std::mutex mu;  // the delivery callback runs inside rd_kafka_poll/flush, on this thread; kept
                  // safe anyway
  std::string failure;
  KafkaTransaction* txn = nullptr;  // --state: messages go out with its commits

  ~Impl() {
    if (rk) {
      rd_kafka_flush(rk, 10000);
      rd_kafka_destroy(rk);
    }
  }
  static void Delivered(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (!m->err) return;
    auto* self = static_cast<Impl*>(opaque);
    std::lock_guard<std::mutex> lock(self->mu);
    if (self->failure.empty())
      self->failure = std::string("a message to Kafka topic '") + self->topic +
                      "' was not delivered: " + rd_kafka_err2str(m->err);
  }
};

Result<std::unique_ptr<KafkaWriter>> KafkaWriter::Open(const KafkaAddress& at, const KafkaConfig& c,
                                                       const std::atomic<bool>* stop) {
  if (at.topics.size() != 1)
    return Status::Error("a Kafka output names one topic: kafka://BROKERS/TOPIC");
  std::unique_ptr<KafkaWriter> w(new KafkaWriter());
  w->impl_ = std::make_unique<Impl>();
  Impl& im = *w->impl_;
  im.topic = at.topics[0];
  im.stop = stop;
  im.on_status = c.on_status;
  im.status = &im.on_status;
  if (c.transaction) {  // the transaction's producer sends them; the topic must exist
    im.txn = c.transaction;
    if (Status st = im.txn->CheckTopic(im.topic); !st.ok()) return st;
    return w;
  }
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  std::vector<std::pair<std::string, std::string>> all = {{"bootstrap.servers", at.brokers},
                                                          {"enable.idempotence", "true"},
                                                          {"acks", "all"},
                                                          {"linger.ms", "5"}};
  all.insert(all.end(), c.properties.begin(), c.properties.end());
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::Error("Kafka property " + k + "=" + v + ": " + err);
    }
  }
  rd_kafka_conf_set_opaque(conf, &im);
  rd_kafka_conf_set_dr_msg_cb(conf, &Impl::Delivered);
  rd_kafka_conf_set_log_cb(conf, &KafkaLog);
  im.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!im.rk) {
    rd_kafka_conf_destroy(conf);
    return Status::Error(std::string("Kafka producer: ") + err);
  }
  // The topic must exist: a mistyped name is an error at start, not lost output.
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(im.rk, 1, nullptr, &md, 10000);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Status::Error(std::string("Kafka brokers do not answer: ") + rd_kafka_err2str(e));
  bool found = false;
  for (int i = 0; i < md->topic_cnt; ++i)
    found = found || (im.topic == md->topics[i].topic && md->topics[i].err == 0);
  rd_kafka_metadata_destroy(md);
  if (!found) return Status::Error("Kafka topic '" + im.topic + "' does not exist");
  return w;
}

KafkaWriter::~KafkaWriter() = default;

bool KafkaWriter::Write(std::string_view key, std::string_view value) {
  Impl& im = *impl_;
  while (!value.empty() && value.back() == '\n') value.remove_suffix(1);
  if (im.txn) {
    im.txn->Add(im.topic, key, value);
    return true;
  }
  while (true) {
    {
      std::lock_guard<std::mutex> lock(im.mu);
      if (!im.failure.empty()) {
        error_ = im.failure;
        return false;
      }
    }
    rd_kafka_resp_err_t e =
        rd_kafka_producev(im.rk, RD_KAFKA_V_TOPIC(im.topic.c_str()),
                          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      error_ = std::string("Kafka topic '") + im.topic + "': " + rd_kafka_err2str(e);
      return false;
    }
    // The local queue is full: wait for deliveries (back-pressure on the run).
    if (im.stop && im.stop->load()) {
      error_ = "stopped while Kafka topic '" + im.topic + "' was not taking messages";
      return false;
    }
    rd_kafka_poll(im.rk, 100);
  }
  rd_kafka_poll(im.rk, 0);  // delivery reports
  return true;
}

bool KafkaWriter::Flush() {
  Impl& im = *impl_;
  if (im.txn) return true;  // delivered (or not) by the transaction's commit
  while (rd_kafka_flush(im.rk, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    if (im.stop && im.stop->load()) break;
    if (im.on_status) im.on_status("waiting for Kafka to take the output");
  }
  std::lock_guard<std::mutex> lock(im.mu);
  if (!im.failure.empty()) {
    error_ = im.failure;
    return false;
  }
  if (rd_kafka_outq_len(im.rk) > 0) {
    error_ = std::to_string(rd_kafka_outq_len(im.rk)) + " messages to Kafka topic '" + im.topic +
             "' not delivered (stopped)";
    return false;
  }
  return true;
}

}  // namespace strix::adapters
