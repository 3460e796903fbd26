// Automaton: what a sequence rule compiles to (LANGUAGE.md 3.2), immutable and shared.
// Stage: engine (compile -> Automaton -> sequence matching). Interface: Automaton, SeqTerm.
// The states are the positive terms: a partial match sits on the term it last fed, with a
// count (inside an all(...) group, one term and count per branch). Transitions are guarded by the
// term filters (type, key, condition); a term's quantifier gives its minimum and maximum; `not`
// terms are absence guards on the gap in which they stand; `within`, `until` and `having` are the
// window, the reset and the completion guard. Aggregates over list aliases are kept per partial
// match, incrementally. Thread safety: immutable after Compile(). Covered by test/sequence_test.cc.
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
  // With an inferred key (Automaton::inferred_key), a later term's condition without the key
  // equalities the partition already guarantees for an event whose key value is exact
  // (key_inference.h): its other conjuncts, all to hold (none: true), and whether they read
  // nothing of the match. `keyed` is false where this does not apply.
  bool keyed = false;
  std::vector<NodeId> keyed_rest;
  bool keyed_match_free = true;
};

struct SeqTerm {
  bool negated = false;
  bool list = false;          // quantified: its alias is a list (the alias: CompiledRule::aliases)
  uint32_t min = 1, max = 1;  // max == kUnbounded for {n,}
  SeqFilter filter;
  int32_t group = -1;   // its all(...) group (Automaton::groups), -1: a step of its own
  uint16_t branch = 0;  // its branch in the group
};

// An all(SEQ, SEQ ...) step: its terms are terms [first, end) of the automaton, branch b being
// [starts[b], starts[b + 1]) (the last one ending at `end`). Every term in it is positive with
// a minimum of at least 1 (the checker). A partial match inside a group keeps one (term, count)
// per branch (PartialMatch::branches).
struct SeqGroup {
  uint32_t first = 0, end = 0;
  std::vector<uint32_t> starts;
  uint32_t BranchEnd(size_t b) const { return b + 1 < starts.size() ? starts[b + 1] : end; }
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
  std::vector<SeqGroup> groups;      // the all(...) steps
  uint32_t last_positive = 0;        // index of the last positive term
  uint32_t last_step = 0;            // first term of the step that holds it (a group's first)
  bool trailing_not = false;         // the sequence ends with `not` terms
  std::vector<std::string> types;    // event types any filter or guard names
  bool any_type = false;             // some filter or guard takes every type

  bool keyed() const { return !keysets[0].empty(); }
  // The term after the step that term `k` belongs to.
  uint32_t StepEnd(uint32_t k) const {
    return terms[k].group < 0 ? k + 1 : groups[static_cast<size_t>(terms[k].group)].end;
  }
  const SeqGroup* GroupOf(uint32_t k) const {
    return terms[k].group < 0 ? nullptr : &groups[static_cast<size_t>(terms[k].group)];
  }
  // Alias "terms" past the real ones name groups: terms.size() + g is the alias of group g, a
  // list of all its events (aggregates, first/last, count read it).
  const SeqGroup* AliasGroup(uint32_t t) const {
    return t >= terms.size() ? &groups[t - terms.size()] : nullptr;
  }
  // Whether an event bound to `term` belongs to alias term `alias` (itself, or its group).
  bool Feeds(uint32_t alias, uint32_t term) const {
    if (alias == term) return true;
    const SeqGroup* g = AliasGroup(alias);
    return g && term >= g->first && term < g->end;
  }
  // A keyed sequence with a term that has no key at all: that term takes events of every
  // partition, so such events visit every partition (and every worker).
  bool unkeyed_terms = false;
  // A keyless `every` sequence whose later terms all require field P to equal P of an earlier
  // event (key_inference.h): P's slot. The matcher may keep its partial matches in partitions
  // by P (sequence_inferred.cc); the rule stays keyless.
  std::vector<uint32_t> inferred_key;
};

}  // namespace strix::engine
