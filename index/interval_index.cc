// IntervalIndex construction: rays, elementary segments and the coarse buckets of long
// intervals (see interval_index.h).
#include "index/interval_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace strix::index {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// One end of an interval, in the order of all ends sorted once (BuildSegments).
struct End {
  double at;
  uint32_t interval;
  bool hi;
};

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
  // Every end sorted once: the intervals listed in segments and those sent to the coarse
  // buckets take their ends from it in order, without sorting again.
  std::vector<End> ends;
  ends.reserve(finite.size() * 2);
  for (uint32_t i = 0; i < finite.size(); ++i) {
    ends.push_back(End{finite[i].lo, i, false});
    ends.push_back(End{finite[i].hi, i, true});
  }
  std::sort(ends.begin(), ends.end(), [](const End& a, const End& b) { return a.at < b.at; });
  // For the intervals `in` selects: the distinct ends (`points`) and per interval the segments
  // [first, last] it is listed in (segment 2k is point k, 2k + 1 the gap after it).
  std::vector<char> in(finite.size(), 1);
  std::vector<double> points;
  std::vector<std::pair<size_t, size_t>> spans(finite.size());
  auto list_segments = [&]() {
    points.clear();
    for (const End& e : ends) {
      if (!in[e.interval]) continue;
      if (points.empty() || points.back() != e.at) points.push_back(e.at);
      const size_t seg = 2 * (points.size() - 1);
      const Interval& x = finite[e.interval];
      if (e.hi) {
        spans[e.interval].second = seg - (x.hi_open ? 1 : 0);
      } else {
        spans[e.interval].first = seg + (x.lo_open ? 1 : 0);
      }
    }
  };
  list_segments();
  size_t total = 0;
  for (const auto& [first, last] : spans) total += last - first + 1;
  // Long intervals would be listed in many segments: past the budget, the longest go to
  // the coarse buckets.
  const size_t budget = 8 * finite.size() + 4096;
  if (total > budget) {
    std::vector<std::pair<size_t, size_t>> by_span;  // (span, index)
    by_span.reserve(finite.size());
    for (size_t i = 0; i < finite.size(); ++i) {
      by_span.emplace_back(spans[i].second - spans[i].first + 1, i);
    }
    std::sort(by_span.begin(), by_span.end(), std::greater<>());
    for (size_t k = 0; k < by_span.size() && total > budget; ++k) {
      in[by_span[k].second] = 0;
      total -= by_span[k].first;
    }
    // The coarse intervals in their order, their ends in sorted order, and per interval the
    // rank of each end among them (the first position of its value).
    std::vector<Interval> coarse;
    std::vector<uint32_t> slot(finite.size());
    for (uint32_t i = 0; i < finite.size(); ++i) {
      if (in[i]) continue;
      slot[i] = static_cast<uint32_t>(coarse.size());
      coarse.push_back(finite[i]);
    }
    std::vector<double> coarse_ends;
    coarse_ends.reserve(coarse.size() * 2);
    std::vector<std::pair<uint32_t, uint32_t>> ranks(coarse.size());
    uint32_t run = 0;
    for (const End& e : ends) {
      if (in[e.interval]) continue;
      if (coarse_ends.empty() || coarse_ends.back() != e.at) {
        run = static_cast<uint32_t>(coarse_ends.size());
      }
      coarse_ends.push_back(e.at);
      (e.hi ? ranks[slot[e.interval]].second : ranks[slot[e.interval]].first) = run;
    }
    list_segments();
    BuildCoarse(coarse, coarse_ends, ranks);
  }
  std::vector<Interval> kept;
  std::vector<std::pair<size_t, size_t>> kept_spans;
  for (size_t i = 0; i < finite.size(); ++i) {
    if (!in[i]) continue;
    kept.push_back(finite[i]);
    kept_spans.push_back(spans[i]);
  }
  spans = std::move(kept_spans);
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
  radix_.Build(points.data(), points.size());
}

void IntervalIndex::BuildCoarse(const std::vector<Interval>& intervals,
                                const std::vector<double>& ends,
                                const std::vector<std::pair<uint32_t, uint32_t>>& ranks) {
  coarse_size_ = intervals.size();
  // Cuts at quantiles of the endpoints (`ends`: both ends of every interval, sorted).
  // As many buckets as keep the whole-cover lists near 16 entries an interval: an interval
  // spanning a fraction f of the ends covers about f * B buckets. Fewer buckets mean longer
  // lists of intervals ending inside a bucket (about 2n / B), tested one by one.
  double spanned = 0;
  for (const auto& [lo, hi] : ranks) {
    spanned += static_cast<double>(hi - lo) / static_cast<double>(ends.size());
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
  // Each interval against the buckets it reaches: counted first, then placed (a counting
  // sort into the flat lists, in interval order within a bucket).
  auto each = [&](auto&& whole, auto&& partial) {
    for (const Interval& x : intervals) {
      const size_t first =
          static_cast<size_t>(std::upper_bound(cuts_.begin(), cuts_.end(), x.lo) - cuts_.begin());
      for (size_t b = first == 0 ? 0 : first - 1; b < buckets && lo_of(b) <= x.hi; ++b) {
        if (covers(x, b)) {
          whole(b, x);
        } else if (meets(x, b)) {
          partial(b, x);
        }
      }
    }
  };
  whole_.assign(buckets + 1, 0);
  ends_at_.assign(buckets + 1, 0);
  each([&](size_t b, const Interval&) { ++whole_[b + 1]; },
       [&](size_t b, const Interval&) { ++ends_at_[b + 1]; });
  for (size_t b = 0; b < buckets; ++b) {
    whole_[b + 1] += whole_[b];
    ends_at_[b + 1] += ends_at_[b];
  }
  whole_terms_.resize(whole_[buckets]);
  ends_.resize(ends_at_[buckets]);
  std::vector<uint32_t> at_whole(whole_.begin(), whole_.end() - 1);
  std::vector<uint32_t> at_ends(ends_at_.begin(), ends_at_.end() - 1);
  each([&](size_t b, const Interval& x) { whole_terms_[at_whole[b]++] = x.term; },
       [&](size_t b, const Interval& x) { ends_[at_ends[b]++] = x; });
}

}  // namespace strix::index
