// Buffered output (see output.h).
#include "adapters/output.h"

#include <cerrno>
#include <cstring>

namespace strix::adapters {

Result<std::unique_ptr<Output>> Output::Open(const std::string& dest, TcpWriterOptions tcp) {
  std::unique_ptr<Output> o(new Output());
  o->name_ = dest;
  if (dest == "-") {
    o->f_ = stdout;
  } else if (IsTcpAddress(dest)) {
    auto at = ParseTcpAddress(dest);
    if (!at) return Status::Error("bad output address '" + dest + "' (tcp://HOST:PORT)");
    o->tcp_ = std::make_unique<TcpWriter>(*at, std::move(tcp));
  } else {
    o->f_ = std::fopen(dest.c_str(), "wb");
    if (!o->f_) return Status::Error("cannot open output '" + dest + "': " + std::strerror(errno));
    o->own_ = true;
  }
  return o;
}

Output::~Output() {
  Drain();
  if (own_ && f_) std::fclose(f_);
}

void Output::Drain() {
  if (!buf_.empty() && f_ && !failed_) {
    if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) failed_ = true;
  }
  if (!buf_.empty() && tcp_ && !failed_ && !tcp_->WriteAll(buf_)) failed_ = true;
  buf_.clear();
}

Status Output::Flush() {
  Drain();
  if (f_ && std::fflush(f_) != 0) failed_ = true;
  if (failed_) {
    return Status::Error("cannot write to '" + name_ + "'" + (tcp_ ? ": " + tcp_->error() : ""));
  }
  return Status::Ok();
}

}  // namespace strix::adapters
