// TcpWriter: the sink side of `-o tcp://HOST:PORT`, at least once.
// Stage: adapters (sinks). Interface: WriteAll(). Blocking; used by Output from one thread.
//
// * Connects lazily; a refused or broken connection is retried with backoff (100 ms doubling
//   to 5 s) for as long as it takes: WriteAll() does not return while the peer is down, so the
//   run stops reading input (back-pressure) instead of consuming and dropping.
// * Resend on reconnect: the bytes written on the current connection are kept (the last
//   `resend_bytes`, cut at a line start; by default 16 MiB, more than a peer's kernel buffers
//   can hold unread) and written again first on the next connection, with anything not yet
//   written. A peer that closes with lines still in its buffers loses nothing; it may see some
//   lines twice (complex-event ids let it drop them).
// * Write timeout: a peer that accepts but makes no progress reading for `write_timeout_ms`
//   counts as broken (reconnect and resend).
// * Stop: when `stop` becomes true (SIGINT/SIGTERM) while the peer is down, WriteAll() gives
//   up at once and returns false; error() says how many bytes were not delivered.
// * Status changes (down, back up) are reported through `on_status`, never printed here.
// Covered by test/tcp_test.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/tcp_endpoint.h"

namespace strix::adapters {

struct TcpWriterOptions {
  int64_t write_timeout_ms = 30000;
  size_t resend_bytes = size_t{16} << 20;
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const std::string&)> on_status;  // "down: ...", "back up: ..."
};

class TcpWriter {
 public:
  explicit TcpWriter(TcpAddress at, TcpWriterOptions options = {});
  ~TcpWriter();
  // True once `data` is written to a live connection; false only when stopped while down.
  bool WriteAll(std::string_view data);
  const std::string& error() const { return error_; }
  size_t reconnects() const { return reconnects_; }

 private:
  bool Connect();
  void Broken(const std::string& why);
  bool WriteWindow();  // writes window_[sent_..]; false when the connection broke
  class Impl;
  std::unique_ptr<Impl> impl_;
  TcpAddress at_;
  TcpWriterOptions opt_;
  std::string window_;  // bytes of the current connection kept for a resend, then unsent ones
  size_t sent_ = 0;     // of window_, written to the current connection
  bool down_ = false;   // reported down, not yet back
  std::string error_;
  size_t reconnects_ = 0;
};

}  // namespace strix::adapters
