// Kafka inputs and outputs (CLI.md "Kafka") with librdkafka (C API).
// Stage: adapters (sources, sinks). Interface: KafkaConfig, ParseKafkaAddress(),
// KafkaSource (a Source), KafkaWriter (what Output writes through for kafka://),
// KafkaTransaction (exactly-once checkpoints). docs/kafka.md says what each guarantees.
//
// KafkaSource joins a consumer group (`--group`, eager range/roundrobin assignment) on the topics
// of
// `-i kafka://BROKERS/TOPICS`; each message becomes a line whose origin is TOPIC/PARTITION and
// whose number is the offset, so identities are TOPIC/PARTITION:OFFSET. Offsets are committed
// only for messages the run has finished with, outputs flushed (Source::Durable()): after a
// crash or a rebalance the next owner reads again from there (at least once).
// KafkaWriter produces one message per complex event, keyed by its key's JSON text,
// idempotently (acks=all); a full local queue blocks the run (back-pressure); delivery failures
// make the output fail (the run stops, exit 2), never a silent loss.
// With --state (CLI.md "Kafka"), KafkaTransaction makes each checkpoint one transaction: the
// output messages of the interval (KafkaWriters bound to it buffer them), every partition's
// state as records of the compacted topic GROUP.strix-state, and the consumed offsets.
// KafkaSource then tells the run before partitions go and when they come (rebalance hooks), so
// that their state is written before another member takes them and read back when assigned.
// Covered by test/kafka_test.sh and test/kafka_state_test.sh against the mock cluster of
// test/kafka_fixture.cc.
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

class KafkaTransaction;

struct KafkaConfig {
  std::string group = "strix";
  std::vector<std::pair<std::string, std::string>> properties;  // --kafka NAME=VALUE
  std::function<void(const std::string&)> on_status;            // broker trouble while running
  // Kafka outputs buffer their messages into this transaction instead of producing them
  // (--state with a Kafka input); they go out when it commits.
  KafkaTransaction* transaction = nullptr;
};

// A partition of a topic and an offset (where reading starts; the next one to read).
struct KafkaPartition {
  static constexpr int64_t kStored = -1000;  // librdkafka's RD_KAFKA_OFFSET_STORED
  std::string topic;
  int32_t partition = 0;
  int64_t offset = kStored;
  std::string name() const { return topic + "/" + std::to_string(partition); }
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

  // Called from inside Next() and LineReady(), between two lines, when the group moves
  // partitions: `revoked` before they go (the run writes their state; nothing of theirs is
  // handed out after it), `assigned` before reading them starts (the run restores their state
  // and may set where reading starts: offset >= 0; else the group's committed offset).
  // With hooks, Durable() commits nothing: offsets go with the transaction.
  struct RebalanceHooks {
    std::function<void(std::vector<KafkaPartition>&)> assigned;
    std::function<void(const std::vector<KafkaPartition>&)> revoked;
  };
  void SetRebalanceHooks(RebalanceHooks hooks);
  ::rd_kafka_s* handle() const;  // the consumer (its group metadata goes with a transaction)
  // Per assigned partition (TOPIC/PARTITION), the messages not yet read: the high watermark
  // the fetcher last saw minus the consumer's position. Partitions where either is not known
  // yet (nothing fetched) are left out. Asks no broker.
  std::vector<std::pair<std::string, int64_t>> Lag() const;

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

// One transactional producer (transactional.id: --kafka transactional.id, else
// GROUP-HOST-PID) for the outputs of a run with --state, and the state records.
class KafkaTransaction {
 public:
  // Checks that `state_topic` exists (creating it compacted when missing, where the brokers
  // allow) and initializes the producer's transactions (fencing an earlier producer with the
  // same transactional.id).
  static Result<std::unique_ptr<KafkaTransaction>> Open(const std::string& brokers,
                                                        const KafkaConfig& c,
                                                        const std::string& state_topic,
                                                        const std::atomic<bool>* stop);
  ~KafkaTransaction();
  // A message for the next commit.
  void Add(const std::string& topic, std::string_view key, std::string_view value);
  size_t buffered_bytes() const;
  // An error when the topic does not exist (an output's name is checked at start).
  Status CheckTopic(const std::string& topic);
  // One transaction: the buffered messages, then `states` (partition name, checkpoint bytes) as
  // chunked records keyed by the partition's name, then `offsets` as the consumer group's
  // offsets (`consumer`). An error when it did not commit (it was aborted: nothing of it is
  // visible to read_committed consumers) or the producer was fenced.
  Status Commit(const std::vector<std::pair<std::string, std::string>>& states,
                const std::vector<KafkaPartition>& offsets, const KafkaSource& consumer);
  // The newest committed state of each named partition (name -> checkpoint bytes; absent when
  // there is none), read from the state topic to its end.
  Result<std::vector<std::pair<std::string, std::string>>> LoadState(
      const std::vector<std::string>& partitions);
  const std::string& transactional_id() const;

 private:
  KafkaTransaction() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strix::adapters
