// TCP listener source (see tcp_source.h).
#include "adapters/tcp_source.h"

// clang-format off
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without it in C++20
#include <boost/asio.hpp>
// clang-format on
#include <chrono>

namespace strix::adapters {

namespace asio = boost::asio;
using asio::ip::tcp;

class TcpSource::Impl {
 public:
  explicit Impl(TcpSource& owner) : owner_(owner), acceptor_(io_) {}

  class Connection : public std::enable_shared_from_this<Connection> {
   public:
    Connection(Impl& impl, tcp::socket socket) : impl_(impl), socket_(std::move(socket)) {
      boost::system::error_code ec;
      auto peer = socket_.remote_endpoint(ec);
      if (!ec) {
        std::string addr = peer.address().to_string();
        if (peer.address().is_v6()) addr = "[" + addr + "]";
        origin_ = addr + ":" + std::to_string(peer.port());
      } else {
        origin_ = "tcp";
      }
    }
    void Start() { Read(); }

   private:
    void Read() {
      auto self = shared_from_this();
      socket_.async_read_some(asio::buffer(chunk_, sizeof chunk_),
                              [this, self](boost::system::error_code ec, size_t n) {
                                if (n > 0) Take(chunk_, n);
                                if (ec) {
                                  Finish();
                                  return;
                                }
                                Read();
                              });
    }
    void Take(const char* data, size_t n) {
      size_t max_line = impl_.owner_.max_line_;
      for (size_t i = 0; i < n; ++i) {
        char c = data[i];
        if (c == '\n') {
          if (!skipping_) Emit(false);
          skipping_ = false;
          pending_.clear();
          continue;
        }
        if (skipping_) continue;
        pending_.push_back(c);
        if (pending_.size() > max_line) {  // an endless line costs at most max_line bytes
          pending_.resize(max_line);
          Emit(true);
          pending_.clear();
          skipping_ = true;
        }
      }
    }
    void Emit(bool too_long) {
      if (!pending_.empty() && pending_.back() == '\r' && !too_long) pending_.pop_back();
      Line line;
      line.text = pending_;
      line.origin = origin_;
      line.number = ++lines_;
      line.too_long = too_long;
      impl_.owner_.Push(OwnedLine::From(line));
    }
    void Finish() {
      // A client that disconnects mid-line ends that line.
      if (!skipping_ && !pending_.empty()) Emit(false);
      pending_.clear();
      pending_.shrink_to_fit();
      boost::system::error_code ignored;
      socket_.close(ignored);
      impl_.Closed();
    }

    Impl& impl_;
    tcp::socket socket_;
    char chunk_[1 << 14];
    std::string pending_;
    bool skipping_ = false;
    uint64_t lines_ = 0;
    std::string origin_;
  };

  Status Bind(const TcpAddress& at) {
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(at.host, std::to_string(at.port), ec);
    if (ec || results.empty())
      return Status::Error("cannot resolve '" + at.host + "': " + ec.message());
    tcp::endpoint ep = results.begin()->endpoint();
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Status::Error("cannot listen on " + at.host + ":" + std::to_string(at.port) + ": " +
                           ec.message());
    owner_.port_ = acceptor_.local_endpoint().port();
    Accept();
    return Status::Ok();
  }

  // Accepts while fewer than max_connections clients are connected; past that, new clients
  // wait in the kernel's accept queue until one leaves.
  void Accept() {
    accepting_ = true;
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      accepting_ = false;
      if (!ec) {
        ++connections_;
        std::make_shared<Connection>(*this, std::move(socket))->Start();
      }
      if (acceptor_.is_open() && connections_ < owner_.max_connections_) Accept();
    });
  }
  void Closed() {
    --connections_;
    if (!accepting_ && acceptor_.is_open() && connections_ < owner_.max_connections_) Accept();
  }

  void Run() {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  }
  void Stop() {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
  }

 private:
  TcpSource& owner_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  size_t connections_ = 0;  // I/O thread only
  bool accepting_ = false;
};

Result<std::unique_ptr<TcpSource>> TcpSource::Listen(const TcpAddress& at, size_t max_line,
                                                     const std::atomic<bool>* stop,
                                                     size_t max_queued_bytes,
                                                     size_t max_connections) {
  std::unique_ptr<TcpSource> s(new TcpSource());
  s->stop_ = stop;
  s->max_line_ = max_line;
  s->max_queued_bytes_ = std::max<size_t>(1, max_queued_bytes);
  s->max_connections_ = std::max<size_t>(1, max_connections);
  s->impl_ = std::make_unique<Impl>(*s);
  Status st = s->impl_->Bind(at);
  if (!st.ok()) return st;
  TcpSource* raw = s.get();
  s->io_thread_ = std::thread([raw] { raw->impl_->Run(); });
  return s;
}

TcpSource::~TcpSource() {
  Stop();
  if (io_thread_.joinable()) io_thread_.join();
}

void TcpSource::Stop() {
  stopped_.store(true);
  room_.notify_all();
  ready_.notify_all();
  if (impl_) impl_->Stop();
}

void TcpSource::Push(OwnedLine item) {
  std::unique_lock<std::mutex> lock(mu_);
  // Back-pressure: the I/O thread waits (and stops reading) while the queue is full (one line
  // always fits).
  room_.wait(lock, [&] {
    return queued_bytes_ == 0 || queued_bytes_ + item.size <= max_queued_bytes_ || stopped_.load();
  });
  if (stopped_.load()) return;
  queued_bytes_ += item.size;
  queue_.push_back(std::move(item));
  ready_.notify_one();
}

bool TcpSource::Next(Line& line) {
  std::unique_lock<std::mutex> lock(mu_);
  auto waiting_since = std::chrono::steady_clock::now();
  while (queue_.empty()) {
    if (stopped_.load()) return false;
    if (!draining_ && std::chrono::steady_clock::now() - waiting_since >= std::chrono::seconds(1)) {
      line = Line();  // a second of nothing: a tick for the run (flush, reloads, metrics)
      line.tick = true;
      return true;
    }
    if (stop_ && stop_->load()) {
      // SIGINT/SIGTERM: stop reading from the clients, hand out every line already read (also
      // one the I/O thread is pushing right now: it is joined first), then end.
      if (draining_) return false;
      draining_ = true;
      lock.unlock();
      impl_->Stop();
      if (io_thread_.joinable()) io_thread_.join();
      lock.lock();
      continue;
    }
    ready_.wait_for(lock, std::chrono::milliseconds(50));
  }
  current_ = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= current_.size;
  room_.notify_one();
  line = current_.View();
  return true;
}

bool TcpSource::LineReady() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !queue_.empty();
}

}  // namespace strix::adapters
