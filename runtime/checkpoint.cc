// Checkpoint files and the state directory (see checkpoint.h).
#include "runtime/checkpoint.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <istream>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <thread>

#include "common/hash.h"

namespace strix::engine {

// cereal finds these by argument-dependent lookup. Columns of numbers are written in bulk.
// Written from the referenced events when there are any (the same bytes as the columns would give:
// a size, then the elements), read back as columns.
template <class A>
void save(A& ar, const EventColumns& c) {
  if (c.refs.empty()) {
    ar(c.text, c.ends, c.time, c.source, c.line, c.seq);
    return;
  }
  const size_t n = c.refs.size();
  auto ev = [&](size_t i) -> const EventHead& { return c.refs[i]->head; };
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) total += ev(i).raw.size();
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(total)));
  for (size_t i = 0; i < n; ++i) ar(cereal::binary_data(ev(i).raw.data(), ev(i).raw.size()));
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(n)));
  uint64_t end = 0;
  for (size_t i = 0; i < n; ++i) {
    end += ev(i).raw.size();
    ar(end);
  }
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(n)));
  for (size_t i = 0; i < n; ++i) ar(static_cast<int64_t>(ev(i).time));
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(n)));
  for (size_t i = 0; i < n; ++i) ar(static_cast<uint32_t>(ev(i).source));
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(n)));
  for (size_t i = 0; i < n; ++i) ar(static_cast<uint64_t>(ev(i).line));
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(n)));
  for (size_t i = 0; i < n; ++i) ar(static_cast<uint64_t>(ev(i).seq));
}
template <class A>
void load(A& ar, EventColumns& c) {
  ar(c.text, c.ends, c.time, c.source, c.line, c.seq);
}
template <class A>
void serialize(A& ar, RuleRecord& r) {
  ar(r.name, r.identity, r.key_text, r.key_event, r.matches, r.pos, r.count, r.start, r.bound,
     r.aggs, r.bound_term, r.bound_event, r.agg_numbers, r.agg_sum, r.agg_min, r.agg_max,
     r.distinct_count, r.distinct_at, r.timer_deadline, r.timer_seq, r.timer_partition);
}
template <class A>
void serialize(A& ar, SuppressionRecord& r) {
  ar(r.rule, r.identity, r.key, r.until);
}
template <class A>
void serialize(A& ar, RunStats& s) {
  ar(s.events_in, s.matched, s.emitted, s.late, s.future, s.rejected, s.suppressed,
     s.dropped_partial, s.dropped_state);
}
template <class A>
void serialize(A& ar, EngineSnapshot& s) {
  ar(s.events, s.rules, s.suppression, s.held, s.seen_any, s.max_seen, s.watermark, s.timers_before,
     s.stats, s.tables.names, s.tables.rows, s.tables.table_of_row);
}

}  // namespace strix::engine

namespace strix::runtime {

template <class A>
void serialize(A& ar, InputPosition& p) {
  ar(p.offset, p.line, p.partial, p.resumable);
}
template <class A>
void serialize(A& ar, Checkpoint& c) {
  ar(c.meaning, c.positions, c.outputs, c.names, c.next_seq, c.dead_counts, c.engine);
}

namespace {

constexpr char kMagic[8] = {'S', 'T', 'R', 'I', 'X', 'C', 'K', 'P'};

struct Header {
  uint32_t format = kCheckpointFormat;
  std::string strix_version;
  uint64_t meaning_hash = 0;
  uint64_t payload_size = 0;
  uint32_t payload_crc = 0;
  template <class A>
  void serialize(A& ar) {
    ar(format, strix_version, meaning_hash, payload_size, payload_crc);
  }
};

uint32_t Crc(std::string_view s) {
  uLong c = crc32(0L, Z_NULL, 0);
  // zlib takes at most 4 GiB at once.
  for (size_t at = 0; at < s.size(); at += size_t{1} << 30) {
    size_t n = std::min(s.size() - at, size_t{1} << 30);
    c = crc32(c, reinterpret_cast<const Bytef*>(s.data() + at), static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(c);
}

void PutLE(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLE(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint64_t(static_cast<unsigned char>(in[at + static_cast<size_t>(i)])) << (8 * i);
  return v;
}

// Stream buffers over strings, so that cereal writes and reads in place (no stringstream copies).
class AppendBuf : public std::streambuf {
 public:
  explicit AppendBuf(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_.push_back(static_cast<char>(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string& out_;
};

class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(std::string_view in) {
    char* b = const_cast<char*>(in.data());  // only read
    setg(b, b, b + in.size());
  }
};

template <typename T>
void EncodeInto(const T& value, std::string& out) {
  AppendBuf buf(out);
  std::ostream os(&buf);
  cereal::PortableBinaryOutputArchive ar(os);
  ar(value);
}

template <typename T>
bool Decode(std::string_view bytes, T& value) {
  try {
    ViewBuf buf(bytes);
    std::istream is(&buf);
    cereal::PortableBinaryInputArchive ar(is);
    ar(value);
    return true;
  } catch (const std::exception&) {  // cereal throws on truncated or malformed input
    return false;
  }
}

Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return Status::Error("cannot open '" + path + "': " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::Error("cannot sync '" + path + "': " + std::strerror(err));
  return Status::Ok();
}

}  // namespace

uint64_t MeaningHash(const std::vector<std::pair<std::string, std::string>>& meaning) {
  std::string all;
  for (const auto& [k, v] : meaning) all += k + "\n" + v + "\n";
  return HashBytes(all);
}

std::string EncodeCheckpoint(const Checkpoint& c, const std::string& strix_version,
                             uint32_t format) {
  std::string out;
  EncodeCheckpointInto(c, strix_version, out, format);
  return out;
}

void EncodeCheckpointInto(const Checkpoint& c, const std::string& strix_version, std::string& out,
                          uint32_t format) {
  // The payload first, at its place after a header of known size: one buffer, no copies.
  Header h;
  h.format = format;
  h.strix_version = strix_version;
  h.meaning_hash = MeaningHash(c.meaning);
  std::string header_probe;
  EncodeInto(h, header_probe);  // fixed-size fields: its size does not depend on the values
  const size_t payload_at = sizeof kMagic + 12 + header_probe.size();
  out.assign(payload_at, '\0');
  EncodeInto(c, out);
  std::string_view payload = std::string_view(out).substr(payload_at);
  h.payload_size = payload.size();
  h.payload_crc = Crc(payload);
  std::string header;
  EncodeInto(h, header);
  std::string prefix(kMagic, sizeof kMagic);
  PutLE(prefix, header.size(), 8);
  PutLE(prefix, Crc(header), 4);
  prefix += header;
  out.replace(0, payload_at, prefix);  // same size: in place
}

Result<Checkpoint> DecodeCheckpoint(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic + 12 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return Status::Error("not a strix checkpoint");
  uint64_t header_size = GetLE(bytes, 8, 8);
  uint32_t header_crc = static_cast<uint32_t>(GetLE(bytes, 16, 4));
  const size_t header_at = 20;
  if (header_size > bytes.size() - header_at) return Status::Error("truncated (header)");
  std::string_view header_bytes = bytes.substr(header_at, header_size);
  Header h;
  if (Crc(header_bytes) != header_crc || !Decode(header_bytes, h))
    return Status::Error("damaged (header checksum)");
  if (h.format != kCheckpointFormat) {
    return Status::Error("format " + std::to_string(h.format) + " (written by strix " +
                         h.strix_version + "), this strix reads format " +
                         std::to_string(kCheckpointFormat));
  }
  std::string_view payload = bytes.substr(header_at + header_size);
  if (payload.size() != h.payload_size) {
    return Status::Error("truncated (" + std::to_string(payload.size()) + " of " +
                         std::to_string(h.payload_size) + " payload bytes)");
  }
  if (Crc(payload) != h.payload_crc) return Status::Error("damaged (payload checksum)");
  Checkpoint c;
  if (!Decode(payload, c)) return Status::Error("damaged (payload does not decode)");
  if (MeaningHash(c.meaning) != h.meaning_hash) return Status::Error("damaged (options hash)");
  return c;
}

Result<std::unique_ptr<StateDir>> StateDir::Open(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    return Status::Error("cannot create state directory '" + dir + "': " + std::strerror(errno));
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Status::Error("state directory '" + dir + "' is not a directory");
  std::unique_ptr<StateDir> d(new StateDir());
  d->dir_ = dir;
  std::string lock = dir + "/lock";
  d->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (d->lock_fd_ < 0) return Status::Error("cannot open '" + lock + "': " + std::strerror(errno));
  if (::flock(d->lock_fd_, LOCK_EX | LOCK_NB) != 0)
    return Status::Error("state directory '" + dir + "' is in use by another strix");
  // Temporary files of a checkpoint that a crash interrupted are of no use.
  if (DIR* dd = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(dd)) {
      std::string_view n(e->d_name);
      if (n.rfind("checkpoint-", 0) == 0 && n.size() > 4 && n.substr(n.size() - 4) == ".tmp")
        ::unlink((dir + "/" + std::string(n)).c_str());
    }
    ::closedir(dd);
  }
  auto all = d->List();
  if (!all.empty()) d->next_ = all.front().first + 1;
  return d;
}

StateDir::~StateDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

std::vector<std::pair<uint64_t, std::string>> StateDir::List() const {
  std::vector<std::pair<uint64_t, std::string>> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string_view n(e->d_name);
    constexpr std::string_view kPrefix = "checkpoint-";
    if (n.substr(0, kPrefix.size()) != kPrefix) continue;
    std::string_view digits = n.substr(kPrefix.size());
    if (digits.empty() || digits.size() > 19 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;  // temporary files and strangers
    out.emplace_back(std::stoull(std::string(digits)), dir_ + "/" + std::string(n));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

Result<std::optional<Checkpoint>> StateDir::LoadLatest(std::vector<std::string>& notes) {
  auto all = List();
  if (all.empty()) return std::optional<Checkpoint>();
  std::string why;
  for (const auto& [number, path] : all) {
    std::string bytes;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
      why = "cannot open '" + path + "': " + std::strerror(errno);
    } else {
      char buf[1 << 16];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, n);
      std::fclose(f);
      auto c = DecodeCheckpoint(bytes);
      if (c.ok()) return std::optional<Checkpoint>(std::move(*c));
      why = "checkpoint '" + path + "' " + c.message();
      // A newer format is not damage: refuse rather than fall back to an older state.
      if (c.message().rfind("format ", 0) == 0) return Status::Error(why);
    }
    notes.push_back(why + "; using the one before it");
  }
  notes.pop_back();
  return Status::Error(why +
                       ", and no earlier checkpoint reads back (--state-reset starts "
                       "afresh)");
}

namespace {

// Writes to a file descriptor through a 1 MiB buffer, keeping the CRC-32 and the count of what
// passed; remembers the first error.
class FileBuf : public std::streambuf {
 public:
  explicit FileBuf(int fd) : fd_(fd), buf_(size_t{1} << 20), crc_(crc32(0L, Z_NULL, 0)) {
    setp(buf_.data(), buf_.data() + buf_.size());
  }
  bool Finish() { return Drain() && err_ == 0; }
  int error() const { return err_; }
  uint64_t count() const { return count_; }
  uint32_t crc() const { return static_cast<uint32_t>(crc_); }
  void Counting(bool on) { counting_ = on; }  // the payload is checksummed, the prefix not

 protected:
  int_type overflow(int_type c) override {
    if (!Drain()) return traits_type::eof();
    if (c != traits_type::eof()) {
      *pptr() = static_cast<char>(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return Drain() ? 0 : -1; }

 private:
  bool Drain() {
    size_t n = static_cast<size_t>(pptr() - pbase());
    if (n > 0 && counting_) {
      crc_ = crc32(crc_, reinterpret_cast<const Bytef*>(pbase()), static_cast<uInt>(n));
      count_ += n;
    }
    size_t done = 0;
    while (done < n && err_ == 0) {
      ssize_t w = ::write(fd_, pbase() + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) err_ = w < 0 ? errno : ENOSPC;
      if (w > 0) done += static_cast<size_t>(w);
    }
    setp(buf_.data(), buf_.data() + buf_.size());
    return err_ == 0;
  }
  int fd_;
  std::vector<char> buf_;
  uLong crc_;
  uint64_t count_ = 0;
  bool counting_ = true;
  int err_ = 0;
};

}  // namespace

Status StateDir::Write(const Checkpoint& c, const std::string& strix_version, size_t* bytes) {
  // Streamed into the file: a placeholder prefix of the header's (fixed) size, the payload
  // (checksummed on the way), then the real prefix written over the placeholder.
  char name[32];
  std::snprintf(name, sizeof name, "checkpoint-%010llu", static_cast<unsigned long long>(next_));
  std::string final_path = dir_ + "/" + name;
  std::string tmp = final_path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    return Status::Error("cannot write checkpoint '" + tmp + "': " + std::strerror(errno));
  Header h;
  h.strix_version = strix_version;
  h.meaning_hash = MeaningHash(c.meaning);
  std::string header;
  EncodeInto(h, header);
  const size_t prefix_size = sizeof kMagic + 12 + header.size();
  int err = 0;
  uint64_t payload_size = 0;
  {
    FileBuf fb(fd);
    fb.Counting(false);
    std::ostream os(&fb);
    os.write(std::string(prefix_size, '\0').data(), static_cast<std::streamsize>(prefix_size));
    os.flush();
    fb.Counting(true);
    try {
      cereal::PortableBinaryOutputArchive ar(os);
      ar(c);
    } catch (const std::exception&) {  // cereal throws when the stream fails (full disk)
      if (fb.error() == 0) err = EIO;
    }
    if (!fb.Finish() || fb.error() != 0) err = fb.error() ? fb.error() : EIO;
    h.payload_size = payload_size = fb.count();
    h.payload_crc = fb.crc();
  }
  if (err == 0) {
    header.clear();
    EncodeInto(h, header);
    std::string prefix(kMagic, sizeof kMagic);
    PutLE(prefix, header.size(), 8);
    PutLE(prefix, Crc(header), 4);
    prefix += header;
    if (prefix.size() != prefix_size ||
        ::pwrite(fd, prefix.data(), prefix.size(), 0) != static_cast<ssize_t>(prefix.size()))
      err = errno ? errno : EIO;
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err == 0 && ::rename(tmp.c_str(), final_path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return Status::Error("cannot write checkpoint '" + final_path + "': " + std::strerror(err) +
                         " (the previous checkpoint stays)");
  }
  if (Status s = SyncPath(dir_, O_RDONLY | O_DIRECTORY); !s.ok()) return s;
  ++next_;
  if (bytes) *bytes = prefix_size + payload_size;
  auto all = List();
  for (size_t i = 2; i < all.size(); ++i) ::unlink(all[i].second.c_str());
  return Status::Ok();
}

Status StateDir::Reset() {
  for (const auto& [number, path] : List()) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return Status::Error("cannot remove '" + path + "': " + std::strerror(errno));
  }
  return Status::Ok();
}

struct CheckpointWriter::Impl {
  StateDir& dir;
  std::string version;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false, pending = false;
  Checkpoint data;
  std::vector<int> fds;
  std::function<void(engine::EngineSnapshot&)> complete;
  Status result = Status::Ok();
  size_t result_bytes = 0;
  double result_seconds = 0;
  std::thread thread;

  Impl(StateDir& d, std::string v) : dir(d), version(std::move(v)) {
    thread = std::thread([this] { Loop(); });
  }
  void Loop() {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      cv.wait(lock, [this] { return stop || pending; });
      if (!pending) return;
      lock.unlock();
      auto t0 = std::chrono::steady_clock::now();
      Status s = Status::Ok();
      try {
        if (complete) complete(data.engine);
      } catch (const std::exception& e) {  // out of memory: a failed checkpoint, not a crash
        s = Status::Error(std::string("cannot capture a checkpoint: ") + e.what() +
                          " (the previous checkpoint stays)");
      }
      complete = nullptr;
      for (int fd : fds) {
        if (::fsync(fd) != 0 && s.ok())
          s = Status::Error(std::string("cannot sync an output: ") + std::strerror(errno) +
                            " (the previous checkpoint stays)");
      }
      size_t bytes = 0;
      try {
        if (s.ok()) s = dir.Write(data, version, &bytes);
        data.engine.ReleaseEvents();  // written: the run need not free them at its next capture
      } catch (const std::exception& e) {  // out of memory: a failed checkpoint, not a crash
        s = Status::Error(std::string("cannot write checkpoint: ") + e.what() +
                          " (the previous checkpoint stays)");
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      lock.lock();
      result = s;
      result_bytes = bytes;
      result_seconds = secs;
      pending = false;
      cv.notify_all();
    }
  }
};

CheckpointWriter::CheckpointWriter(StateDir& dir, const std::string& strix_version)
    : impl_(new Impl(dir, strix_version)) {}

CheckpointWriter::~CheckpointWriter() {
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->cv.wait(lock, [this] { return !impl_->pending; });
    impl_->stop = true;
  }
  impl_->cv.notify_all();
  impl_->thread.join();
}

bool CheckpointWriter::busy() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->pending;
}

void CheckpointWriter::Submit(Checkpoint& c, std::vector<int> sync_fds,
                              std::function<void(engine::EngineSnapshot&)> complete) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait(lock, [this] { return !impl_->pending; });
  std::swap(impl_->data, c);  // the caller gets the finished write's checkpoint back
  impl_->fds = std::move(sync_fds);
  impl_->complete = std::move(complete);
  impl_->pending = true;
  impl_->cv.notify_all();
}

Status CheckpointWriter::Wait(size_t* bytes, double* seconds) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait(lock, [this] { return !impl_->pending; });
  Status s = impl_->result;
  if (s.ok() && bytes) *bytes = impl_->result_bytes;
  if (s.ok() && seconds) *seconds = impl_->result_seconds;
  impl_->result = Status::Ok();
  impl_->result_bytes = 0;
  impl_->result_seconds = 0;
  return s;
}

void CheckpointWriter::Release() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait(lock, [this] { return !impl_->pending; });
  impl_->data.engine.Clear();
}

}  // namespace strix::runtime
