// The evaluator: computes compiled conditions and values over one event.
// Stage: engine (match). Interface: Test(), Calc(). Missing values follow LANGUAGE.md 3.3:
// any comparison, membership, string or regex test with a missing value, a null or operands
// of the wrong type is false, and `not` turns it true. noexcept; recursion is bounded by the
// checker's depth limit. Covered by test/engine_test.cc and test/differential_test.cc.
#pragma once

#include <deque>
#include <string>

#include "engine/program.h"

namespace strix::engine {

// What the sequence kinds of CNode read: the events bound so far in one partial match and
// its aggregates. Implemented by the sequence matcher.
class MatchView {
 public:
  virtual ~MatchView() = default;
  // Field `slot` of the first event bound to `term` (also its single event), of the last one,
  // and of the previous event of the term being tested (none on its first repetition): a
  // missing value when there is no such event.
  virtual const Value& First(uint32_t term, uint32_t slot) const = 0;
  virtual const Value& Last(uint32_t term, uint32_t slot) const = 0;
  virtual const Value& Prev(uint32_t slot) const = 0;
  virtual bool HasPrev() const = 0;  // whether there is a previous event
  virtual Value Aggregate(uint32_t input, AggFn fn) const = 0;
};

class TableStore;

// Scratch space for strings made while evaluating (lower/upper of a computed value), the
// partial match a sequence condition sees (null for single-event rules), and the tables that
// lookups read (null: every lookup is missing).
// The last row a lookup found (rules of one event often look the same key up): valid while
// the table store's version is the one noted.
struct LookupMemo {
  uint32_t table = UINT32_MAX;
  uint64_t version = 0;
  std::string key;
  const Event* row = nullptr;  // null: no row for the key
};

struct EvalScratch {
  std::deque<std::string> strings;
  const MatchView* match = nullptr;
  const TableStore* tables = nullptr;
  LookupMemo memo;
  void Reset() {
    if (!strings.empty()) strings.clear();  // (clearing an empty deque still walks its map)
  }
};

bool Test(const Program& p, NodeId node, const Event& e, EvalScratch& s) noexcept;
Value Calc(const Program& p, NodeId node, const Event& e, EvalScratch& s) noexcept;

}  // namespace strix::engine
