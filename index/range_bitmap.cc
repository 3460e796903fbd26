// RangeBitmap (see range_bitmap.h): cutting each field into cells, and the bitmaps per cell.
#include "index/range_bitmap.h"

#include <algorithm>
#include <cmath>

namespace strix::index {

void RangeBitmap::Add(TermId term, std::vector<Range> ranges) {
  terms_.push_back(term);
  ranges_.push_back(std::move(ranges));
}

size_t RangeBitmap::memory_bytes() const {
  size_t b = terms_.capacity() * sizeof(TermId);
  for (const Field& fd : fields_) {
    b += ((fd.cuts.size() + 1) * words_ + fd.has.capacity()) * 8 + fd.cuts.capacity() * 8 +
         fd.edge_begin.capacity() * 4 + fd.edge_begin.back() * sizeof(Edge);
  }
  return b;
}

namespace {

// Counting sort: the places 0..n-1 grouped by key (keys < nkeys), each group in place order.
// Returns the groups' starts (nkeys + 1 of them); `order` gets the places.
std::vector<uint32_t> GroupBy(const std::vector<uint32_t>& key, size_t nkeys,
                              std::vector<uint32_t>& order) {
  std::vector<uint32_t> begin(nkeys + 1, 0);
  for (uint32_t k : key) ++begin[k + 1];
  for (size_t k = 0; k < nkeys; ++k) begin[k + 1] += begin[k];
  order.resize(key.size());
  std::vector<uint32_t> at(begin.begin(), begin.end() - 1);
  for (uint32_t i = 0; i < key.size(); ++i) order[at[key[i]]++] = i;
  return begin;
}

void Mark(uint64_t* words, uint32_t g) {
  words[g >> 6] |= uint64_t(1) << (g & 63);
}

// The cells where a non-empty range is tested exactly, given its first and last cell: the
// cell of each finite end (one edge when both ends fall in one cell). An unbounded end has
// none: it reaches the first or last cell whole.
struct EdgeCells {
  bool first, last;
};
EdgeCells EdgesOf(const RangeBitmap::Range& r, size_t first, size_t last) {
  return {r.lo != -INFINITY, r.hi != INFINITY && (last != first || r.lo == -INFINITY)};
}

}  // namespace

void RangeBitmap::Build(size_t budget_bytes) {
  words_ = (terms_.size() + 63) / 64;
  // Every range with its rule's place, in one array grouped by field (ascending slot), in rule
  // order: the passes over a field below read it in sequence.
  uint32_t max_slot = 0;
  size_t total = 0;
  for (const std::vector<Range>& rs : ranges_) {
    for (const Range& r : rs) max_slot = std::max(max_slot, r.slot);
    total += rs.size();
  }
  if (total == 0) {
    ranges_.clear();
    return;
  }
  std::vector<uint32_t> field_begin(size_t{max_slot} + 2, 0);
  for (const std::vector<Range>& rs : ranges_) {
    for (const Range& r : rs) ++field_begin[r.slot + 1];
  }
  size_t nfields = 0;
  for (size_t s = 0; s <= max_slot; ++s) {
    nfields += field_begin[s + 1] > 0;
    field_begin[s + 1] += field_begin[s];
  }
  struct Placed {
    uint32_t g;  // the rule's place in terms_
    Range range;
  };
  std::vector<Placed> all(total);
  {
    std::vector<uint32_t> at(field_begin.begin(), field_begin.end() - 1);
    for (size_t g = 0; g < ranges_.size(); ++g) {
      for (const Range& r : ranges_[g]) all[at[r.slot]++] = Placed{static_cast<uint32_t>(g), r};
    }
  }
  ranges_.clear();
  ranges_.shrink_to_fit();
  const size_t per_cell = std::max<size_t>(1, words_ * 8 * nfields);
  const size_t cells = std::clamp<size_t>(budget_bytes / per_cell, 2, 256);
  std::vector<uint64_t> run(words_);
  std::vector<uint32_t> first, last, order;
  for (uint32_t slot = 0; slot <= max_slot; ++slot) {
    const Placed* const list = all.data() + field_begin[slot];
    const size_t n = field_begin[slot + 1] - field_begin[slot];
    if (n == 0) continue;
    Field fd;
    fd.slot = slot;
    // Cuts at quantiles of the finite endpoints: each cell holds about as many as the others.
    std::vector<double> ends;
    ends.reserve(2 * n);
    for (size_t i = 0; i < n; ++i) {
      const Range& r = list[i].range;
      if (std::isfinite(r.lo)) ends.push_back(r.lo);
      if (std::isfinite(r.hi)) ends.push_back(r.hi);
    }
    std::sort(ends.begin(), ends.end());
    ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
    const size_t ncuts = std::min(cells - 1, ends.size());
    for (size_t i = 1; i <= ncuts; ++i) fd.cuts.push_back(ends[i * ends.size() / (ncuts + 1)]);
    fd.cuts.erase(std::unique(fd.cuts.begin(), fd.cuts.end()), fd.cuts.end());
    const size_t ncells = fd.cuts.size() + 1;
    fd.has.assign(words_, 0);
    // Each range's first and last cell. It covers every cell strictly between them, misses
    // every cell outside them, and is tested exactly in the cells of EdgesOf. An empty range
    // misses everywhere (cell ncells: in no group below).
    first.assign(n, 0);
    last.assign(n, 0);
    std::fill(run.begin(), run.end(), 0);
    std::vector<uint32_t> edge_count(ncells + 1, 0);
    for (size_t i = 0; i < n; ++i) {
      const Range& r = list[i].range;
      const uint32_t g = list[i].g;
      Mark(fd.has.data(), g);
      const size_t f = r.lo == -INFINITY ? 0 : Cell(fd, r.lo);
      const size_t l = r.hi == INFINITY ? ncells - 1 : Cell(fd, r.hi);
      if (r.lo > r.hi || f > l) {
        Mark(run.data(), g);
        first[i] = last[i] = static_cast<uint32_t>(ncells);
        continue;
      }
      first[i] = static_cast<uint32_t>(f);
      last[i] = static_cast<uint32_t>(l);
      const EdgeCells tested = EdgesOf(r, f, l);
      edge_count[f] += tested.first;
      edge_count[l] += tested.last;
    }
    // The edges, cell by cell, each cell's in rule order.
    fd.edge_begin.assign(ncells + 1, 0);
    for (size_t c = 0; c < ncells; ++c) fd.edge_begin[c + 1] = fd.edge_begin[c] + edge_count[c];
    fd.edges = std::make_unique_for_overwrite<Edge[]>(fd.edge_begin[ncells]);
    std::vector<uint32_t> at(fd.edge_begin.begin(), fd.edge_begin.end() - 1);
    for (size_t i = 0; i < n; ++i) {
      if (first[i] == ncells) continue;
      const Range& r = list[i].range;
      const Edge e{list[i].g, r.lo_open, r.hi_open, r.lo, r.hi};
      const EdgeCells tested = EdgesOf(r, first[i], last[i]);
      if (tested.first) fd.edges[at[first[i]]++] = e;
      if (tested.last) fd.edges[at[last[i]]++] = e;
    }
    // The misses per cell, word-wide: cell c misses the rules whose range ends before it
    // (running forwards) and those whose range starts after it (running backwards), and the
    // empty ones (already in `run`).
    fd.miss = std::make_unique_for_overwrite<uint64_t[]>(ncells * words_);
    const std::vector<uint32_t> by_last = GroupBy(last, ncells + 1, order);
    for (size_t c = 0; c < ncells; ++c) {
      std::copy(run.begin(), run.end(), fd.miss.get() + c * words_);
      for (uint32_t k = by_last[c]; k < by_last[c + 1]; ++k) {
        Mark(run.data(), list[order[k]].g);
      }
    }
    std::fill(run.begin(), run.end(), 0);
    const std::vector<uint32_t> by_first = GroupBy(first, ncells + 1, order);
    for (size_t c = ncells; c-- > 0;) {
      uint64_t* const m = fd.miss.get() + c * words_;
      for (size_t w = 0; w < words_; ++w) m[w] |= run[w];
      for (uint32_t k = by_first[c]; k < by_first[c + 1]; ++k) {
        Mark(run.data(), list[order[k]].g);
      }
    }
    fields_.push_back(std::move(fd));
  }
}

}  // namespace strix::index
