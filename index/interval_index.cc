// IntervalIndex construction: rays, elementary segments and the coarse buckets of long
// intervals (see interval_index.h).
#include "index/interval_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace strix::index {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Segment of `v` among `points` (v must be one of them): 2 * its index.
size_t PointSegment(const std::vector<double>& points, double v) {
  return 2 *
         static_cast<size_t>(std::lower_bound(points.begin(), points.end(), v) - points.begin());
}

// Both ends of every interval, sorted (repeats kept).
std::vector<double> SortedEnds(const std::vector<IntervalIndex::Interval>& xs) {
  std::vector<double> p;
  p.reserve(xs.size() * 2);
  for (const IntervalIndex::Interval& x : xs) {
    p.push_back(x.lo);
    p.push_back(x.hi);
  }
  std::sort(p.begin(), p.end());
  return p;
}

}  // namespace

void IntervalIndex::Build(std::vector<Interval> intervals) {
  size_ = intervals.size();
  std::vector<Interval> finite;
  for (const Interval& x : intervals) {
    if (x.lo > x.hi || (x.lo == x.hi && (x.lo_open || x.hi_open))) continue;  // holds nowhere
    bool from_minus_inf = x.lo == -kInf, to_inf = x.hi == kInf;
    if (from_minus_inf && to_inf) {
      everywhere_.push_back(x.term);
    } else if (to_inf) {
      up_.push_back(Ray{x.lo, x.lo_open, x.term});
    } else if (from_minus_inf) {
      down_.push_back(Ray{x.hi, x.hi_open, x.term});
    } else {
      finite.push_back(x);
    }
  }
  std::sort(up_.begin(), up_.end(), [](const Ray& a, const Ray& b) {
    return a.bound != b.bound ? a.bound < b.bound : (a.open != b.open ? !a.open : a.term < b.term);
  });
  std::sort(down_.begin(), down_.end(), [](const Ray& a, const Ray& b) {
    return a.bound != b.bound ? a.bound > b.bound : (a.open != b.open ? !a.open : a.term < b.term);
  });
  BuildSegments(finite);
}

void IntervalIndex::BuildSegments(const std::vector<Interval>& finite) {
  auto endpoints = [](const std::vector<Interval>& xs) {
    std::vector<double> p = SortedEnds(xs);
    p.erase(std::unique(p.begin(), p.end()), p.end());
    return p;
  };
  // Per interval, the segments [first, last] it is listed in.
  auto spans_of = [](const std::vector<double>& p, const std::vector<Interval>& xs) {
    std::vector<std::pair<size_t, size_t>> out;
    out.reserve(xs.size());
    for (const Interval& x : xs) {
      out.emplace_back(PointSegment(p, x.lo) + (x.lo_open ? 1 : 0),
                       PointSegment(p, x.hi) - (x.hi_open ? 1 : 0));
    }
    return out;
  };
  std::vector<Interval> kept = finite;
  std::vector<double> points = endpoints(kept);
  auto spans = spans_of(points, kept);
  size_t total = 0;
  for (const auto& [first, last] : spans) total += last - first + 1;
  // Long intervals would be listed in many segments: past the budget, the longest go to
  // the coarse buckets.
  const size_t budget = 8 * kept.size() + 4096;
  if (total > budget) {
    std::vector<std::pair<size_t, size_t>> by_span;  // (span, index)
    for (size_t i = 0; i < kept.size(); ++i) {
      by_span.emplace_back(spans[i].second - spans[i].first + 1, i);
    }
    std::sort(by_span.begin(), by_span.end(), std::greater<>());
    std::vector<bool> to_tree(kept.size(), false);
    for (size_t k = 0; k < by_span.size() && total > budget; ++k) {
      to_tree[by_span[k].second] = true;
      total -= by_span[k].first;
    }
    std::vector<Interval> coarse, rest;
    for (size_t i = 0; i < kept.size(); ++i) (to_tree[i] ? coarse : rest).push_back(kept[i]);
    kept = std::move(rest);
    points = endpoints(kept);
    spans = spans_of(points, kept);
    BuildCoarse(coarse);
  }
  if (kept.empty()) return;
  // Counting sort of (segment, term) pairs: coverage per segment, then the lists.
  const size_t segments = 2 * points.size();
  std::vector<uint32_t> begin(segments + 1, 0);
  for (const auto& [first, last] : spans) {
    for (size_t s = first; s <= last; ++s) ++begin[s + 1];
  }
  for (size_t s = 0; s < segments; ++s) begin[s + 1] += begin[s];
  seg_terms_.resize(begin[segments]);
  std::vector<uint32_t> at(begin.begin(), begin.end() - 1);
  for (size_t i = 0; i < kept.size(); ++i) {
    for (size_t s = spans[i].first; s <= spans[i].second; ++s) seg_terms_[at[s]++] = kept[i].term;
  }
  for (size_t i = 0; i < points.size(); ++i) {
    points_.push_back(Point{points[i], begin[2 * i], begin[2 * i + 1]});
  }
  // Past the last endpoint nothing finite holds; the sentinel closes the last gap's list.
  points_.push_back(Point{kInf, begin[segments], begin[segments]});
  // About 4 endpoints a bucket when they are spread evenly.
  const size_t n = points.size();
  size_t buckets = 1;
  while (buckets * 4 < n && buckets < (size_t{1} << 16)) buckets <<= 1;
  radix_lo_ = points.front();
  double width = points.back() - points.front();
  radix_scale_ = width > 0 && std::isfinite(width) ? static_cast<double>(buckets) / width : 0;
  radix_.assign(buckets + 1, static_cast<uint32_t>(n));
  for (size_t i = n; i-- > 0;) radix_[Bucket(points[i])] = static_cast<uint32_t>(i);
  // Empty buckets start where the next non-empty one does.
  for (size_t b = buckets; b-- > 0;) radix_[b] = std::min(radix_[b], radix_[b + 1]);
}

void IntervalIndex::BuildCoarse(const std::vector<Interval>& intervals) {
  coarse_size_ = intervals.size();
  // Cuts at quantiles of the endpoints: up to 32 buckets of about equal numbers of ends.
  const std::vector<double> ends = SortedEnds(intervals);
  // As many buckets as keep the whole-cover lists near 16 entries an interval: an interval
  // spanning a fraction f of the ends covers about f * B buckets. Fewer buckets mean longer
  // lists of intervals ending inside a bucket (about 2n / B), tested one by one.
  double spanned = 0;
  for (const Interval& x : intervals) {
    auto rank = [&](double v) {
      return static_cast<double>(std::lower_bound(ends.begin(), ends.end(), v) - ends.begin());
    };
    spanned += (rank(x.hi) - rank(x.lo)) / static_cast<double>(ends.size());
  }
  const double f = std::max(spanned / static_cast<double>(intervals.size()), 1e-6);
  const size_t want = static_cast<size_t>(std::clamp(16 / f, 2.0, 4096.0)) - 1;
  for (size_t k = 1; k <= want; ++k) {
    double c = ends[k * (ends.size() - 1) / (want + 1)];
    if (cuts_.empty() || c > cuts_.back()) cuts_.push_back(c);
  }
  const size_t buckets = cuts_.size() + 1;
  // Bucket b holds [lo_b, hi_b): lo_b = cuts_[b - 1] (-inf for b = 0), hi_b = cuts_[b] (+inf last).
  auto lo_of = [&](size_t b) { return b == 0 ? -kInf : cuts_[b - 1]; };
  auto hi_of = [&](size_t b) { return b == buckets - 1 ? kInf : cuts_[b]; };
  auto covers = [&](const Interval& x, size_t b) {  // every value of the bucket is in x
    const double lo = lo_of(b), hi = hi_of(b);
    bool from = x.lo < lo || (x.lo == lo && !x.lo_open);
    return from && x.hi >= hi && hi != kInf;
  };
  auto meets = [&](const Interval& x, size_t b) {  // some value of the bucket may be in x
    return x.hi >= lo_of(b) && x.lo < hi_of(b);
  };
  std::vector<std::vector<TermId>> whole(buckets);
  std::vector<std::vector<Interval>> partial(buckets);
  for (const Interval& x : intervals) {
    const size_t first =
        static_cast<size_t>(std::upper_bound(cuts_.begin(), cuts_.end(), x.lo) - cuts_.begin());
    for (size_t b = first == 0 ? 0 : first - 1; b < buckets && lo_of(b) <= x.hi; ++b) {
      if (covers(x, b)) {
        whole[b].push_back(x.term);
      } else if (meets(x, b)) {
        partial[b].push_back(x);
      }
    }
  }
  whole_.assign(1, 0);
  ends_at_.assign(1, 0);
  for (size_t b = 0; b < buckets; ++b) {
    whole_terms_.insert(whole_terms_.end(), whole[b].begin(), whole[b].end());
    ends_.insert(ends_.end(), partial[b].begin(), partial[b].end());
    whole_.push_back(static_cast<uint32_t>(whole_terms_.size()));
    ends_at_.push_back(static_cast<uint32_t>(ends_.size()));
  }
}

}  // namespace strix::index
