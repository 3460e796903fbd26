// The test-only reference evaluator: conditions and values of a checked AST evaluated by a
// direct tree walk over the parsed JSON of events, with no slots, index or compiled code.
// Sequence references bind aliases through RefBindings and compute aggregates from scratch.
// Used by reference_matcher.cc and sequence_reference.cc.
#pragma once

#include <simdjson.h>

#include <map>
#include <span>
#include <string>
#include <vector>

#include "query-lang/ast.h"
#include "query-lang/check.h"

namespace strix::test {

struct V {  // an owned value
  enum K { kMissing, kNull, kBool, kNum, kStr, kArr, kObj } k = kMissing;
  bool b = false;
  double n = 0;
  std::string s;  // string, or JSON text of arrays and objects
};

V FromJson(simdjson::dom::element el);
V Lookup(simdjson::dom::element root, std::span<const std::string> path);
void AppendV(std::string& o, const V& v);

// The events of a (partial) match, for alias references: per term, its events in order.
struct RefBindings {
  std::vector<std::vector<simdjson::dom::element>> by_term;
  int prev_term = -1;  // the term under test (for prev())
};

// Tables (LANGUAGE.md 7) the slow way: per table, key (JSON text of the value) -> the line of
// the changelog event that set the row; a lookup parses that line again.
class RefTables {
 public:
  explicit RefTables(const ql::CheckedRules& rules) : rules_(rules) {}
  // After every rule has seen the event `line` (parsed: `root`): its upserts and deletes.
  void Apply(simdjson::dom::element root, const std::string& line);
  // Member `path` of table `name`'s row for `key`; missing when there is none.
  V Lookup(const std::string& name, const V& key, std::span<const std::string> path) const;

 private:
  bool Holds(size_t table, const ql::Filter& f, simdjson::dom::element root) const;
  const ql::CheckedRules& rules_;
  std::map<std::string, std::map<std::string, std::string>> rows_;
  mutable simdjson::dom::parser parser_;
};

struct Eval {
  const ql::Ast& a;
  simdjson::dom::element root;  // the event under test (unused in having/emit)
  const RefBindings* bind = nullptr;
  const RefTables* tables = nullptr;  // null: every lookup is missing

  V Val(ql::ExprId id);
  bool Truth(ql::ExprId id);

 private:
  bool Scalar(const V& v) const { return v.k == V::kBool || v.k == V::kNum || v.k == V::kStr; }
  int Cmp(const V& x, const V& y);
  bool ReadsPrev(ql::ExprId id);
  bool NoPrev();
  V Call(const ql::Expr& e);
};

}  // namespace strix::test
