// BloomFilter: a blocked Bloom filter over 64-bit hashes, in front of the index's hash tables.
// Stage: index. Interface: Reset(keys), Add(hash), MayContain(hash), Prefetch(hash).
// Most probes of the equality and literal tables look for values no rule names; the filter
// answers those from one 64-bit word (about 12 bits per key, small enough to stay in cache)
// instead of a cache miss in the table. Three bits per key, all in the word the low bits of
// the hash choose: about 2% false positives, never a false negative.
// Covered by test/index_test.cc.
#pragma once

#include <cstdint>
#include <vector>

namespace strix::index {

class BloomFilter {
 public:
  void Reset(size_t keys) {
    size_t words = 1;
    while (words * 64 < keys * 12) words <<= 1;
    words_.assign(words, 0);
    mask_ = words - 1;
  }
  void Add(uint64_t h) { words_[h & mask_] |= Bits(h); }
  bool MayContain(uint64_t h) const {
    uint64_t b = Bits(h);
    return (words_[h & mask_] & b) == b;
  }
  void Prefetch(uint64_t h) const { __builtin_prefetch(&words_[h & mask_]); }
  size_t memory_bytes() const { return words_.capacity() * 8; }

 private:
  static uint64_t Bits(uint64_t h) {
    return uint64_t{1} << (h >> 58) | uint64_t{1} << (h >> 52 & 63) | uint64_t{1} << (h >> 46 & 63);
  }
  std::vector<uint64_t> words_ = {0};
  uint64_t mask_ = 0;
};

}  // namespace strix::index
