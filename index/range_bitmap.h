// RangeBitmap: conjunctions of numeric ranges matched by their misses, for rule sets where most
// ranges are wide and so most rules match (the way REIN and the bitmap indexes of the
// pub/sub literature do it). Stage: index (built by condition_index.cc for the counted terms
// it chooses, probed with the rest of a bucket).
//
//   RangeBitmap m;
//   m.Add(term, {{slot, lo, hi, lo_open, hi_open}, ...});   // every range must hold
//   m.Build(budget_bytes);
//   m.Match(event.slots, scratch, f);                        // f(term) for each that holds
//
// Counting (condition_index.h) pays one counter increment per range an event falls in: with
// 50%-wide ranges, half of all ranges per event. Here the domain of each field is cut into
// cells at quantiles of the range endpoints, and per field and cell a bitmap over the rules
// marks those whose range on that field misses the whole cell. An event ORs one bitmap per
// field (its value's cell), tests exactly only the ranges with an endpoint in that cell (a few
// per cell), and the rules left unmarked are the matches: a cost of words per field, not of
// hits. A value that is missing or not a number misses every range on its field. Exact: no
// candidate is confirmed afterwards. Thread safety: immutable after Build(); Match is safe from
// many threads, each with its own scratch. Covered by test/index_test.cc and the counted
// conjunction differential test (test/differential_test.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/value.h"
#include "index/access_predicate.h"

namespace strix::index {

class RangeBitmap {
 public:
  struct Range {
    uint32_t slot;
    double lo, hi;  // -inf / +inf when unbounded
    bool lo_open, hi_open;
  };
  void Add(TermId term, std::vector<Range> ranges);
  // Cells per field as many as `budget_bytes` allows for the bitmaps (2 to 256 per field).
  void Build(size_t budget_bytes);

  size_t terms() const { return terms_.size(); }
  size_t memory_bytes() const;

  // Calls f(term) for every conjunction all of whose ranges hold for `slots`, in term order
  // of Add(). `miss` is scratch.
  template <typename F>
  void Match(const std::vector<Value>& slots, std::vector<uint64_t>& miss, F&& f) const {
    miss.assign(words_, 0);
    for (const Field& fd : fields_) {
      const Value& v = slots[fd.slot];
      if (v.kind != ValueKind::kNumber || v.number != v.number) {
        Or(miss, fd.has.data());
        continue;
      }
      const size_t cell = Cell(fd, v.number);
      Or(miss, fd.miss.get() + cell * words_);
      for (uint32_t i = fd.edge_begin[cell]; i < fd.edge_begin[cell + 1]; ++i) {
        const Edge& e = fd.edges[i];
        if (!InRange(v.number, e.lo, e.hi, e.lo_open, e.hi_open)) {
          miss[e.g >> 6] |= uint64_t(1) << (e.g & 63);
        }
      }
    }
    for (size_t w = 0; w < words_; ++w) {
      uint64_t hits = ~miss[w];
      if (w + 1 == words_ && terms_.size() % 64) hits &= (uint64_t(1) << (terms_.size() % 64)) - 1;
      while (hits) {
        f(terms_[w * 64 + static_cast<size_t>(__builtin_ctzll(hits))]);
        hits &= hits - 1;
      }
    }
  }

 private:
  struct Edge {  // a range tested exactly in a cell: 24 bytes
    uint32_t g;  // the rule's place in terms_
    bool lo_open, hi_open;
    double lo, hi;
  };
  struct Field {
    uint32_t slot = 0;
    std::vector<double> cuts;  // ascending: cell c is [cuts[c - 1], cuts[c])
    // Per cell, words_ words: rules missing all of it. Not a vector: written whole once
    // allocated, so not zeroed first (100k rules: 64 MB).
    std::unique_ptr<uint64_t[]> miss;
    std::vector<uint64_t> has;         // rules with a range on this field
    std::vector<uint32_t> edge_begin;  // per cell (and one past): its edges
    std::unique_ptr<Edge[]> edges;     // ranges with an endpoint in the cell, tested exactly;
                                       // edge_begin.back() of them, placed once allocated
  };
  // The cell of v: the number of cuts at or below it.
  static size_t Cell(const Field& fd, double v) {
    size_t lo = 0, hi = fd.cuts.size();
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (fd.cuts[mid] <= v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  void Or(std::vector<uint64_t>& miss, const uint64_t* src) const {
    for (size_t w = 0; w < words_; ++w) miss[w] |= src[w];
  }

  std::vector<TermId> terms_;
  std::vector<std::vector<Range>> ranges_;  // per term, until Build()
  std::vector<Field> fields_;
  size_t words_ = 0;
};

}  // namespace strix::index
