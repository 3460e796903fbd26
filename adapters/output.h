// Output: a buffered destination for JSON Lines (standard output, a file, or tcp://HOST:PORT
// through TcpWriter, which reconnects). Stage: adapters (sinks). Interface: Open(), Write(),
// Flush(). Errors are values; a write error is remembered and reported by Flush().
// Covered by test/adapters_test.cc and test/tcp_test.cc.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/kafka.h"
#include "adapters/tcp_output.h"
#include "common/status.h"

namespace strix::adapters {

class Output {
 public:
  // "-" is standard output; "tcp://HOST:PORT" a TCP peer; anything else a file, truncated.
  // `tcp` configures a TCP peer (stop flag, write timeout, status reports).
  // With `resume_length` (checkpoint restore) a file is cut back to that many bytes and
  // written on from there; an error when it is shorter (it was changed outside strix).
  // "kafka://BROKERS/TOPIC" produces one message per line with `kafka`'s settings.
  static Result<std::unique_ptr<Output>> Open(const std::string& dest, TcpWriterOptions tcp = {},
                                              std::optional<uint64_t> resume_length = {},
                                              const KafkaConfig& kafka = {});
  ~Output();
  void Write(std::string_view s) {
    if (kafka_) {
      WriteMessage({}, s);
      return;
    }
    buf_.append(s);
    if (buf_.size() >= kFlushAt) Drain();
  }
  // A line with a key: the message key on Kafka, ignored elsewhere.
  void WriteKeyed(std::string_view key, std::string_view line) {
    if (kafka_) {
      WriteMessage(key, line);
    } else {
      Write(line);
    }
  }
  bool keyed() const { return kafka_ != nullptr; }
  Status Flush();
  // True once a write failed (the run stops reading: nothing more can be delivered).
  bool failed() const { return failed_; }
  // A file (not standard output or TCP): its length can be checkpointed and restored.
  bool is_file() const { return own_; }
  // The file's descriptor (fsync from another thread after Flush()); -1 when not a file.
  int fd() const { return own_ && f_ ? fileno(f_) : -1; }
  // Bytes of the file once what was written is flushed.
  uint64_t length() const { return length_ + buf_.size(); }
  // Flush() and, for a file, fsync: its bytes survive a crash of the machine (checkpoints).
  Status Sync();

 private:
  static constexpr size_t kFlushAt = 1 << 16;
  void Drain();
  void WriteMessage(std::string_view key, std::string_view line);
  FILE* f_ = nullptr;
  std::unique_ptr<KafkaWriter> kafka_;
  std::unique_ptr<TcpWriter> tcp_;
  bool own_ = false;
  bool failed_ = false;
  uint64_t length_ = 0;  // bytes handed to the file
  std::string name_;
  std::string buf_;
};

}  // namespace strix::adapters
