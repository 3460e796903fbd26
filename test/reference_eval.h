// The test-only reference evaluator: conditions and values of a checked AST evaluated by a
// direct tree walk over the parsed JSON of events, with no slots, index or compiled code.
// Sequence references bind aliases through RefBindings and compute aggregates from scratch.
// Used by reference_matcher.cc and sequence_reference.cc.
#pragma once

#include <simdjson.h>

#include <string>
#include <vector>

#include "query-lang/ast.h"

namespace strix::test {

struct V {  // an owned value
  enum K { kMissing, kNull, kBool, kNum, kStr, kArr, kObj } k = kMissing;
  bool b = false;
  double n = 0;
  std::string s;  // string, or JSON text of arrays and objects
};

V FromJson(simdjson::dom::element el);
V Lookup(simdjson::dom::element root, const std::vector<std::string>& path);
void AppendV(std::string& o, const V& v);

// The events of a (partial) match, for alias references: per term, its events in order.
struct RefBindings {
  std::vector<std::vector<simdjson::dom::element>> by_term;
  int prev_term = -1;  // the term under test (for prev())
};

struct Eval {
  const ql::Ast& a;
  simdjson::dom::element root;  // the event under test (unused in having/emit)
  const RefBindings* bind = nullptr;

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
