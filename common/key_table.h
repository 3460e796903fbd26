// KeyTable: 64-bit hash -> dense id, for the hash tables of the index and the decoder.
// Stage: shared. Interface: Reset(keys), Add(hash, id), Find(hash, same), Prefetch(hash).
// Open addressing over 8-byte cells holding the upper 32 bits of the hash and id + 1 (0: an
// empty cell); the caller keeps its keys in a dense array and tells Find whether the key of a
// candidate id is the one looked up, so the sparse part costs 8 bytes a cell whatever the
// keys. Load factor at most 1/2. Covered by test/common_test.cc.
#pragma once

#include <cstdint>
#include <vector>

namespace strix {

class KeyTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  void Reset(size_t keys) {
    size_t cap = 8;
    while (cap < keys * 2) cap <<= 1;
    cells_.assign(cap, 0);
    mask_ = cap - 1;
  }
  // `id` < kNone; Reset must have room for every Add.
  void Add(uint64_t h, uint32_t id) {
    size_t cell = h & mask_;
    while (cells_[cell] != 0) cell = (cell + 1) & mask_;
    cells_[cell] = (h >> 32) << 32 | (uint64_t{id} + 1);
  }
  // The id whose key `same(id)` confirms among those stored under `h`; kNone if none.
  template <typename Same>
  uint32_t Find(uint64_t h, Same&& same) const {
    for (size_t cell = h & mask_;; cell = (cell + 1) & mask_) {
      uint64_t c = cells_[cell];
      if (c == 0) return kNone;
      uint32_t id = static_cast<uint32_t>(c) - 1;
      if (c >> 32 == h >> 32 && same(id)) return id;
    }
  }
  void Prefetch(uint64_t h) const { __builtin_prefetch(&cells_[h & mask_]); }
  size_t memory_bytes() const { return cells_.capacity() * 8; }

 private:
  std::vector<uint64_t> cells_ = std::vector<uint64_t>(1, 0);
  uint64_t mask_ = 0;
};

}  // namespace strix
