// LineSource: buffered line reading over file descriptors and zlib (see line_source.h).
#include "adapters/line_source.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace strix::adapters {

OwnedLine OwnedLine::From(const Line& line) {
  OwnedLine o;
  o.size = line.text.size();
  o.text.reserve(o.size + kPadding);
  o.text.append(line.text);
  o.text.append(kPadding, '\0');
  o.origin = std::string(line.origin);
  o.number = line.number;
  o.input = line.input;
  o.too_long = line.too_long;
  o.end = line.end;
  o.partial = line.partial;
  o.partitioned = line.partitioned;
  o.tick = line.tick;
  o.assigned = line.assigned;
  o.revoked = line.revoked;
  return o;
}

Result<std::unique_ptr<LineSource>> LineSource::Open(const std::string& name, size_t max_line,
                                                     const std::atomic<bool>* stop) {
  if (max_line == 0 || max_line > kMaxLineLimit)
    return Status::Error("the longest line must be 1 to " + std::to_string(kMaxLineLimit) +
                         " bytes, not " + std::to_string(max_line));
  std::unique_ptr<LineSource> s(new LineSource(max_line));
  s->stop_ = stop;
  if (name == "-") {
    s->fd_ = 0;
  } else {
    s->fd_ = ::open(name.c_str(), O_RDONLY);
    if (s->fd_ < 0)
      return Status::Error("cannot open input '" + name + "': " + std::strerror(errno));
    s->own_fd_ = true;
  }
  struct stat st {};
  if (::fstat(s->fd_, &st) == 0 && S_ISREG(st.st_mode)) s->size_ = static_cast<int64_t>(st.st_size);
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0) {
    int fd = ::dup(s->fd_);
    s->gz_ = gzdopen(fd, "rb");
    if (!s->gz_) {
      ::close(fd);
      return Status::Error("cannot open input '" + name + "' as gzip");
    }
  }
  // The buffer starts small and grows (doubling) while a line needs it, up to twice the
  // longest line: --max-line 1G costs nothing until such a line comes.
  s->max_cap_ = (max_line + 1) * 2 + kPadding;
  s->buf_.resize(std::min<size_t>(s->max_cap_, (size_t{1} << 20) * 2 + kPadding));
  return s;
}

LineSource::~LineSource() {
  if (gz_) gzclose(gz_);
  if (own_fd_ && fd_ >= 0) ::close(fd_);
}

long LineSource::Read(char* dst, size_t n) {
  if (gz_) {
    int r = gzread(gz_, dst, static_cast<unsigned>(std::min<size_t>(n, 1 << 30)));
    int errnum = Z_OK;
    const char* msg = gzerror(gz_, &errnum);
    if (r < 0 || (r == 0 && errnum != Z_OK)) {
      // A truncated or corrupt file: zlib ends with Z_BUF_ERROR or Z_DATA_ERROR. Say where.
      std::string_view what(msg);  // "<fd:N>: unexpected end of file": the file is named anyway
      if (what.rfind("<fd:", 0) == 0 && what.find(": ") != what.npos)
        what.remove_prefix(what.find(": ") + 2);
      error_ = std::string(what) + " (gzip data ends or breaks after " +
               std::to_string(gzoffset(gz_)) + " compressed bytes, " + std::to_string(line_no_) +
               " whole lines read)";
      return -1;
    }
    return r;
  }
  auto waiting_since = std::chrono::steady_clock::now();
  while (true) {
    if (stop_ && size_ < 0) {
      // A pipe or terminal may block for ever: wait in short steps so that the stop flag is
      // seen even when the signal went to another thread (MergedSource reads in threads), and
      // after a second of nothing, let the run have a tick.
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, 100);
      if (stop_->load()) return 0;
      if (ready == 0 &&
          std::chrono::steady_clock::now() - waiting_since >= std::chrono::seconds(1)) {
        tick_ = true;
        return -2;
      }
      if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
    }
    ssize_t r = ::read(fd_, dst, n);
    if (r < 0 && errno == EINTR) {
      if (stop_ && stop_->load()) return 0;
      continue;
    }
    if (r < 0) error_ = std::strerror(errno);
    return r;
  }
}

bool LineSource::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {  // compact
    break_at_ = kNoBreak;
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    scan_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - kPadding - end_ < buf_.size() / 4 && buf_.size() < max_cap_)
    buf_.resize(std::min(max_cap_, buf_.size() * 2));  // a long line: grow
  size_t room = buf_.size() - kPadding - end_;
  // Once stopped (SIGINT/SIGTERM), what was read is handed out and nothing more is read.
  long r = stop_ && stop_->load() ? 0 : Read(buf_.data() + end_, room);
  if (r == -2) return false;  // a tick (tick_), not the end
  if (r <= 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<size_t>(r);
  streamed_ += static_cast<uint64_t>(r);
  read_ = gz_ ? static_cast<int64_t>(gzoffset(gz_)) : read_ + r;
  return true;
}

Status LineSource::Resume(uint64_t offset, uint64_t line, bool partial) {
  if (size_ < 0) return Status::Error("not a file: cannot resume reading it");
  if (gz_) {
    // zlib can only skip forward by decompressing: read and drop, counting what came.
    std::vector<char> scratch(size_t{1} << 16);
    uint64_t skipped = 0;
    while (skipped < offset) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(scratch.size(), offset - skipped));
      long r = Read(scratch.data(), want);
      if (r <= 0) break;
      skipped += static_cast<uint64_t>(r);
    }
    if (skipped < offset)
      return Status::Error("the decompressed input is shorter (" + std::to_string(skipped) +
                           " bytes) than its checkpointed position (" + std::to_string(offset) +
                           "): was it replaced?" + (error_.empty() ? "" : " " + error_));
    error_.clear();
    read_ = static_cast<int64_t>(gzoffset(gz_));
  } else {
    if (static_cast<int64_t>(offset) > size_)
      return Status::Error("the input is shorter (" + std::to_string(size_) +
                           " bytes) than its checkpointed position (" + std::to_string(offset) +
                           "): was it replaced?");
    if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0)
      return Status::Error(std::string("cannot seek: ") + std::strerror(errno));
    read_ = static_cast<int64_t>(offset);
  }
  streamed_ = offset;
  line_no_ = line;
  skipping_ = partial;
  begin_ = end_ = scan_ = 0;
  break_at_ = kNoBreak;
  eof_ = false;
  return Status::Ok();
}

int64_t LineSource::position() const {
  if (size_ < 0) return -1;
  if (gz_) return read_;
  return read_ - static_cast<int64_t>(end_ - begin_);  // not yet handed out
}

size_t LineSource::FindBreak() const {
  if (break_at_ != kNoBreak && break_at_ >= scan_ && break_at_ < end_) return break_at_;
  const char* base = buf_.data();
  const void* nl = scan_ < end_ ? std::memchr(base + scan_, '\n', end_ - scan_) : nullptr;
  break_at_ = nl ? static_cast<size_t>(static_cast<const char*>(nl) - base) : kNoBreak;
  return break_at_;
}

bool LineSource::LineReady() const {
  if (eof_) return true;
  return FindBreak() != kNoBreak;
}

bool LineSource::TakeTick(Line& line) {
  if (!tick_) return false;
  tick_ = false;
  line = Line();
  line.tick = true;
  return true;
}

bool LineSource::Next(Line& line) {
  line = Line();  // nothing of the last one stays (a tick, above all)
  while (true) {
    char* base = buf_.data();
    const size_t nl = FindBreak();
    if (skipping_) {
      if (nl != kNoBreak) {
        begin_ = scan_ = nl + 1;
        skipping_ = false;
        continue;
      }
      begin_ = scan_ = end_;
      if (!Fill()) return TakeTick(line);
      continue;
    }
    size_t stop;
    bool have = false;
    if (nl != kNoBreak) {
      stop = nl;
      have = true;
    } else {
      scan_ = end_;
      if (end_ - begin_ > max_line_) {
        // Too long: report its head, skip the rest.
        ++line_no_;
        line.number = line_no_;
        line.too_long = true;
        line.text = std::string_view(base + begin_, max_line_);
        std::memset(base + end_, 0, kPadding);
        skipping_ = true;
        begin_ = scan_ = end_;
        line.end = streamed_;
        line.partial = true;
        return true;
      }
      if (Fill()) continue;
      if (TakeTick(line)) return true;  // a line begun stays in the buffer
      if (end_ == begin_) return false;
      stop = end_;  // last line without a line break
      have = true;
    }
    if (have) {
      ++line_no_;
      size_t len = stop - begin_;
      line.number = line_no_;
      line.too_long = len > max_line_;
      if (line.too_long) len = max_line_;
      std::string_view t(base + begin_, len);
      if (!line.too_long && !t.empty() && t.back() == '\r') t.remove_suffix(1);
      line.text = t;
      begin_ = scan_ = std::min(stop + 1, end_);
      if (stop == end_) begin_ = scan_ = end_;
      std::memset(base + end_, 0, kPadding);  // padding after the data is readable and zeroed
      line.end = streamed_ - (end_ - begin_);
      line.partial = false;
      return true;
    }
  }
}

}  // namespace strix::adapters
