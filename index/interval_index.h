// IntervalIndex: a static stabbing index over numeric intervals (ranges and comparisons).
// Stage: index. Interface: Build(), Stab().
//
// Three shapes, each answered without testing intervals that miss:
//  * finite intervals: their endpoints cut the line into elementary segments (each endpoint
//    a segment of its own, then the open gap up to the next); each segment lists the
//    intervals that contain it, open and closed ends respected. A stab finds its endpoint
//    through a radix table on the value (about 4 endpoints a bucket when they are spread)
//    and reads one list: every term in it is a hit.
//  * rays (`x > 5`, `x <= 3`): sorted by their bound, so the hits are a prefix;
//  * intervals that would make the segment lists too long (a long interval is listed in
//    every segment it spans; the lists are capped at about 8 entries per interval) go to an
//    implicit balanced tree sorted by lower bound, each node holding the largest upper bound
//    below it, queried in O(log n + hits).
// (LIBRARY-NOTES: Boost.ICL's interval_map is superlinear to build at this size.)
// Covered by test/index_test.cc against a brute-force scan.
#pragma once

#include <algorithm>
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

  // Calls f(term) for every interval that contains v (NaN is in none).
  template <typename F>
  void Stab(double v, F&& f) const {
    if (v != v) return;
    if (!points_.empty() && points_[0].at <= v) {
      // The last endpoint <= v: a radix table on the value narrows it to a few endpoints
      // (the ones in v's bucket), counted or binary-searched without branches.
      size_t b = Bucket(v);
      size_t i = std::max<uint32_t>(radix_[b], 1) - 1;  // an endpoint <= v
      size_t stop = radix_[b + 1];
      if (stop - i <= 16) {
        for (size_t k = i + 1; k < stop; ++k) i += points_[k].at <= v;
      } else {
        const Point* base = points_.data() + i;
        size_t n = stop - i;
        while (n > 1) {
          size_t half = n / 2;
          base = base[half].at <= v ? base + half : base;
          n -= half;
        }
        i = static_cast<size_t>(base - points_.data());
      }
      const Point& p = points_[i];
      // The point's own list ends where its gap's begins; the gap's where the next point's does.
      uint32_t begin = p.at == v ? p.point_list : p.gap_list;
      uint32_t end = p.at == v ? p.gap_list : points_[i + 1].point_list;
      for (uint32_t k = begin; k < end; ++k) f(seg_terms_[k]);
    }
    for (const Ray& r : up_) {  // [bound, inf) and (bound, inf), closed first at equal bounds
      if (r.bound > v || (r.bound == v && r.open)) break;
      f(r.term);
    }
    for (const Ray& r : down_) {  // (-inf, bound], descending
      if (r.bound < v || (r.bound == v && r.open)) break;
      f(r.term);
    }
    for (TermId t : everywhere_) f(t);
    if (!tree_.empty()) StabTree(v, f);
  }

  size_t size() const { return size_; }
  size_t tree_intervals() const { return tree_.size(); }  // past the segment budget
  size_t memory_bytes() const {
    return points_.capacity() * sizeof(Point) + radix_.capacity() * 4 + seg_terms_.capacity() * 4 +
           (up_.capacity() + down_.capacity()) * sizeof(Ray) + everywhere_.capacity() * 4 +
           tree_.capacity() * sizeof(Node);
  }

 private:
  struct Ray {
    double bound;
    bool open;
    TermId term;
  };
  // A tree interval with the largest upper bound of its subtree, on the same cache line.
  struct Node : Interval {
    double max_hi;
  };

  template <typename F>
  void StabTree(double v, F& f) const {
    struct Span {
      uint32_t l, r;
    };
    Span stack[64];
    int top = 0;
    stack[top++] = {0, static_cast<uint32_t>(tree_.size())};
    while (top > 0) {
      Span s = stack[--top];
      if (s.l >= s.r) continue;
      uint32_t mid = s.l + (s.r - s.l) / 2;
      const Node& x = tree_[mid];
      if (x.max_hi < v) continue;  // nothing here reaches v
      bool lo_ok = x.lo_open ? x.lo < v : x.lo <= v;
      if (lo_ok && (x.hi_open ? v < x.hi : v <= x.hi)) f(x.term);
      stack[top++] = {s.l, mid};
      if (x.lo <= v) stack[top++] = {mid + 1, s.r};  // right side starts at or after x.lo
    }
  }
  void BuildSegments(const std::vector<Interval>& finite);
  void BuildTree(std::vector<Interval> intervals);
  double Fill(uint32_t l, uint32_t r);

  // An endpoint and where the lists of its two segments start in seg_terms_ (the point
  // itself, then the open gap up to the next endpoint), read from the same cache line.
  struct Point {
    double at;
    uint32_t point_list, gap_list;
  };
  // Radix bucket of a value >= the first endpoint: monotone in the value, so the endpoints
  // of bucket b are points_[radix_[b], radix_[b + 1]).
  size_t Bucket(double v) const {
    double x = (v - radix_lo_) * radix_scale_;
    return x < static_cast<double>(radix_.size() - 2) ? static_cast<size_t>(x) : radix_.size() - 2;
  }
  std::vector<Point> points_;  // ascending; the last one is a sentinel at +inf
  std::vector<uint32_t> radix_;
  double radix_lo_ = 0, radix_scale_ = 0;
  std::vector<TermId> seg_terms_;
  std::vector<Ray> up_, down_;
  std::vector<TermId> everywhere_;  // (-inf, inf)
  std::vector<Node> tree_;
  size_t size_ = 0;
};

}  // namespace strix::index
