// TcpSource: the input `tcp://HOST:PORT`: listens and reads newline-delimited JSON from any
// number of clients at once (Boost.Asio, one I/O thread).
// Stage: adapters (sources). Interface: Listen(), then the Source interface (line_source.h).
// Each connection is read asynchronously on its own, so a slow or silent client never holds
// up the others; lines are handed over in the order they complete. A line is at most
// `max_line` bytes per connection (longer: reported once as too long, the rest skipped); a
// client that disconnects mid-line ends that line. Each line's origin is the peer address
// ("127.0.0.1:50412") and its number counts lines within that connection. The hand-over queue
// is bounded in bytes and the clients in number: when the matcher falls behind, reading pauses
// (TCP back-pressure) instead of buffering without limit. When `stop` becomes true (SIGINT/SIGTERM)
// it stops reading and ends once the lines already read are handed out. Thread safety:
// Next()/LineReady() from one consumer thread. Covered by test/tcp_test.cc.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "adapters/line_source.h"
#include "adapters/tcp_endpoint.h"
#include "common/status.h"

namespace strix::adapters {

class TcpSource : public Source {
 public:
  // At most `max_queued_bytes` of complete lines wait for the consumer (reading pauses beyond
  // it), and at most `max_connections` clients are connected at once (further clients wait in
  // the kernel's accept queue until one leaves). Memory is bounded by max_queued_bytes plus
  // max_connections times max_line (each client's unfinished line).
  static Result<std::unique_ptr<TcpSource>> Listen(const TcpAddress& at, size_t max_line,
                                                   const std::atomic<bool>* stop,
                                                   size_t max_queued_bytes = size_t{64} << 20,
                                                   size_t max_connections = 256);
  ~TcpSource() override;

  uint16_t port() const { return port_; }  // the bound port (when 0 was asked for)
  bool Next(Line& line) override;
  bool LineReady() const override;
  const std::string& error() const override { return error_; }
  // Ends the source from another thread (tests); SIGINT/SIGTERM use the `stop` flag.
  void Stop();

 private:
  class Impl;
  friend class Impl;
  TcpSource() = default;
  void Push(OwnedLine item);  // from the I/O thread; waits while the queue is full

  std::unique_ptr<Impl> impl_;
  std::thread io_thread_;
  const std::atomic<bool>* stop_ = nullptr;
  std::atomic<bool> stopped_{false};
  bool draining_ = false;  // stop_ was seen: the I/O thread is stopped, the queue drains
  size_t max_line_ = 0, max_queued_bytes_ = 0, max_connections_ = 0;
  size_t queued_bytes_ = 0;
  uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<OwnedLine> queue_;
  OwnedLine current_;
  std::string error_;
};

}  // namespace strix::adapters
