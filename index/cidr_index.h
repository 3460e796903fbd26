// CidrIndex: which `in cidr` networks hold an address. Stage: index (one per field of a
// ConditionIndex bucket). Interface: CidrIndex(entries), Stab(address, emit).
// The networks are grouped by family and prefix length; within a group they are sorted
// network addresses, so a stab masks the address once per group and binary-searches it: the
// cost of an event is the number of distinct prefix lengths (a handful in practice, at most
// 33 + 129), whatever the number of networks. Nested networks are simply in different groups.
// Thread safety: immutable after construction. Covered by test/index_test.cc and the
// differential test.
#pragma once

#include <cstdint>
#include <vector>

#include "common/network.h"
#include "index/access_predicate.h"

namespace strix::index {

class CidrIndex {
 public:
  struct Entry {
    IpNetwork net;
    TermId term;
  };
  explicit CidrIndex(std::vector<Entry> entries);

  // Calls emit(term) for every entry whose network holds `a` (a term may come more than once
  // if it named overlapping networks).
  template <class F>
  void Stab(const IpAddress& a, F&& emit) const {
    for (const Group& g : groups_) {
      if (g.v6 != a.v6) continue;
      const Uint128 key = a.bits & g.mask;
      size_t lo = 0, hi = g.keys.size();
      while (lo < hi) {  // the first key >= key
        size_t mid = (lo + hi) / 2;
        if (g.keys[mid] < key)
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo == g.keys.size() || g.keys[lo] != key) continue;
      for (uint32_t p = g.begin[lo]; p < g.begin[lo + 1]; ++p) emit(postings_[p]);
    }
  }

  size_t size() const { return size_; }
  size_t memory_bytes() const;

 private:
  struct Group {
    bool v6 = false;
    Uint128 mask = 0;
    std::vector<Uint128> keys;    // network addresses, sorted, distinct
    std::vector<uint32_t> begin;  // keys[i]'s postings: [begin[i], begin[i + 1])
  };
  std::vector<Group> groups_;
  std::vector<TermId> postings_;
  size_t size_ = 0;
};

}  // namespace strix::index
