// SortUniqueIds: puts a list of ids below a known bound in ascending order without repeats.
// Stage: shared (the matcher orders the rules the condition index offers an event).
// Few ids are sorted; many (more than one per 1,024 of the bound, as when a wide pub/sub
// workload offers thousands of rules per event) are marked in a bitmap of the bound and read
// back in order, which costs a pass over bound/64 words instead of n log n comparisons.
// Covered by test/common_test.cc (against std::sort + std::unique at every density).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace strix {

// Every id in `ids` must be < `bound`. `bits` is scratch kept by the caller between calls.
inline void SortUniqueIds(std::vector<uint32_t>& ids, uint32_t bound, std::vector<uint64_t>& bits) {
  if (ids.size() < 64 || ids.size() * 1024 < bound) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return;
  }
  bits.assign((size_t{bound} + 63) / 64, 0);
  for (uint32_t id : ids) bits[id >> 6] |= uint64_t{1} << (id & 63);
  // Read back over the list itself: it holds at least as many ids as there are distinct ones.
  uint32_t* out = ids.data();
  for (size_t w = 0; w < bits.size(); ++w) {
    for (uint64_t word = bits[w]; word != 0; word &= word - 1) {
      *out++ = static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(word)));
    }
  }
  ids.resize(static_cast<size_t>(out - ids.data()));
}

}  // namespace strix
