// TCP sink, at least once: reconnection, resend, write timeout (see tcp_output.h).
#include "adapters/tcp_output.h"

#include <poll.h>
#include <sys/socket.h>

// clang-format off
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without it in C++20
#include <boost/asio.hpp>
// clang-format on
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace strix::adapters {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class TcpWriter::Impl {
 public:
  asio::io_context io;
  std::unique_ptr<tcp::socket> socket;
};

TcpWriter::TcpWriter(TcpAddress at, TcpWriterOptions options)
    : impl_(std::make_unique<Impl>()), at_(std::move(at)), opt_(std::move(options)) {}

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
  s->non_blocking(true, ec);
  impl_->socket = std::move(s);
  sent_ = 0;  // the kept bytes go out again first
  return true;
}

void TcpWriter::Broken(const std::string& why) {
  error_ = "writing to " + at_.host + ":" + std::to_string(at_.port) + ": " + why;
  impl_->socket.reset();
  ++reconnects_;
}

bool TcpWriter::WriteWindow() {
  int fd = impl_->socket->native_handle();
  auto progress = Clock::now();
  while (sent_ < window_.size()) {
    ssize_t n = ::send(fd, window_.data() + sent_, window_.size() - sent_, MSG_NOSIGNAL);
    if (n > 0) {
      sent_ += static_cast<size_t>(n);
      progress = Clock::now();
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      Broken(std::strerror(errno));
      return false;
    }
    // The peer's buffers are full: wait for room, in short steps (signals, the timeout).
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, 100);
    if (p.revents & (POLLERR | POLLHUP)) {
      Broken("connection closed by the peer");
      return false;
    }
    if (opt_.stop && opt_.stop->load() && !(p.revents & POLLOUT)) {
      // Stopping with a peer that does not read: do not wait out the timeout.
      Broken("stopped while the peer was not reading");
      return false;
    }
    auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - progress);
    if (idle.count() >= opt_.write_timeout_ms) {
      Broken("the peer read nothing for " + std::to_string(opt_.write_timeout_ms) + " ms");
      return false;
    }
  }
  return true;
}

bool TcpWriter::WriteAll(std::string_view data) {
  window_.append(data);
  if (impl_->socket) {
    // A peer that closed its end would silently drop what we write next: reconnect first.
    pollfd p{impl_->socket->native_handle(), POLLRDHUP, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
      Broken("connection closed by the peer");
  }
  int64_t backoff = 100;
  auto down_since = Clock::now();
  while (true) {
    if (impl_->socket || Connect()) {
      size_t resent = sent_ == 0 ? window_.size() - data.size() : 0;
      if (WriteWindow()) {
        if (down_) {
          down_ = false;
          auto secs = std::chrono::duration<double>(Clock::now() - down_since).count();
          if (opt_.on_status)
            opt_.on_status("back up after " + std::to_string(int64_t(secs)) + " s; resent " +
                           std::to_string(resent) + " bytes written before it went down");
        }
        break;
      }
    }
    if (!down_) {
      down_ = true;
      down_since = Clock::now();
      if (opt_.on_status) opt_.on_status("down (" + error_ + "); holding output, retrying");
    }
    if (opt_.stop && opt_.stop->load()) {
      error_ += "; stopped with " + std::to_string(window_.size() - sent_) +
                " bytes of output not delivered";
      return false;
    }
    auto until = Clock::now() + std::chrono::milliseconds(backoff);
    while (Clock::now() < until && !(opt_.stop && opt_.stop->load()))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    backoff = std::min<int64_t>(backoff * 2, 5000);
  }
  // Keep the last resend_bytes of this connection, from a line start.
  if (window_.size() > opt_.resend_bytes) {
    size_t cut = window_.size() - opt_.resend_bytes;
    size_t nl = window_.find('\n', cut == 0 ? 0 : cut - 1);
    cut = nl == std::string::npos ? window_.size() : nl + 1;
    window_.erase(0, cut);
    sent_ -= cut;
  }
  return true;
}

}  // namespace strix::adapters
