// Program: what the compiler makes of a set of checked rules, immutable and shared.
// Stage: engine (compile -> Program -> match). Interface: Program, CompiledRule, CNode.
// Conditions are flat arrays of compiled nodes whose fields are slot numbers; strings live in
// the program's arena. The condition index maps events to candidate rules.
// Thread safety: immutable after Compile(); share freely. Covered by test/engine_test.cc.
#pragma once

#include <re2/re2.h>

#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/event.h"
#include "common/huge_pages.h"
#include "common/network.h"
#include "engine/automaton.h"
#include "index/condition_index.h"
#include "query-lang/ast.h"

namespace strix::engine {

enum class CKind : uint8_t {
  kConst,
  kSlot,
  kLower,
  kUpper,
  kLen,
  kAbs,
  kNeg,
  kArith,
  kCompare,
  kInSet,
  kInRange,
  kStrTest,
  kMatch,
  kExists,
  kLike,    // [L2] kid like the glob Program::globs[ref]
  kInCidr,  // [L2] kid in cidr Program::cidrs[ref] (negated: not in)
  kIsNull,  // [L2] kid is null (negated: is not null)
  kLookup,  // table Program::tables[ref], row of key kid, member `aux` (LANGUAGE.md 7)
  kNot,
  kAnd,
  kOr,
  // Sequence rules only: fields of bound events and aggregates (aux = term index). Keep them
  // last: the compiler tells match-free conditions by `kind >= kAliasSlot`.
  kAliasSlot,    // field `ref` of the single event bound to term `aux`
  kFirstSlot,    // first(aux).field
  kLastSlot,     // last(aux).field
  kPrevSlot,     // prev(aux).field: the term's previous event in this match
  kAliasExists,  // exists alias.path
  kAggregate,    // fn `fn` over aggregate input `ref` (Automaton::aggregates); count: ref = term
};

// Aggregates over a list alias (LANGUAGE.md 3.2).
enum class AggFn : uint8_t { kCount, kSum, kAvg, kMin, kMax, kDistinct };

struct CNode {
  CKind kind = CKind::kConst;
  ql::Op op = ql::Op::kNone;
  bool negated = false;
  AggFn fn = AggFn::kCount;     // kAggregate
  bool uses_prev = false;       // a test over prev(): true on the term's first repetition
  uint32_t kid = 0, nkids = 0;  // children are Program::kids[kid .. kid + nkids)
  uint32_t ref = 0;             // slot, regex, set, range or constant index by kind
  uint32_t aux = 0;             // term index for the sequence kinds
};

// The constant list of an `in`.
struct ConstSet {
  std::vector<double> numbers;            // sorted
  std::vector<std::string_view> strings;  // sorted
  bool has_true = false, has_false = false;
  bool empty() const { return numbers.empty() && strings.empty() && !has_true && !has_false; }
};

struct ConstRange {
  Value lo, hi;
};

// The networks of an `in cidr`, merged into sorted disjoint address ranges per family.
struct CidrSet {
  std::vector<std::pair<Uint128, Uint128>> v4, v6;
  bool Contains(const IpAddress& a) const;
};

// A table (LANGUAGE.md 7): which events upsert and delete its rows, and which members of a
// row the program's lookups read (each a field slot of the changelog event).
struct TableFilter {
  bool any_type = false;
  std::string type;
  NodeId where = kNoNode;
  uint32_t key_slot = 0;
};
constexpr uint32_t kWholeEvent = UINT32_MAX;  // a member slot: the changelog event itself
struct TableSpec {
  std::string name;
  TableFilter from;
  bool has_delete = false;
  TableFilter del;
  std::vector<std::string> row;                   // the row's path in the event; empty: all of it
  std::vector<std::vector<std::string>> members;  // read by lookups, relative to the row
  std::vector<uint32_t> member_slots;             // their slots (row + member), or kWholeEvent
};

struct CompiledRule {
  std::string name;
  // A hash of the rule's text with `let`s expanded (ql::DumpRule): checkpoints keep a rule's
  // state only while it is unchanged.
  uint64_t identity = 0;
  bool any_type = false;
  std::string type;
  std::vector<uint32_t> key_slots;  // `by`; empty without
  bool has_keys = false;
  NodeId condition = kNoNode;  // where and having
  std::vector<std::string> emit_names;
  std::vector<NodeId> emit_values;
  std::optional<int64_t> suppress_ms;
  bool sequence = false;
  int32_t automaton = -1;            // Program::automata index for sequence rules
  std::vector<std::string> aliases;  // per sequence term; empty string when none
};

// What the matcher reads for every candidate, 8 bytes a rule (CompiledRule is ~200 bytes and
// cold: read only for keyed rules and for rules that fire).
struct RuleCheck {
  // What is left to test once the index offered a single-event rule: its condition without
  // the conjunct its index entries decide exactly (kNoNode: nothing left).
  NodeId residual = kNoNode;
  bool sequence = false;
  bool keyed = false;  // single-event rule with `by`
  // Single-event rule without `by`, `suppress` or emitted fields: when it fires nothing of its
  // CompiledRule is read (one cache miss less per complex event with many rules).
  bool plain = false;
};

struct Program {
  // Unique in the process (never reused, unlike an address): which program another was
  // compiled against (a reload's rule map, runtime/rule_set.h).
  uint64_t serial = 0;
  std::vector<FieldSpec> fields;  // the slot table; slots 0-2 are type, time, id
  BigVector<CompiledRule> rules;  // in load order: the output's rule order
  std::vector<RuleCheck> checks;  // per rule
  BigVector<CNode> nodes;         // large with many rules: first written in huge pages
  BigVector<NodeId> kids;
  std::vector<std::unique_ptr<RE2>> regexes;
  std::vector<ConstSet> sets;
  BigVector<ConstRange> ranges;
  std::vector<std::string_view> globs;  // kLike patterns (in the arena)
  std::vector<CidrSet> cidrs;
  std::vector<TableSpec> tables;           // in load order
  BigVector<Value> constants = {Value()};  // kConst nodes (constant 0: missing)
  std::vector<Automaton> automata;         // one per sequence rule
  // The slots a stored event keeps (StoredEvent::Make), ascending: the ones read back from
  // the events a sequence has bound (alias, first/last/prev fields, aggregate inputs, keys)
  // and the id (complex events name their events by it). Other values are not copied.
  std::vector<uint32_t> stored_slots;
  // Rules per equality value (slot, kind, value), for choosing index entries (compile.cc);
  // kept after compiling only for explain (CompileOptions::keep_index_choices).
  std::unordered_map<std::string, uint32_t> eq_frequency;
  // The expression (of its rule's AST) each node was compiled from; kept like eq_frequency.
  BigVector<ql::ExprId> node_expr;
  index::ConditionIndex index;        // single-event rules
  index::ConditionIndex start_index;  // the first terms of sequence rules

  // Stable storage for constant strings: 64 KiB blocks (longer strings get their own).
  std::string_view Keep(std::string_view s) {
    if (s.size() > kBlock / 4) {
      blocks_.push_back(std::make_unique<char[]>(s.size()));
      std::memcpy(blocks_.back().get(), s.data(), s.size());
      return std::string_view(blocks_.back().get(), s.size());
    }
    if (!last_ || used_ + s.size() > kBlock) {
      blocks_.push_back(std::make_unique<char[]>(kBlock));
      last_ = blocks_.back().get();
      used_ = 0;
    }
    char* at = last_ + used_;
    if (!s.empty()) std::memcpy(at, s.data(), s.size());
    used_ += s.size();
    return std::string_view(at, s.size());
  }
  NodeId Kid(const CNode& n, uint32_t i) const { return kids[n.kid + i]; }
  const Value& Constant(const CNode& n) const { return constants[n.ref]; }

 private:
  static constexpr size_t kBlock = 64 << 10;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* last_ = nullptr;  // the block strings are appended to
  size_t used_ = 0;
};

}  // namespace strix::engine
