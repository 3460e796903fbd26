// kafka_fixture: a Kafka protocol broker for the tests, and a producer and consumer to feed and
// read it. Test-only; needs no Kafka install (librdkafka's in-process mock cluster).
//
//   kafka_fixture cluster TOPIC:PARTITIONS...      hosts a 3-broker mock cluster on loopback,
//                                                  prints "bootstrap HOST:PORT,..." and serves
//                                                  until its standard input closes; lines on
//                                                  it inject broker errors (see Cluster())
//   kafka_fixture produce BOOTSTRAP TOPIC FIELD     each standard-input line is a message,
//                                                  keyed by the value of the top-level string
//                                                  field FIELD (so one key, one partition)
//   kafka_fixture consume BOOTSTRAP TOPIC N SECS    prints the values of the first N messages
//                                                  (read_committed, every partition), or what
//                                                  came within SECS
// Used by test/kafka_test.sh.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

rd_kafka_t* Client(rd_kafka_type_t type,
                   const std::vector<std::pair<std::string, std::string>>& kv) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : kv) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "kafka_fixture: %s\n", err);
      std::exit(2);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "kafka_fixture: %s\n", err);
    std::exit(2);
  }
  return rk;
}

int Cluster(int argc, char** argv) {
  rd_kafka_t* rk = Client(RD_KAFKA_PRODUCER, {{"log_level", "0"}});
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, 3);
  if (!mc) {
    std::fprintf(stderr, "kafka_fixture: no mock cluster\n");
    return 2;
  }
  for (int i = 0; i < argc; ++i) {
    std::string spec = argv[i];
    size_t colon = spec.find(':');
    std::string topic = spec.substr(0, colon);
    int parts = colon == std::string::npos ? 1 : std::atoi(spec.c_str() + colon + 1);
    if (rd_kafka_mock_topic_create(mc, topic.c_str(), parts, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "kafka_fixture: cannot create %s\n", spec.c_str());
      return 2;
    }
  }
  std::printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  std::fflush(stdout);
  // Commands on standard input, one per line, until it closes:
  //   error API_KEY ERROR_CODE COUNT   the next COUNT requests of that kind (e.g. 0 Produce,
  //                                    26 EndTxn, 28 TxnOffsetCommit) fail with that code
  //   down BROKER_ID / up BROKER_ID    a broker stops answering / answers again
  std::string cmd;
  while (std::getline(std::cin, cmd)) {
    int a = 0, b = 0, c = 0;
    if (std::sscanf(cmd.c_str(), "error %d %d %d", &a, &b, &c) == 3) {
      std::vector<rd_kafka_resp_err_t> errs(c, static_cast<rd_kafka_resp_err_t>(b));
      rd_kafka_mock_push_request_errors_array(mc, static_cast<int16_t>(a), errs.size(),
                                              errs.data());
    } else if (std::sscanf(cmd.c_str(), "down %d", &a) == 1) {
      rd_kafka_mock_broker_set_down(mc, a);
    } else if (std::sscanf(cmd.c_str(), "up %d", &a) == 1) {
      rd_kafka_mock_broker_set_up(mc, a);
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}

// The value of top-level string field `field` ("field": "value", spaces allowed around the
// colon); empty when there is none (then every such line has the same key).
std::string KeyOf(const std::string& line, const std::string& field) {
  std::string pat = "\"" + field + "\"";
  size_t at = line.find(pat);
  if (at == std::string::npos) return "";
  at = line.find_first_not_of(" \t", at + pat.size());
  if (at == std::string::npos || line[at] != ':') return "";
  at = line.find_first_not_of(" \t", at + 1);
  if (at == std::string::npos || line[at] != '"') return "";
  size_t end = line.find('"', at + 1);
  return line.substr(at + 1, end - at - 1);
}

int Produce(const std::string& bootstrap, const std::string& topic, const std::string& field) {
  rd_kafka_t* rk =
      Client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}, {"enable.idempotence", "true"}});
  std::string line;
  size_t n = 0;
  while (std::getline(std::cin, line)) {
    std::string key = KeyOf(line, field);
    while (true) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(line.data(), line.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        std::fprintf(stderr, "kafka_fixture: %s\n", rd_kafka_err2str(e));
        return 2;
      }
      rd_kafka_poll(rk, 100);
    }
    ++n;
    rd_kafka_poll(rk, 0);
  }
  if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "kafka_fixture: not all delivered\n");
    return 2;
  }
  rd_kafka_destroy(rk);
  std::fprintf(stderr, "kafka_fixture: produced %zu\n", n);
  return 0;
}

int Consume(const std::string& bootstrap, const std::string& topic, long want, double secs) {
  rd_kafka_t* rk = Client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                              {"group.id", "kafka_fixture_reader"},
                                              {"enable.auto.commit", "false"},
                                              {"auto.offset.reset", "earliest"},
                                              {"isolation.level", "read_committed"}});
  rd_kafka_poll_set_consumer(rk);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_t* meta = rk;
  if (rd_kafka_metadata(meta, 1, nullptr, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) return 2;
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(8);
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic != md->topics[i].topic) continue;
    for (int p = 0; p < md->topics[i].partition_cnt; ++p)
      rd_kafka_topic_partition_list_add(parts, topic.c_str(), md->topics[i].partitions[p].id)
          ->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_metadata_destroy(md);
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  long got = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(secs);
  while (got < want && std::chrono::steady_clock::now() < until) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (!m->err) {
      std::fwrite(m->payload, 1, m->len, stdout);
      std::fputc('\n', stdout);
      ++got;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "cluster") return Cluster(argc - 2, argv + 2);
  if (cmd == "produce" && argc == 5) return Produce(argv[2], argv[3], argv[4]);
  if (cmd == "consume" && argc == 6)
    return Consume(argv[2], argv[3], std::atol(argv[4]), std::atof(argv[5]));
  std::fprintf(stderr,
               "usage: kafka_fixture cluster TOPIC:N... | produce BOOTSTRAP TOPIC FIELD | "
               "consume BOOTSTRAP TOPIC N SECS\n");
  return 2;
}
