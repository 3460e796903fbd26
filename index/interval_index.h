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
//    every segment it spans; the lists are capped at about 8 entries per interval) go to
//    coarse buckets: stretches of the line cut at quantiles of their endpoints (as many as
//    keep the lists near 16 entries an interval: 32 for intervals half the line wide); each
//    bucket lists the long intervals that cover it whole (every one a hit, read in a row) and
//    those that end inside it (tested one by one). A stab finds its bucket by a binary search
//    over the cuts. Pub/sub subscriptions of half the domain are such intervals.
// (LIBRARY-NOTES: Boost.ICL's interval_map is superlinear to build at this size.)
// Covered by test/index_test.cc against a brute-force scan.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "index/access_predicate.h"
#include "index/radix_table.h"

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
      size_t b = radix_.Bucket(v);
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
    if (!cuts_.empty()) StabCoarse(v, f);
  }

  size_t size() const { return size_; }
  size_t coarse_intervals() const { return coarse_size_; }  // past the segment budget
  size_t memory_bytes() const {
    return points_.capacity() * sizeof(Point) + radix_.memory_bytes() + seg_terms_.capacity() * 4 +
           (up_.capacity() + down_.capacity()) * sizeof(Ray) + everywhere_.capacity() * 4 +
           cuts_.capacity() * 8 + (whole_.capacity() + ends_at_.capacity()) * 4 +
           whole_terms_.capacity() * 4 + ends_.capacity() * sizeof(Interval);
  }

 private:
  struct Ray {
    double bound;
    bool open;
    TermId term;
  };
  // Coarse bucket b is [cuts_[b - 1], cuts_[b]) (bucket 0 below the first cut, the last one
  // from the last cut on): whole_terms_[whole_[b], whole_[b + 1]) cover it whole, and
  // ends_[ends_at_[b], ends_at_[b + 1]) are the long intervals that only meet it.
  template <typename F>
  void StabCoarse(double v, F& f) const {
    const size_t b =
        static_cast<size_t>(std::upper_bound(cuts_.begin(), cuts_.end(), v) - cuts_.begin());
    for (uint32_t k = whole_[b]; k < whole_[b + 1]; ++k) f(whole_terms_[k]);
    for (uint32_t k = ends_at_[b]; k < ends_at_[b + 1]; ++k) {
      const Interval& x = ends_[k];
      if (InRange(v, x.lo, x.hi, x.lo_open, x.hi_open)) f(x.term);
    }
  }
  void BuildSegments(const std::vector<Interval>& finite);
  // `ends`: both ends of every interval, sorted; `ranks`: per interval, the first position of
  // its lo and of its hi in `ends`.
  void BuildCoarse(const std::vector<Interval>& intervals, const std::vector<double>& ends,
                   const std::vector<std::pair<uint32_t, uint32_t>>& ranks);

  // An endpoint and where the lists of its two segments start in seg_terms_ (the point
  // itself, then the open gap up to the next endpoint), read from the same cache line.
  struct Point {
    double at;
    uint32_t point_list, gap_list;
  };
  std::vector<Point> points_;  // ascending; the last one is a sentinel at +inf
  RadixTable radix_;           // over points_ but the sentinel
  std::vector<TermId> seg_terms_;
  std::vector<Ray> up_, down_;
  std::vector<TermId> everywhere_;  // (-inf, inf)
  std::vector<double> cuts_;
  std::vector<uint32_t> whole_, ends_at_;
  std::vector<TermId> whole_terms_;
  std::vector<Interval> ends_;
  size_t coarse_size_ = 0;
  size_t size_ = 0;
};

}  // namespace strix::index
