// RangeBitmap (see range_bitmap.h): cutting each field into cells, and the bitmaps per cell.
#include "index/range_bitmap.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace strix::index {

void RangeBitmap::Add(TermId term, std::vector<Range> ranges) {
  terms_.push_back(term);
  ranges_.push_back(std::move(ranges));
}

size_t RangeBitmap::memory_bytes() const {
  size_t b = terms_.capacity() * sizeof(TermId);
  for (const Field& fd : fields_) {
    b += (fd.miss.capacity() + fd.has.capacity()) * 8 + fd.cuts.capacity() * 8 +
         fd.edge_begin.capacity() * 4 + fd.edges.capacity() * sizeof(Edge);
  }
  return b;
}

void RangeBitmap::Build(size_t budget_bytes) {
  words_ = (terms_.size() + 63) / 64;
  // The ranges of each field: (rule's place, range).
  std::map<uint32_t, std::vector<std::pair<uint32_t, Range>>> by_slot;
  for (size_t g = 0; g < ranges_.size(); ++g) {
    for (const Range& r : ranges_[g]) by_slot[r.slot].emplace_back(static_cast<uint32_t>(g), r);
  }
  ranges_.clear();
  ranges_.shrink_to_fit();
  if (by_slot.empty()) return;
  const size_t per_cell = std::max<size_t>(1, words_ * 8 * by_slot.size());
  const size_t cells = std::clamp<size_t>(budget_bytes / per_cell, 2, 256);
  for (auto& [slot, list] : by_slot) {
    Field fd;
    fd.slot = slot;
    // Cuts at quantiles of the finite endpoints: each cell holds about as many as the others.
    std::vector<double> ends;
    for (const auto& [g, r] : list) {
      if (std::isfinite(r.lo)) ends.push_back(r.lo);
      if (std::isfinite(r.hi)) ends.push_back(r.hi);
    }
    std::sort(ends.begin(), ends.end());
    ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
    const size_t ncuts = std::min(cells - 1, ends.size());
    for (size_t i = 1; i <= ncuts; ++i) fd.cuts.push_back(ends[i * ends.size() / (ncuts + 1)]);
    fd.cuts.erase(std::unique(fd.cuts.begin(), fd.cuts.end()), fd.cuts.end());
    const size_t ncells = fd.cuts.size() + 1;
    fd.miss.assign(ncells * words_, 0);
    fd.has.assign(words_, 0);
    // A range covers every cell strictly between the cells of its endpoints, misses every cell
    // outside them, and is tested exactly in the cells of its endpoints (an unbounded end has
    // none: it reaches the first or last cell whole).
    std::vector<std::vector<Edge>> edges(ncells);
    for (const auto& [g, r] : list) {
      const uint64_t bit = uint64_t(1) << (g & 63);
      fd.has[g >> 6] |= bit;
      const size_t first = r.lo == -INFINITY ? 0 : Cell(fd, r.lo);
      const size_t last = r.hi == INFINITY ? ncells - 1 : Cell(fd, r.hi);
      if (r.lo > r.hi || first > last) {  // empty: misses everywhere
        for (size_t c = 0; c < ncells; ++c) fd.miss[c * words_ + (g >> 6)] |= bit;
        continue;
      }
      for (size_t c = 0; c < first; ++c) fd.miss[c * words_ + (g >> 6)] |= bit;
      for (size_t c = last + 1; c < ncells; ++c) fd.miss[c * words_ + (g >> 6)] |= bit;
      if (r.lo != -INFINITY) edges[first].push_back(Edge{g, r});
      if (r.hi != INFINITY && (last != first || r.lo == -INFINITY)) {
        edges[last].push_back(Edge{g, r});
      }
    }
    fd.edge_begin.push_back(0);
    for (std::vector<Edge>& e : edges) {
      fd.edges.insert(fd.edges.end(), e.begin(), e.end());
      fd.edge_begin.push_back(static_cast<uint32_t>(fd.edges.size()));
    }
    fields_.push_back(std::move(fd));
  }
}

}  // namespace strix::index
