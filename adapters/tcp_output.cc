// TCP sink with reconnection (see tcp_output.h).
#include "adapters/tcp_output.h"

#include <poll.h>

// clang-format off
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without it in C++20
#include <boost/asio.hpp>
// clang-format on
#include <chrono>
#include <thread>

namespace strix::adapters {

namespace asio = boost::asio;
using asio::ip::tcp;

class TcpWriter::Impl {
 public:
  asio::io_context io;
  std::unique_ptr<tcp::socket> socket;
};

TcpWriter::TcpWriter(TcpAddress at, int64_t give_up_ms)
    : impl_(std::make_unique<Impl>()), at_(std::move(at)), give_up_ms_(give_up_ms) {}

TcpWriter::~TcpWriter() = default;

bool TcpWriter::Connect() {
  boost::system::error_code ec;
  tcp::resolver resolver(impl_->io);
  auto results = resolver.resolve(at_.host, std::to_string(at_.port), ec);
  if (ec) {
    error_ = "cannot resolve '" + at_.host + "': " + ec.message();
    return false;
  }
  auto s = std::make_unique<tcp::socket>(impl_->io);
  asio::connect(*s, results, ec);
  if (ec) {
    error_ = "cannot connect to " + at_.host + ":" + std::to_string(at_.port) + ": " + ec.message();
    return false;
  }
  s->set_option(tcp::no_delay(true), ec);
  impl_->socket = std::move(s);
  return true;
}

bool TcpWriter::WriteAll(std::string_view data) {
  auto start = std::chrono::steady_clock::now();
  int64_t backoff = 100;
  if (impl_->socket) {
    // A peer that closed its end would silently drop what we write next: reconnect first.
    pollfd p{impl_->socket->native_handle(), POLLRDHUP, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
      impl_->socket.reset();
      ++reconnects_;
    }
  }
  while (true) {
    if (impl_->socket || Connect()) {
      boost::system::error_code ec;
      asio::write(*impl_->socket, asio::buffer(data.data(), data.size()), ec);
      if (!ec) return true;
      error_ = "writing to " + at_.host + ":" + std::to_string(at_.port) + ": " + ec.message();
      impl_->socket.reset();  // broken: reconnect and write the whole chunk again
      ++reconnects_;
      start = std::chrono::steady_clock::now();
    }
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
    if (waited >= give_up_ms_) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
    backoff = std::min<int64_t>(backoff * 2, 5000);
  }
}

}  // namespace strix::adapters
