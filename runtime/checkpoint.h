// Checkpoint: what a restart needs (CLI.md "State: checkpoints and restarts"), its file format
// and the state directory. Stage: runtime (state). Interface: Checkpoint, EncodeCheckpoint(),
// DecodeCheckpoint(), StateDir.
//
// File format (one file per checkpoint, DIR/checkpoint-NNNNNNNNNN):
//   "STRIXCKP"                                   8 bytes
//   header length, header CRC-32                 u64, u32, little-endian
//   header: format version, strix version, hash of the options that change meaning,
//           payload length, payload CRC-32       (cereal portable binary)
//   payload: the Checkpoint                      (cereal portable binary)
// cereal (Debian libcereal-dev, header-only) writes the records; it has no schema compiler and
// its portable archive fixes byte order. The CRCs (zlib) catch a torn or damaged file; a newer
// format version or another magic is refused by name.
// A checkpoint is written to a temporary file, fsync'd, renamed into place and the directory
// fsync'd: a crash at any moment leaves the previous checkpoint whole. The two newest are
// kept; when the newest does not read back, the one before it is used (and that is said).
// A lock file (flock) keeps a second strix off the same directory.
// Covered by test/checkpoint_test.cc and test/state_cli_test.sh.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/snapshot.h"

namespace strix::runtime {

constexpr uint32_t kCheckpointFormat = 2;  // 2: table rows

// Where reading an input resumes: after `line` lines, at byte `offset` of its stream (for .gz,
// of the decompressed stream). `partial`: inside a too-long line whose rest is skipped.
struct InputPosition {
  uint64_t offset = 0, line = 0;
  bool partial = false;
  bool resumable = false;  // a file (standard input and TCP cannot be read again)
};

struct Checkpoint {
  // The options that change what the state means, as (option, value): fields, clock, inputs,
  // outputs. A restart with others is refused, naming the first that differs.
  std::vector<std::pair<std::string, std::string>> meaning;
  std::vector<InputPosition> positions;                       // per input, as given
  std::vector<std::pair<std::string, uint64_t>> outputs;      // file outputs and their lengths
  std::vector<std::string> names;                             // source names: inputs, TCP peers
  uint64_t next_seq = 0;                                      // the next event's input order
  std::vector<std::pair<std::string, uint64_t>> dead_counts;  // dead letters by reason
  engine::EngineSnapshot engine;
};

uint64_t MeaningHash(const std::vector<std::pair<std::string, std::string>>& meaning);
// `format` other than kCheckpointFormat only in tests (a file from a newer strix).
std::string EncodeCheckpoint(const Checkpoint& c, const std::string& strix_version,
                             uint32_t format = kCheckpointFormat);
// The same into `out` (replaced; its memory reused).
void EncodeCheckpointInto(const Checkpoint& c, const std::string& strix_version, std::string& out,
                          uint32_t format = kCheckpointFormat);
// An error says what is wrong (not a checkpoint, damaged, newer format).
Result<Checkpoint> DecodeCheckpoint(std::string_view bytes);

class StateDir {
 public:
  // Creates DIR when missing and locks it.
  static Result<std::unique_ptr<StateDir>> Open(const std::string& dir);
  ~StateDir();
  // The newest checkpoint that reads back whole (nullopt: none). A damaged newer one is
  // passed over with a note; when every checkpoint is damaged, an error.
  Result<std::optional<Checkpoint>> LoadLatest(std::vector<std::string>& notes);
  // Writes the next checkpoint atomically (encoded straight into the file) and drops all but
  // the newest two; `bytes` is its size.
  Status Write(const Checkpoint& c, const std::string& strix_version, size_t* bytes);
  // Removes every checkpoint (--state-reset).
  Status Reset();
  const std::string& path() const { return dir_; }

 private:
  StateDir() = default;
  std::vector<std::pair<uint64_t, std::string>> List() const;  // (number, path), newest first
  std::string dir_;
  int lock_fd_ = -1;
  uint64_t next_ = 1;
};

// Encodes and writes checkpoints on a thread of its own, so that the run goes on while they
// reach the disk. One write is in flight at a time: first the given files are fsync'd (the
// outputs whose lengths the checkpoint records), then StateDir::Write. Not thread-safe
// itself: one caller.
class CheckpointWriter {
 public:
  CheckpointWriter(StateDir& dir, const std::string& strix_version);
  ~CheckpointWriter();  // waits for the write in flight
  bool busy() const;
  // Starts writing `c` (swapped out: `c` gets the checkpoint of an earlier write back, whose
  // memory the next capture reuses); waits for the write in flight first. `complete`, when
  // given, is called on the writer's thread with `c.engine` first (Engine::CompleteCapture).
  void Submit(Checkpoint& c, std::vector<int> sync_fds,
              std::function<void(engine::EngineSnapshot&)> complete = nullptr);
  // Waits for the write in flight (if any) and returns how it went; `bytes` and `seconds` of
  // that write when it succeeded (0 when nothing was written since the last Wait()).
  Status Wait(size_t* bytes = nullptr, double* seconds = nullptr);
  // Waits for the write in flight, then lets go of the events its checkpoint referred to (the
  // engine they belong to is about to go: a reload).
  void Release();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strix::runtime
