// NarrowRanges: conjunctions of numeric ranges one of which is narrow, matched through that
// range alone (the way a selective anchor is used, without a residual per candidate). Stage:
// index (built by condition_index.cc for the counted terms it chooses, probed with the rest of
// a bucket).
//
//   NarrowRanges m;
//   m.Add(term, {{slot, lo, hi, lo_open, hi_open}, ...}, anchor, guard);  // every range must hold
//   m.Build();
//   m.Match(event.slots, f);                    // f(term) for each conjunction that holds
//
// Counting (condition_index.h) pays a counter per range an event falls in: with 100k
// conjunctions of 1%-wide ranges over 20 fields, 4,000 scattered increments per event. Here
// each conjunction is entered once, under its narrowest finite range (the anchor): per field,
// anchors are grouped by width (a power of two apart at most) and each group is sorted by its
// low end, so the anchors that hold for a value v are among those whose low end is in
// [v - widest of the group, v], read in a row. Beside each anchor sits its second range (the
// guard), tested in the same pass; only the few that pass both have their other ranges tested.
// Open ends are turned into closed ones at the neighbouring double (x > a is x >= next(a)), so
// every test is two comparisons. A value that is missing or not a number (or NaN) holds no range.
// Exact: no candidate is confirmed afterwards. Thread safety: immutable after Build(); Match is
// safe from many threads. Covered by test/index_test.cc and the counted conjunction
// differential test (test/differential_test.cc).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/value.h"
#include "index/radix_table.h"
#include "index/range_bitmap.h"

namespace strix::index {

class NarrowRanges {
 public:
  using Range = RangeBitmap::Range;
  // `anchor` (a finite range) and `guard` (another range, or anchor itself when there is only
  // one) index into `ranges`. A conjunction that can never hold (an empty range) is dropped.
  void Add(TermId term, const std::vector<Range>& ranges, size_t anchor, size_t guard);
  void Build();

  size_t terms() const { return terms_; }
  size_t memory_bytes() const;

  // Calls f(term) for every conjunction all of whose ranges hold for `slots`.
  template <typename F>
  void Match(const std::vector<Value>& slots, F&& f) const {
    for (const Field& fd : fields_) {
      const Value& v = slots[fd.slot];
      if (v.kind != ValueKind::kNumber || v.number != v.number) continue;
      const double x = v.number;
      for (const Group& g : fd.groups) {
        // Every anchor holding x has lo >= x - width >= x - widest (exactly); `from` is at or
        // below the rounded difference. A radix table on lo finds the first such anchor
        // among a few.
        const double from = Below(x - g.widest);
        size_t k = g.radix[g.radix.Bucket(from)];
        while (k < g.lo.size() && g.lo[k] < from) ++k;
        for (; k < g.lo.size() && g.lo[k] <= x; ++k) {
          if (g.hi[k] < x) continue;
          const Entry& e = g.entries[k];
          if (!Holds(slots, e.guard) || !Rest(slots, e)) continue;
          f(e.term);
        }
      }
    }
  }

 private:
  static constexpr double kInf = __builtin_huge_val();
  // A range with closed ends (open ones moved to the next double inward).
  struct Closed {
    uint32_t slot;
    double lo, hi;
  };
  struct Entry {
    Closed guard;
    TermId term;
    uint32_t rest_begin, rest_end;  // the conjunction's other ranges, in rest_
  };
  struct Group {
    double widest = 0;
    std::vector<double> lo, hi;  // the anchors, ascending by lo
    std::vector<Entry> entries;  // beside them
    RadixTable radix;            // over lo
  };
  struct Field {
    uint32_t slot = 0;
    std::vector<Group> groups;
  };
  static bool Holds(const std::vector<Value>& slots, const Closed& r) {
    const Value& v = slots[r.slot];
    return v.kind == ValueKind::kNumber && r.lo <= v.number && v.number <= r.hi;
  }
  bool Rest(const std::vector<Value>& slots, const Entry& e) const {
    for (uint32_t i = e.rest_begin; i < e.rest_end; ++i) {
      if (!Holds(slots, rest_[i])) return false;
    }
    return true;
  }
  static Closed Close(const Range& r);
  // The next double below x (toward -inf; -inf and NaN stay), inline: one per group and event.
  static double Below(double x) {
    if (!(x > -kInf)) return x;
    if (x == 0) return -__DBL_DENORM_MIN__;
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    bits += x > 0 ? -1 : 1;  // the magnitude down for positives, up for negatives
    std::memcpy(&x, &bits, sizeof bits);
    return x;
  }

  struct Draft {
    Closed anchor;
    Entry entry;
  };
  std::vector<Draft> drafts_;  // until Build()
  std::vector<Field> fields_;
  std::vector<Closed> rest_;
  size_t terms_ = 0;
};

}  // namespace strix::index
