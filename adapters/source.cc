// OpenSource: files, standard input, TCP listeners and Kafka behind one interface
// (line_source.h).
#include "adapters/kafka.h"
#include "adapters/line_source.h"
#include "adapters/tcp_source.h"

namespace strix::adapters {

Result<std::unique_ptr<Source>> OpenSource(const std::string& name, const SourceLimits& limits,
                                           const std::atomic<bool>* stop,
                                           const KafkaConfig& kafka) {
  size_t max_line = limits.max_line;
  if (max_line == 0 || max_line > kMaxLineLimit)
    return Status::Error("--max-line must be 1 to " + std::to_string(kMaxLineLimit) +
                         " bytes, not " + std::to_string(max_line));
  if (IsKafkaAddress(name)) {
    auto at = ParseKafkaAddress(name);
    if (!at) return Status::Error("bad input address '" + name + "' (kafka://BROKERS/TOPICS)");
    auto s = KafkaSource::Open(*at, kafka, stop);
    if (!s.ok()) return Status::Error("input '" + name + "': " + s.message());
    return std::unique_ptr<Source>(std::move(*s));
  }
  if (IsTcpAddress(name)) {
    auto at = ParseTcpAddress(name);
    if (!at) return Status::Error("bad input address '" + name + "' (tcp://HOST:PORT)");
    auto s = TcpSource::Listen(*at, max_line, stop, limits.max_queued, limits.max_connections);
    if (!s.ok()) return Status::Error("input '" + name + "': " + s.message());
    return std::unique_ptr<Source>(std::move(*s));
  }
  auto s = LineSource::Open(name, max_line, stop);
  if (!s.ok()) return s.status();
  return std::unique_ptr<Source>(std::move(*s));
}

}  // namespace strix::adapters
