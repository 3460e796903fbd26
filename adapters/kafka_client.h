// Helpers the Kafka adapters share (kafka_source.cc, kafka_output.cc, kafka_state.cc): client
// configuration and a topic check. Internal to adapters/.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <utility>
#include <vector>

#include "adapters/kafka.h"

namespace strix::adapters {

// librdkafka configuration: bootstrap.servers, then `fixed`, then --kafka NAME=VALUE (the
// user's settings win). The configuration's opaque is not set.
Result<rd_kafka_conf_t*> MakeKafkaConf(
    const std::string& brokers, const KafkaConfig& c,
    const std::vector<std::pair<std::string, std::string>>& fixed);

// Checks that the brokers answer and every topic exists, so that a mistake is an error at
// start rather than a silent stall.
Status CheckKafkaTopics(rd_kafka_t* rk, const std::vector<std::string>& topics);

}  // namespace strix::adapters
