// Checkpoint file tests: the encoding round-trips (and the randomized save/restore case runs
// through it), damaged, truncated, foreign and future files are refused with a reason, and the
// state directory falls back to the previous checkpoint when the newest does not read back.
#include "runtime/checkpoint.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "test/random_rules.h"

using namespace strix;

namespace {

runtime::Checkpoint Sample() {
  runtime::Checkpoint c;
  c.meaning = {{"--type-field", "type"}, {"--input", "a.jsonl"}};
  c.positions = {{1234, 17, false, true}};
  c.outputs = {{"out.jsonl", 999}};
  c.names = {"a.jsonl", "10.0.0.1:5000"};
  c.next_seq = 42;
  c.dead_counts = {{"bad json", 3}};
  engine::EngineSnapshot& s = c.engine;
  s.events.Add({"{\"type\":\"A\"}", 5, 0, 3, 2});
  engine::RuleRecord r;
  r.name = "r";
  r.identity = 77;
  r.key_text = {"\"k\"\n"};
  r.key_event = {0};
  r.matches = {1};
  r.pos = {1};
  r.count = {2};
  r.start = {5};
  r.bound = {2};
  r.aggs = {2};
  r.bound_term = {0, 1};
  r.bound_event = {0, 0};
  r.agg_numbers = {1};
  r.agg_sum = {2.5};
  r.agg_min = {-1};
  r.agg_max = {1e300};
  r.distinct_count = {2};
  r.distinct_at = {0, 1};
  r.timer_deadline = {10};
  r.timer_seq = {2};
  r.timer_partition = {0};
  s.rules.push_back(r);
  s.suppression.push_back({"r", 77, "\"k\"\n", 99});
  s.held.Add({"{}", 6, 0, 4, 3});
  s.seen_any = true;
  s.max_seen = 6;
  s.watermark = 1;
  s.stats.events_in = 5;
  s.stats.dropped_state = 1;
  return c;
}

std::string TempDir() {
  char tmpl[] = "/tmp/strix-ckpt-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  return tmpl;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
}

}  // namespace

TEST_CASE("a checkpoint reads back as written", "[checkpoint]") {
  runtime::Checkpoint c = Sample();
  std::string bytes = runtime::EncodeCheckpoint(c, "9.9.9");
  auto back = runtime::DecodeCheckpoint(bytes);
  REQUIRE(back.ok());
  CHECK(back->meaning == c.meaning);
  CHECK(back->positions[0].offset == 1234);
  CHECK(back->positions[0].line == 17);
  CHECK(back->positions[0].resumable);
  CHECK(back->outputs == c.outputs);
  CHECK(back->names == c.names);
  CHECK(back->next_seq == 42);
  CHECK(back->dead_counts == c.dead_counts);
  const engine::EngineSnapshot& s = back->engine;
  REQUIRE(s.rules.size() == 1);
  const engine::RuleRecord& r = s.rules[0];
  const engine::RuleRecord& w = c.engine.rules[0];
  CHECK(r.key_text == w.key_text);
  CHECK(r.bound_term == w.bound_term);
  CHECK(r.bound_event == w.bound_event);
  CHECK(r.aggs == w.aggs);
  CHECK(r.agg_max[0] == 1e300);
  CHECK(r.distinct_at == w.distinct_at);
  CHECK(r.timer_deadline[0] == 10);
  CHECK(r.timer_partition == w.timer_partition);
  CHECK(s.events.Get(0).raw == "{\"type\":\"A\"}");
  CHECK(s.events.Get(0).seq == 2);
  CHECK(s.suppression[0].until == 99);
  CHECK(s.held.Get(0).seq == 3);
  CHECK(s.watermark == 1);
  CHECK(s.stats.events_in == 5);
  CHECK(s.stats.dropped_state == 1);
}

TEST_CASE("damaged, truncated, foreign and newer checkpoints are refused with the reason",
          "[checkpoint]") {
  std::string bytes = runtime::EncodeCheckpoint(Sample(), "9.9.9");
  auto fails_with = [](const std::string& b, const std::string& why) {
    auto r = runtime::DecodeCheckpoint(b);
    INFO(why);
    REQUIRE(!r.ok());
    CHECK(r.message().find(why) != std::string::npos);
  };
  fails_with("", "not a strix checkpoint");
  fails_with("{\"type\":\"A\"}\n", "not a strix checkpoint");
  fails_with(bytes.substr(0, 24), "truncated (header)");
  fails_with(bytes.substr(0, bytes.size() - 1), "truncated");
  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 0x40;
  fails_with(flipped, "damaged (payload checksum)");
  std::string bad_header = bytes;
  bad_header[22] ^= 0x01;
  fails_with(bad_header, "damaged (header checksum)");
  fails_with(runtime::EncodeCheckpoint(Sample(), "7.0.0", runtime::kCheckpointFormat + 1),
             "(written by strix 7.0.0), this strix reads format");
  // Every truncation point is refused, none crashes.
  for (size_t n = 0; n < bytes.size(); n += 7)
    CHECK(!runtime::DecodeCheckpoint(bytes.substr(0, n)).ok());
}

TEST_CASE("the state directory falls back to the previous checkpoint and keeps two",
          "[checkpoint]") {
  std::string dir = TempDir();
  {
    auto d = runtime::StateDir::Open(dir);
    REQUIRE(d.ok());
    // A second strix on the same directory is refused.
    auto other = runtime::StateDir::Open(dir);
    REQUIRE(!other.ok());
    CHECK(other.message().find("in use by another strix") != std::string::npos);
    std::vector<std::string> notes;
    auto none = (*d)->LoadLatest(notes);
    REQUIRE(none.ok());
    CHECK(!none->has_value());
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      runtime::Checkpoint c = Sample();
      c.next_seq = seq;
      size_t bytes = 0;
      REQUIRE((*d)->Write(c, "9.9.9", &bytes).ok());
      CHECK(bytes > 0);
    }
    auto latest = (*d)->LoadLatest(notes);
    REQUIRE(latest.ok());
    CHECK((*latest)->next_seq == 3);
    CHECK(notes.empty());
  }
  // Two are kept; a torn newest one gives way to the one before, with a note.
  CHECK(access((dir + "/checkpoint-0000000001").c_str(), F_OK) != 0);
  WriteFile(dir + "/checkpoint-0000000003", "STRIXCKP torn");
  {
    auto d = runtime::StateDir::Open(dir);
    REQUIRE(d.ok());
    std::vector<std::string> notes;
    auto latest = (*d)->LoadLatest(notes);
    REQUIRE(latest.ok());
    CHECK((*latest)->next_seq == 2);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].find("checkpoint-0000000003") != std::string::npos);
    CHECK(notes[0].find("using the one before it") != std::string::npos);
  }
  // When none reads back: an error, not an empty start.
  WriteFile(dir + "/checkpoint-0000000002", "garbage");
  {
    auto d = runtime::StateDir::Open(dir);
    REQUIRE(d.ok());
    std::vector<std::string> notes;
    auto latest = (*d)->LoadLatest(notes);
    REQUIRE(!latest.ok());
    CHECK(latest.message().find("--state-reset") != std::string::npos);
    REQUIRE((*d)->Reset().ok());
    auto none = (*d)->LoadLatest(notes);
    REQUIRE(none.ok());
    CHECK(!none->has_value());
  }
  std::remove((dir + "/lock").c_str());
  rmdir(dir.c_str());
}

TEST_CASE("save and restore through the checkpoint file equals one uninterrupted run",
          "[checkpoint][differential]") {
  auto through_file = [](const engine::EngineSnapshot& s) {
    runtime::Checkpoint c;
    c.engine = s;
    auto back = runtime::DecodeCheckpoint(runtime::EncodeCheckpoint(c, "test"));
    REQUIRE(back.ok());
    return back->engine;
  };
  for (uint64_t seed = 1000; seed < 1100; ++seed) {
    test::RestoreCaseResult r = test::RestoreCase(seed, through_file);
    INFO(r.mismatch);
    REQUIRE(r.mismatch.empty());
  }
}

TEST_CASE("the checkpoint writer thread writes while the caller captures the next one",
          "[checkpoint][threads]") {
  std::string dir = TempDir();
  {
    auto d = runtime::StateDir::Open(dir);
    REQUIRE(d.ok());
    runtime::CheckpointWriter w(**d, "9.9.9");
    runtime::Checkpoint c = Sample();
    std::string out_path = dir + "/out";
    FILE* out = std::fopen(out_path.c_str(), "wb");
    REQUIRE(out != nullptr);
    uint64_t written = 0;
    for (uint64_t seq = 1; seq <= 20; ++seq) {
      std::fputs("line\n", out);
      std::fflush(out);
      c.next_seq = seq;
      c.outputs = {{out_path, ++written * 5}};
      w.Submit(c, {fileno(out)});  // c comes back as an earlier checkpoint, to fill again
      size_t bytes = 0;
      if (seq % 3 == 0) REQUIRE(w.Wait(&bytes).ok());
    }
    size_t bytes = 0;
    double secs = -1;
    REQUIRE(w.Wait(&bytes, &secs).ok());
    CHECK(bytes > 0);
    CHECK(secs >= 0);
    std::fclose(out);
    std::vector<std::string> notes;
    auto latest = (*d)->LoadLatest(notes);
    REQUIRE(latest.ok());
    CHECK((*latest)->next_seq == 20);
    CHECK((*latest)->outputs[0].second == 100);
    std::remove(out_path.c_str());
  }
  for (const char* f : {"/lock", "/checkpoint-0000000019", "/checkpoint-0000000020"})
    std::remove((dir + f).c_str());
  rmdir(dir.c_str());
}
