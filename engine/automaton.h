// Automaton: what a sequence rule compiles to (LANGUAGE.md 3.2), immutable and shared.
// Stage: engine (compile -> Automaton -> sequence matching). Interface: Automaton, SeqTerm.
// The states are the positive terms: a partial match sits on the term it last fed, with a
// count. Transitions are guarded by the term filters (type, key, condition); a term's
// quantifier gives its minimum and maximum; `not` terms are absence guards on the gap in
// which they stand; `within`, `until` and `having` are the window, the reset and the
// completion guard. Aggregates over list aliases are kept per partial match, incrementally.
// Thread safety: immutable after Compile(). Covered by test/sequence_test.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strix::engine {

using NodeId = uint32_t;
constexpr NodeId kNoNode = UINT32_MAX;
constexpr uint32_t kUnbounded = UINT32_MAX;

enum class SeqPolicy : uint8_t { kNext, kStrict, kEvery };

struct SeqFilter {
  bool any_type = false;
  std::string type;
  uint32_t keyset = 0;         // Automaton::keysets index
  NodeId condition = kNoNode;  // kNoNode: always true
  // The condition reads nothing of the partial match (no alias, first/last/prev, aggregate):
  // its value depends on the event alone, so the matcher tests it once per event, not once
  // per partial match.
  bool match_free = true;
};

struct SeqTerm {
  bool negated = false;
  bool list = false;          // quantified: its alias is a list (the alias: CompiledRule::aliases)
  uint32_t min = 1, max = 1;  // max == kUnbounded for {n,}
  SeqFilter filter;
};

// One incrementally kept aggregate input: values of field `slot` of the events of `term`.
// (count(f) needs no input: it is read off the bound events.)
struct AggInput {
  uint32_t term = 0;
  uint32_t slot = 0;
  bool distinct = false;  // distinct() is used: keep the set of value hashes
};

struct Automaton {
  SeqPolicy policy = SeqPolicy::kNext;
  std::optional<int64_t> within_ms;
  std::vector<std::vector<uint32_t>> keysets;  // keyset 0: the partition key (first term's)
  std::vector<SeqTerm> terms;                  // as written, `not` terms included
  std::optional<SeqFilter> until;
  NodeId having = kNoNode;
  std::vector<AggInput> aggregates;  // CNode kAggregate refers to these
  uint32_t last_positive = 0;        // index of the last positive term
  bool trailing_not = false;         // the sequence ends with `not` terms
  std::vector<std::string> types;    // event types any filter or guard names
  bool any_type = false;             // some filter or guard takes every type

  bool keyed() const { return !keysets[0].empty(); }
  // A keyed sequence with a term that has no key at all: that term takes events of every
  // partition, so such events visit every partition (and every worker).
  bool unkeyed_terms = false;
};

}  // namespace strix::engine
