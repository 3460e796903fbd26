// IntervalIndex: a static stabbing index over numeric intervals (ranges and comparisons).
// Stage: index. Interface: Build(), Stab(). Intervals sorted by lower bound form an implicit
// balanced tree, each node holding the largest upper bound below it: built in one sort,
// queried in O(log n + hits) with no pointers. (LIBRARY-NOTES: Boost.ICL's interval_map is
// superlinear to build at this size.) Covered by test/index_test.cc.
#pragma once

#include <cstdint>
#include <vector>

#include "index/access_predicate.h"

namespace strix::index {

class IntervalIndex {
 public:
  struct Interval {
    double lo, hi;
    bool lo_open, hi_open;
    TermId term;
  };

  void Build(std::vector<Interval> intervals);

  // Calls f(term) for every interval that contains v.
  template <typename F>
  void Stab(double v, F&& f) const {
    struct Span {
      uint32_t l, r;
    };
    Span stack[64];
    int top = 0;
    stack[top++] = {0, static_cast<uint32_t>(iv_.size())};
    while (top > 0) {
      Span s = stack[--top];
      if (s.l >= s.r) continue;
      uint32_t mid = s.l + (s.r - s.l) / 2;
      const Node& x = iv_[mid];
      if (x.max_hi < v) continue;  // nothing here reaches v
      bool lo_ok = x.lo_open ? x.lo < v : x.lo <= v;
      if (lo_ok && (x.hi_open ? v < x.hi : v <= x.hi)) f(x.term);
      stack[top++] = {s.l, mid};
      if (x.lo <= v) stack[top++] = {mid + 1, s.r};  // right side starts at or after x.lo
    }
  }

  size_t size() const { return iv_.size(); }
  size_t memory_bytes() const { return iv_.capacity() * sizeof(Node); }

 private:
  // An interval with the largest upper bound of its subtree, on the same cache line.
  struct Node : Interval {
    double max_hi;
  };
  double Fill(uint32_t l, uint32_t r);
  std::vector<Node> iv_;
};

}  // namespace strix::index
