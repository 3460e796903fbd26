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
#include <string_view>
#include <utility>
#include <vector>

#include "engine/complex_event.h"
#include "engine/partial_match.h"

namespace strix::engine {

// One saved event: its raw line, time and position (input order, source, line).
struct EventRecord {
  std::string raw;
  int64_t time = 0;
  uint32_t source = 0;
  uint64_t line = 0, seq = 0;
};

// Events as columns (one string of raw lines and arrays of numbers): written and read in bulk.
// A snapshot being taken holds the stored events themselves instead (shared and
// immutable, `refs`): the run only notes which events; their bytes are copied out where the
// checkpoint is encoded, on the writer's thread. Read back, a snapshot has the columns.
struct EventColumns {
  std::string text;            // the raw lines, one after another
  std::vector<uint64_t> ends;  // end of each in `text`
  std::vector<int64_t> time;
  std::vector<uint32_t> source;
  std::vector<uint64_t> line, seq;
  std::vector<EventRef> refs;  // instead of the columns, while the snapshot is being written

  size_t size() const { return refs.empty() ? ends.size() : refs.size(); }
  void Detach();  // the referenced events' bytes into the columns (see EngineSnapshot::Detach)
  void Clear();   // keeps the memory, for the next snapshot
  void Add(const EventRecord& e);
  void Add(std::string_view raw, int64_t t, uint32_t src, uint64_t ln, uint64_t sq);
  EventRecord Get(size_t i) const;
};

// The state of one sequence rule, as columns. Partitions in any order; each partition's
// partial matches follow one another in `pos`.. (creation order); each match's bound events
// follow one another in `bound_term`/`bound_event`; aggregates likewise.
struct RuleRecord {
  std::string name;
  uint64_t identity = 0;
  // Per partition.
  std::vector<std::string> key_text;
  std::vector<uint64_t> key_event;  // event index
  std::vector<uint32_t> matches;    // how many partial matches it has
  // Per partial match.
  std::vector<uint32_t> pos, count;
  std::vector<int64_t> start;
  std::vector<uint32_t> bound;  // how many bound events it has
  std::vector<uint8_t> aggs;    // 0: no aggregates allocated; 1: aggregates; 2: and distinct sets
  // Per bound event.
  std::vector<uint32_t> bound_term;
  std::vector<uint64_t> bound_event;  // event index
  // Per aggregate input of a match with aggregates (Automaton::aggregates order).
  std::vector<uint32_t> agg_numbers;
  std::vector<double> agg_sum, agg_min, agg_max;
  // With distinct sets, per aggregate input: how many distinct values, then their positions
  // among the match's bound events (hashes are computed again on restore).
  std::vector<uint32_t> distinct_count, distinct_at;
  // Per timer, in (deadline, seq) order.
  std::vector<int64_t> timer_deadline;
  std::vector<uint64_t> timer_seq;        // its matches' first event (input order)
  std::vector<uint32_t> timer_partition;  // index into the partitions above

  size_t partitions() const { return key_text.size(); }
  bool empty() const { return key_text.empty() && timer_seq.empty(); }
  void Clear();  // keeps the memory, for the next snapshot
};

struct SuppressionRecord {
  std::string rule;
  uint64_t identity = 0;
  std::string key;  // the key values' JSON texts, each followed by '\n'
  int64_t until = 0;
};

// Table rows (LANGUAGE.md 7): each the changelog event that set it, and its table's name.
struct TableRows {
  std::vector<std::string> names;      // the tables, by name
  EventColumns rows;                   // each row's event
  std::vector<uint32_t> table_of_row;  // index into names
  void Clear() {
    names.clear();
    rows.Clear();
    table_of_row.clear();
  }
};

struct EngineSnapshot {
  EventColumns events;            // every event the state refers to, once
  std::vector<RuleRecord> rules;  // sequence rules with state
  std::vector<SuppressionRecord> suppression;
  EventColumns held;  // waiting for --max-delay, in any order
  TableRows tables;
  bool seen_any = false;
  int64_t max_seen = 0, watermark = 0, timers_before = 0;
  RunStats stats;

  // Empties it but keeps its memory: a service that checkpoints every second reuses one
  // snapshot instead of faulting in fresh pages each time.
  void Clear();
  // A snapshot from Engine::Save refers to the engine's events (EventColumns::refs) and must
  // not outlive the engine; Detach() copies their bytes into the columns so that it may.
  void Detach();
  // Lets go of the referenced events (once written: the events the engine no longer holds are
  // freed here, on the caller's thread, instead of at the next capture on the run's).
  void ReleaseEvents();
};

// What a restore kept and dropped.
struct RestoreReport {
  uint64_t partial_matches = 0;     // restored
  uint64_t dropped_rules = 0;       // rules removed or changed since the snapshot
  uint64_t dropped_partial = 0;     // their partial matches
  uint64_t undecodable_events = 0;  // events that no longer decode (their matches dropped)
};

}  // namespace strix::engine
