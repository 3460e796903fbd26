// IntervalIndex construction (see interval_index.h).
#include "index/interval_index.h"

#include <algorithm>
#include <limits>

namespace strix::index {

void IntervalIndex::Build(std::vector<Interval> intervals) {
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) {
    return a.lo < b.lo || (a.lo == b.lo && a.term < b.term);
  });
  iv_.clear();
  iv_.reserve(intervals.size());
  for (const Interval& x : intervals)
    iv_.push_back(Node{x, -std::numeric_limits<double>::infinity()});
  Fill(0, static_cast<uint32_t>(iv_.size()));
}

// Depth is log2(n) < 64, so recursion is safe here.
double IntervalIndex::Fill(uint32_t l, uint32_t r) {
  if (l >= r) return -std::numeric_limits<double>::infinity();
  uint32_t mid = l + (r - l) / 2;
  double m = std::max({iv_[mid].hi, Fill(l, mid), Fill(mid + 1, r)});
  iv_[mid].max_hi = m;
  return m;
}

}  // namespace strix::index
