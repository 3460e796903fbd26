// RadixTable: where in an ascending array of doubles the values of a bucket of the number line
// start, so that a lookup reads a few values instead of binary-searching them all. Stage:
// index (IntervalIndex's endpoints, NarrowRanges' low ends). Interface: Build(), Bucket(),
// operator[].
// The span of the values is cut into a power of two of equal buckets, about 4 values a bucket
// when they are spread evenly (at most 65,536). Bucket() is monotone in the value: a value
// below the first (and NaN) is in bucket 0, one past the last in the last bucket. table[b] is
// the first index whose value is in bucket b or a later one (empty buckets start where the
// next non-empty one does), so the values of bucket b are [table[b], table[b + 1]) and every
// value >= v is at or after table[Bucket(v)]. Covered through test/index_test.cc.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace strix::index {

class RadixTable {
 public:
  // `values` ascending, `n` of them (at least one).
  void Build(const double* values, size_t n) {
    size_t buckets = 1;
    while (buckets * 4 < n && buckets < (size_t{1} << 16)) buckets <<= 1;
    lo_ = values[0];
    const double width = values[n - 1] - values[0];
    scale_ = width > 0 && std::isfinite(width) ? static_cast<double>(buckets) / width : 0;
    start_.assign(buckets + 1, static_cast<uint32_t>(n));
    for (size_t i = n; i-- > 0;) start_[Bucket(values[i])] = static_cast<uint32_t>(i);
    for (size_t b = buckets; b-- > 0;) start_[b] = std::min(start_[b], start_[b + 1]);
  }
  size_t Bucket(double v) const {
    const double x = (v - lo_) * scale_;
    const double last = static_cast<double>(start_.size() - 2);
    return x > 0 ? (x < last ? static_cast<size_t>(x) : start_.size() - 2) : 0;
  }
  uint32_t operator[](size_t b) const { return start_[b]; }
  size_t memory_bytes() const { return start_.capacity() * sizeof(uint32_t); }

 private:
  std::vector<uint32_t> start_;
  double lo_ = 0, scale_ = 0;
};

}  // namespace strix::index
