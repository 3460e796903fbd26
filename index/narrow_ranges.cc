// NarrowRanges (see narrow_ranges.h): closing open ends, grouping anchors by width and sorting
// each group by its low end.
#include "index/narrow_ranges.h"

#include <limits>
#include <map>

namespace strix::index {

NarrowRanges::Closed NarrowRanges::Close(const Range& r) {
  Closed c{r.slot, r.lo, r.hi};
  if (r.lo_open) c.lo = std::nextafter(r.lo, kInf);
  if (r.hi_open) c.hi = std::nextafter(r.hi, -kInf);
  return c;
}

void NarrowRanges::Add(TermId term, const std::vector<Range>& ranges, size_t anchor, size_t guard) {
  ++terms_;
  for (const Range& r : ranges) {
    const Closed c = Close(r);
    if (!(c.lo <= c.hi)) return;  // holds nowhere: the conjunction never does
  }
  Draft d;
  d.anchor = Close(ranges[anchor]);
  d.entry.guard = Close(ranges[guard]);
  d.entry.term = term;
  d.entry.rest_begin = static_cast<uint32_t>(rest_.size());
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i != anchor && i != guard) rest_.push_back(Close(ranges[i]));
  }
  d.entry.rest_end = static_cast<uint32_t>(rest_.size());
  drafts_.push_back(d);
}

void NarrowRanges::Build() {
  // Per field, per width class (the binary exponent of the width; zero width apart), the
  // anchors sorted by their low end.
  std::map<uint32_t, std::map<int, std::vector<const Draft*>>> classes;
  for (const Draft& d : drafts_) {
    const double w = d.anchor.hi - d.anchor.lo;
    // (An anchor without a finite width, which the builder does not choose, is read whole.)
    const int cls = !std::isfinite(w) ? std::numeric_limits<int>::max()
                    : w > 0           ? std::ilogb(w)
                                      : std::numeric_limits<int>::min();
    classes[d.anchor.slot][cls].push_back(&d);
  }
  for (auto& [slot, groups] : classes) {
    Field& fd = fields_.emplace_back();
    fd.slot = slot;
    for (auto& [cls, list] : groups) {
      std::stable_sort(list.begin(), list.end(),
                       [](const Draft* a, const Draft* b) { return a->anchor.lo < b->anchor.lo; });
      Group& g = fd.groups.emplace_back();
      double widest = 0;
      for (const Draft* d : list) {
        g.lo.push_back(d->anchor.lo);
        g.hi.push_back(d->anchor.hi);
        g.entries.push_back(d->entry);
        const double w = d->anchor.hi - d->anchor.lo;
        widest = std::isfinite(w) ? std::max(widest, w) : kInf;
      }
      // At or above every exact width (the difference above is rounded to nearest).
      g.widest = widest > 0 ? std::nextafter(widest, kInf) : 0;
      g.radix.Build(g.lo.data(), g.lo.size());
    }
  }
  drafts_.clear();
  drafts_.shrink_to_fit();
}

size_t NarrowRanges::memory_bytes() const {
  size_t b = rest_.capacity() * sizeof(Closed);
  for (const Field& fd : fields_) {
    for (const Group& g : fd.groups) {
      b += (g.lo.capacity() + g.hi.capacity()) * 8 + g.entries.capacity() * sizeof(Entry) +
           g.radix.memory_bytes();
    }
  }
  return b;
}

}  // namespace strix::index
