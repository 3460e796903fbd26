// TcpWriter: the sink side of `-o tcp://HOST:PORT`: connects, writes, and on a broken or
// refused connection reconnects with exponential backoff (100 ms doubling to 5 s) and writes
// the unsent data again, so nothing is lost while the peer is up (a peer that drops a
// connection mid-write may see the last lines twice: complex-event ids let it drop them).
// Gives up on one write after `give_up_ms` without a connection; the output then fails.
// Stage: adapters (sinks). Interface: WriteAll(). Blocking; used by Output from one thread.
// Covered by test/tcp_test.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "adapters/tcp_endpoint.h"

namespace strix::adapters {

class TcpWriter {
 public:
  explicit TcpWriter(TcpAddress at, int64_t give_up_ms = 30000);
  ~TcpWriter();
  bool WriteAll(std::string_view data);
  const std::string& error() const { return error_; }
  size_t reconnects() const { return reconnects_; }

 private:
  bool Connect();
  class Impl;
  std::unique_ptr<Impl> impl_;
  TcpAddress at_;
  int64_t give_up_ms_;
  std::string error_;
  size_t reconnects_ = 0;
};

}  // namespace strix::adapters
