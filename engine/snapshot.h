// EngineSnapshot: everything an Engine knows, as plain records, for checkpoints (CLI.md
// "State: checkpoints and restarts"). Stage: engine (state). Interface: Engine::Save(),
// Engine::Restore(); runtime/checkpoint.* writes and reads the records.
// State is keyed, never per worker: partitions by rule and key text, so a snapshot taken with
// one --threads count restores under another. Rules are named with their identity (a hash of
// the rule's text with `let`s expanded): a rule whose identity changed starts empty. Events
// are kept once each, as their raw line, time and position; a restore decodes them again with
// the current program (whose field slots may differ).
// Covered by test/snapshot_test.cc.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/complex_event.h"

namespace strix::engine {

struct EventRecord {
  std::string raw;
  int64_t time = 0;
  uint32_t source = 0;
  uint64_t line = 0, seq = 0;
};

struct AggRecord {
  uint32_t numbers = 0;
  double sum = 0, min = 0, max = 0;
};

struct MatchRecord {
  uint32_t pos = 0, count = 0;
  int64_t start = 0;
  std::vector<std::pair<uint32_t, uint64_t>> bound;  // (term, event index)
  std::vector<AggRecord> aggs;                       // empty: none allocated
  // Per aggregate input with distinct(): the positions in `bound` holding its distinct
  // values (their hashes are computed again on restore). Empty: none allocated.
  std::vector<std::vector<uint32_t>> distinct;
};

struct PartitionRecord {
  std::string key_text;
  uint64_t key_event = 0;
  std::vector<MatchRecord> matches;  // creation order
};

struct TimerRecord {
  int64_t deadline = 0;
  uint64_t seq = 0;
  uint64_t first = UINT64_MAX;  // event index; UINT64_MAX: its matches are gone
  std::string key_text;         // the partition
};

struct RuleRecord {
  std::string name;
  uint64_t identity = 0;
  std::vector<PartitionRecord> partitions;
  std::vector<TimerRecord> timers;  // in (deadline, seq) order
};

struct SuppressionRecord {
  std::string rule;
  uint64_t identity = 0;
  std::string key;  // the key values' JSON texts, each followed by '\n'
  int64_t until = 0;
};

struct EngineSnapshot {
  std::vector<EventRecord> events;  // every event the state refers to, once
  std::vector<RuleRecord> rules;    // sequence rules with state
  std::vector<SuppressionRecord> suppression;
  std::vector<EventRecord> held;  // waiting for --max-delay, in any order
  bool seen_any = false;
  int64_t max_seen = 0, watermark = 0, timers_before = 0;
  RunStats stats;
};

// What a restore kept and dropped.
struct RestoreReport {
  uint64_t partial_matches = 0;     // restored
  uint64_t dropped_rules = 0;       // rules removed or changed since the snapshot
  uint64_t dropped_partial = 0;     // their partial matches
  uint64_t undecodable_events = 0;  // events that no longer decode (their matches dropped)
};

}  // namespace strix::engine
