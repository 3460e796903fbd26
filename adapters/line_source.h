// LineSource: reads one input (standard input, a file, a .jsonl.gz file) as lines.
// Stage: adapters (sources). Interface: Open(), Next(). Lines are views into an internal
// buffer, valid until the next call, and always followed by at least kPadding readable bytes
// (simdjson's requirement). A line longer than max_line is reported once as too long (with
// its first max_line bytes) and the rest of it is skipped, so an endless line never holds
// more than max_line bytes in memory. Covered by test/adapters_test.cc.
#pragma once

#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace strix::adapters {

constexpr size_t kPadding = 64;  // >= SIMDJSON_PADDING
// The largest --max-line: 1 GiB (a line is held whole in memory, twice while the buffer moves).
constexpr size_t kMaxLineLimit = size_t{1} << 30;

struct Line {
  std::string_view text;    // without the line break (and without a trailing '\r')
  uint64_t number = 0;      // from 1 (within the connection, for TCP)
  bool too_long = false;    // text then holds the first max_line bytes
  std::string_view origin;  // for identities and dead letters: the TCP peer; empty for files
  uint32_t input = 0;       // which input (MergedSource); 0 for a single source
  // Where reading resumes after this line (checkpoints): byte offset in the input's stream
  // (for .gz, the decompressed stream), and whether that is inside a too-long line whose rest
  // is being skipped. 0 for TCP.
  uint64_t end = 0;
  bool partial = false;
  // From a source whose parts have watermarks of their own (a Kafka partition: origin).
  bool partitioned = false;
  // No line: the source has been waiting a while (the run may flush, let idle parts go).
  bool tick = false;
  // No line: the part named by `origin` was assigned to this run, or taken away (Kafka).
  bool assigned = false, revoked = false;
};

// A line copied out of a source's buffer, for hand-over queues between threads (TCP clients,
// several inputs): `text` holds the line followed by kPadding bytes.
struct OwnedLine {
  std::string text;
  size_t size = 0;
  std::string origin;
  uint64_t number = 0;
  uint32_t input = 0;
  bool too_long = false;
  uint64_t end = 0;
  bool partial = false;
  bool partitioned = false;
  bool tick = false;
  bool assigned = false, revoked = false;

  // Copies `line` (its text padded), keeping its number, origin and input.
  static OwnedLine From(const Line& line);
  // The view that Source::Next() hands out; valid while this OwnedLine lives unchanged.
  Line View() const {
    Line l;
    l.text = std::string_view(text.data(), size);
    l.number = number;
    l.too_long = too_long;
    l.origin = origin;
    l.input = input;
    l.end = end;
    l.partial = partial;
    l.partitioned = partitioned;
    l.tick = tick;
    l.assigned = assigned;
    l.revoked = revoked;
    return l;
  }
};

// What `run` reads from: a file or standard input (LineSource), or a TCP listener
// (TcpSource, tcp_source.h). Lines are valid until the next call of Next().
class Source {
 public:
  virtual ~Source() = default;
  // False at the end of the input (or on a read error, see error(), or when stopped).
  virtual bool Next(Line& line) = 0;
  // True when Next() can return without waiting.
  virtual bool LineReady() const = 0;
  virtual int64_t position() const { return -1; }
  virtual int64_t size() const { return -1; }
  virtual const std::string& error() const = 0;
  // Files can be read again from a position (Line::end); standard input and TCP cannot.
  virtual bool resumable() const { return false; }
  virtual Status Resume(uint64_t offset, uint64_t line, bool partial) {
    return Status::Error("cannot resume this input");
  }
  // Everything handed out so far is matched and its output flushed: a source that can
  // acknowledge (Kafka offsets) does so now.
  virtual void Durable() {}
};

// What an input may hold in memory (CLI.md options --max-line, --max-queued, --max-connections).
struct SourceLimits {
  size_t max_line = size_t{1} << 20;     // bytes of one line
  size_t max_queued = size_t{64} << 20;  // bytes of lines waiting for the matcher (TCP)
  size_t max_connections = 256;          // TCP clients connected at once
};

struct KafkaConfig;  // kafka.h
// Opens "-", a file, a .gz file, "tcp://HOST:PORT" (listens) or "kafka://BROKERS/TOPICS"
// (joins `kafka`'s consumer group).
Result<std::unique_ptr<Source>> OpenSource(const std::string& name, const SourceLimits& limits,
                                           const std::atomic<bool>* stop, const KafkaConfig& kafka);

class LineSource : public Source {
 public:
  // `name` as written on the command line: "-" is standard input; a name ending in ".gz"
  // is read through zlib.
  // When `stop` is given and becomes true, a read interrupted by a signal ends the input.
  static Result<std::unique_ptr<LineSource>> Open(const std::string& name, size_t max_line,
                                                  const std::atomic<bool>* stop = nullptr);
  ~LineSource();

  // False at the end of the input (or on a read error, see error()).
  bool Next(Line& line) override;
  // True when Next() can return without reading: a whole line is buffered, or the input ended.
  // A caller that batches work flushes it when this turns false (live input may go idle).
  bool LineReady() const override;
  // Continues reading at byte `offset` of the stream (for .gz, of the decompressed stream) as
  // if `line` lines had been read, inside a too-long line when `partial` (checkpoint restore).
  // Only for files, before the first Next(); an error when the input is shorter than that.
  Status Resume(uint64_t offset, uint64_t line, bool partial) override;
  bool resumable() const override { return size_ >= 0; }
  // Bytes of the file handed out as lines so far (for .gz: compressed bytes read) and its
  // size; -1 when unknown (pipes, sockets). For progress reports; no system call.
  int64_t position() const override;
  int64_t size() const override { return size_; }
  const std::string& error() const override { return error_; }

 private:
  LineSource(size_t max_line) : max_line_(max_line) {}
  long Read(char* dst, size_t n);
  bool Fill();  // reads more into the buffer; false at end of input

  const std::atomic<bool>* stop_ = nullptr;
  int fd_ = -1;
  bool own_fd_ = false;
  gzFile gz_ = nullptr;
  size_t max_line_;
  size_t max_cap_ = 0;  // the buffer's largest size: twice the longest line, and padding
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0, scan_ = 0;
  // The first line break at or after scan_, once LineReady() or Next() found it (the run asks
  // LineReady() after every line; the line after is then found once, not three times):
  // kNoBreak when not known. Good while scan_ <= it < end_; compaction forgets it.
  static constexpr size_t kNoBreak = SIZE_MAX;
  mutable size_t break_at_ = kNoBreak;
  // Where the first line break in [scan_, end_) is, from break_at_ when known; kNoBreak when
  // there is none.
  size_t FindBreak() const;
  bool eof_ = false;
  int64_t size_ = -1;      // of a regular file
  int64_t read_ = 0;       // bytes read from the file (or zlib's compressed offset)
  uint64_t streamed_ = 0;  // bytes of the stream put into the buffer (decompressed for .gz)
  bool skipping_ = false;  // inside the unread rest of a too-long line
  // A pipe or terminal with nothing for a second: Next() hands out a tick (the run flushes,
  // takes over reloaded rules, publishes metrics) and reading goes on after it.
  bool tick_ = false;
  bool TakeTick(Line& line);
  uint64_t line_no_ = 0;
  std::string error_;
};

}  // namespace strix::adapters
