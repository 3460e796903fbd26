// Kafka inputs and outputs (CLI.md "Kafka") with librdkafka (C API).
// Stage: adapters (sources, sinks). Interface: KafkaConfig, ParseKafkaAddress(),
// KafkaSource (a Source), KafkaWriter (what Output writes through for kafka://).
//
// KafkaSource joins a consumer group (`--group`, cooperative-sticky assignment) on the topics of
// `-i kafka://BROKERS/TOPICS`; each message becomes a line whose origin is TOPIC/PARTITION and
// whose number is the offset, so identities are TOPIC/PARTITION:OFFSET. Offsets are committed
// only for messages the run has finished with, outputs flushed (Source::Durable()): after a
// crash or a rebalance the next owner reads again from there (at least once).
// KafkaWriter produces one message per complex event, keyed by its key's JSON text,
// idempotently (acks=all); a full local queue blocks the run (back-pressure); delivery failures
// make the output fail (the run stops, exit 2), never a silent loss.
// Not yet (issue 11): a watermark per partition, state per partition in Kafka, transactions.
// Covered by test/kafka_test.sh against the mock cluster of test/kafka_fixture.cc.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/line_source.h"
#include "common/status.h"

struct rd_kafka_s;  // librdkafka's rd_kafka_t

namespace strix::adapters {

struct KafkaConfig {
  std::string group = "strix";
  std::vector<std::pair<std::string, std::string>> properties;  // --kafka NAME=VALUE
  std::function<void(const std::string&)> on_status;            // broker trouble while running
};

struct KafkaAddress {
  std::string brokers;              // "host:port,host:port"
  std::vector<std::string> topics;  // one for outputs
};

// What librdkafka hands back to the log callback (rd_kafka_opaque): where messages go.
struct KafkaOpaque {
  std::function<void(const std::string&)>* status = nullptr;
};
void KafkaLog(const ::rd_kafka_s* rk, int level, const char* fac, const char* buf);

bool IsKafkaAddress(std::string_view s);
// kafka://BROKER[,BROKER...]/TOPIC[,TOPIC...]; nullopt when malformed.
std::optional<KafkaAddress> ParseKafkaAddress(std::string_view s);

class KafkaSource : public Source {
 public:
  static Result<std::unique_ptr<KafkaSource>> Open(const KafkaAddress& at, const KafkaConfig& c,
                                                   const std::atomic<bool>* stop);
  ~KafkaSource() override;
  bool Next(Line& line) override;
  bool LineReady() const override;
  const std::string& error() const override { return error_; }
  void Durable() override;

 private:
  KafkaSource() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
};

class KafkaWriter {
 public:
  // Messages to `at.topics[0]`; `on_status` hears of broker trouble while it lasts.
  static Result<std::unique_ptr<KafkaWriter>> Open(const KafkaAddress& at, const KafkaConfig& c,
                                                   const std::atomic<bool>* stop);
  ~KafkaWriter();
  // False once a message could not be delivered (or stopped while the queue stays full).
  bool Write(std::string_view key, std::string_view value);
  // Waits until every message is delivered or failed; false (with error()) on a failure.
  bool Flush();
  const std::string& error() const { return error_; }

 private:
  KafkaWriter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
};

}  // namespace strix::adapters
