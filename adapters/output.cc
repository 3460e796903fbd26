// Buffered output (see output.h).
#include "adapters/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace strix::adapters {

Result<std::unique_ptr<Output>> Output::Open(const std::string& dest, TcpWriterOptions tcp,
                                             std::optional<uint64_t> resume_length,
                                             const KafkaConfig& kafka) {
  std::unique_ptr<Output> o(new Output());
  o->name_ = dest;
  if (IsKafkaAddress(dest)) {
    auto at = ParseKafkaAddress(dest);
    if (!at) return Status::Error("bad output address '" + dest + "' (kafka://BROKERS/TOPIC)");
    auto w = KafkaWriter::Open(*at, kafka, tcp.stop);
    if (!w.ok()) return Status::Error("output '" + dest + "': " + w.message());
    o->kafka_ = std::move(*w);
  } else if (dest == "-") {
    o->f_ = stdout;
  } else if (IsTcpAddress(dest)) {
    auto at = ParseTcpAddress(dest);
    if (!at) return Status::Error("bad output address '" + dest + "' (tcp://HOST:PORT)");
    o->tcp_ = std::make_unique<TcpWriter>(*at, std::move(tcp));
  } else if (resume_length) {
    int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return Status::Error("cannot open output '" + dest + "': " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) < *resume_length) {
      ::close(fd);
      return Status::Error("output '" + dest + "' is shorter (" + std::to_string(st.st_size) +
                           " bytes) than at the checkpoint (" + std::to_string(*resume_length) +
                           "): it was changed outside strix");
    }
    if (::ftruncate(fd, static_cast<off_t>(*resume_length)) != 0 || ::lseek(fd, 0, SEEK_END) < 0) {
      std::string err = std::strerror(errno);
      ::close(fd);
      return Status::Error("cannot cut output '" + dest + "' back: " + err);
    }
    o->f_ = ::fdopen(fd, "wb");
    if (!o->f_) {
      ::close(fd);
      return Status::Error("cannot open output '" + dest + "': " + std::strerror(errno));
    }
    o->own_ = true;
    o->length_ = *resume_length;
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
    length_ += buf_.size();
  }
  if (!buf_.empty() && tcp_ && !failed_ && !tcp_->WriteAll(buf_)) failed_ = true;
  buf_.clear();
}

void Output::WriteMessage(std::string_view key, std::string_view line) {
  if (!failed_ && !kafka_->Write(key, line)) failed_ = true;
}

Status Output::Flush() {
  if (kafka_) {
    if (!failed_ && !kafka_->Flush()) failed_ = true;
    if (failed_) return Status::Error("cannot write to '" + name_ + "': " + kafka_->error());
    return Status::Ok();
  }
  Drain();
  if (f_ && std::fflush(f_) != 0) failed_ = true;
  if (failed_) {
    return Status::Error("cannot write to '" + name_ + "'" + (tcp_ ? ": " + tcp_->error() : ""));
  }
  return Status::Ok();
}

Status Output::Sync() {
  Status s = Flush();
  if (!s.ok() || !own_) return s;
  if (::fsync(fileno(f_)) != 0) {
    failed_ = true;
    return Status::Error("cannot sync '" + name_ + "': " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace strix::adapters
