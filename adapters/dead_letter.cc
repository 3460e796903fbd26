// Dead-letter output (see dead_letter.h).
#include "adapters/dead_letter.h"

#include "common/json_text.h"

namespace strix::adapters {

void DeadLetters::Reject(const char* reason, const std::string& source, uint64_t line,
                         std::string_view input) {
  ++counts_[reason];
  ++total_;
  if (observe_) observe_(reason, source, line);
  if (!out_) return;
  line_.clear();
  line_ += "{\"reason\":";
  AppendJsonString(line_, reason);
  line_ += ",\"source\":";
  AppendJsonString(line_, source);
  line_ += ",\"line\":" + std::to_string(line) + ",\"input\":";
  AppendJsonString(line_, input);
  line_ += "}\n";
  out_->WriteKeyed(source, line_);  // Kafka: keyed by source
}

std::string DeadLetters::Summary() const {
  if (total_ == 0) return "";
  std::string s = std::to_string(total_) + " input line" + (total_ == 1 ? "" : "s") + " rejected (";
  bool first = true;
  for (const auto& [reason, n] : counts_) {
    s += (first ? "" : ", ") + reason + ": " + std::to_string(n);
    first = false;
  }
  return s + ")";
}

}  // namespace strix::adapters
