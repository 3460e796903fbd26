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
#include <cstring>
#include <sstream>

#include "common/hash.h"

namespace strix::engine {

// cereal finds these by argument-dependent lookup.
template <class A>
void serialize(A& ar, EventRecord& r) {
  ar(r.raw, r.time, r.source, r.line, r.seq);
}
template <class A>
void serialize(A& ar, AggRecord& r) {
  ar(r.numbers, r.sum, r.min, r.max);
}
template <class A>
void serialize(A& ar, MatchRecord& r) {
  ar(r.pos, r.count, r.start, r.bound, r.aggs, r.distinct);
}
template <class A>
void serialize(A& ar, PartitionRecord& r) {
  ar(r.key_text, r.key_event, r.matches);
}
template <class A>
void serialize(A& ar, TimerRecord& r) {
  ar(r.deadline, r.seq, r.first, r.key_text);
}
template <class A>
void serialize(A& ar, RuleRecord& r) {
  ar(r.name, r.identity, r.partitions, r.timers);
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
     s.stats);
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

template <typename T>
std::string Encode(const T& value) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(value);
  }
  return os.str();
}

template <typename T>
bool Decode(std::string_view bytes, T& value) {
  try {
    std::istringstream is{std::string(bytes)};
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
  std::string payload = Encode(c);
  Header h;
  h.format = format;
  h.strix_version = strix_version;
  h.meaning_hash = MeaningHash(c.meaning);
  h.payload_size = payload.size();
  h.payload_crc = Crc(payload);
  std::string header = Encode(h);
  std::string out(kMagic, sizeof kMagic);
  PutLE(out, header.size(), 8);
  PutLE(out, Crc(header), 4);
  out += header;
  out += payload;
  return out;
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

Status StateDir::Write(const Checkpoint& c, const std::string& strix_version, size_t* bytes) {
  std::string data = EncodeCheckpoint(c, strix_version);
  char name[32];
  std::snprintf(name, sizeof name, "checkpoint-%010llu", static_cast<unsigned long long>(next_));
  std::string final_path = dir_ + "/" + name;
  std::string tmp = final_path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    return Status::Error("cannot write checkpoint '" + tmp + "': " + std::strerror(errno));
  size_t done = 0;
  int err = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      err = w < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<size_t>(w);
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
  if (bytes) *bytes = data.size();
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

}  // namespace strix::runtime
