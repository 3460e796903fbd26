// LiteralMatcher: which of many literals occur in a text — anywhere (contains), at its start
// (startswith) or at its end (endswith). Stage: index (the literal prefilter of StringMatcher).
// Interface: Add(), Build(), Match().
//
// Every literal sits in one exact hash table (bytes -> ids). In front of it, a filter keyed
// by the literal's anchor bytes: for literals of 4 bytes or more, its first 4 bytes (last 4
// for endswith) hash into a table of 32-bit masks, one bit per literal length up to
// kMaxLiteral; shorter literals use a 256-entry mask table keyed by one byte. A text
// position costs one 4-byte load, one multiply and one small-table read, and reaches the
// exact table (behind a Bloom filter) only for the lengths whose bit is set, so the cost per
// value does not grow with the number of literals. A length bit names every literal of that
// length under the anchor gram, so with many literals sharing a gram ("/p12/", "/p123/", ...)
// most lengths miss: a second filter, one bit per (far gram, length) where the far gram is the
// literal's 4 bytes at its other end, turns those away with one load and one multiply before
// the exact table is hashed.
// A literal longer than kMaxLiteral is stored as its first kMaxLiteral bytes (last, for
// endswith) and reported when those occur: exact up to kMaxLiteral bytes, a superset beyond
// (the caller tests it again). So a position never costs more than 34 lookups of at most 34
// bytes, whatever the literals: matching is linear in the value. Byte-wise, as the language
// compares strings. Not thread-safe to build; a built matcher is immutable. Covered by
// test/index_test.cc.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.h"
#include "index/bloom_filter.h"

namespace strix::index {

class LiteralMatcher {
 public:
  enum class Anchor : uint8_t { kAnywhere, kStart, kEnd };

  // Literals up to this length are matched exactly; longer ones by their anchored part.
  static constexpr size_t kMaxLiteral = 34;

  explicit LiteralMatcher(Anchor anchor = Anchor::kAnywhere) : anchor_(anchor) {}

  void Add(std::string_view literal, uint32_t id);
  void Build();

  // Calls f(id) for every literal found; an id may come more than once (a literal that
  // occurs at several positions).
  template <typename F>
  void Match(std::string_view text, F&& f) const {
    for (uint32_t id : empty_) f(id);
    if (table_.empty() || text.empty()) return;
    const size_t n = text.size();
    if (anchor_ == Anchor::kEnd) {
      ProbeLengths(text, n, short_[static_cast<unsigned char>(text[n - 1])], 1, f);
      if (n >= kMinGram && !grams_.empty()) {
        ProbeLengths(text, n, grams_[GramCell(Load4(text.data() + n - kMinGram))], kMinGram, f);
      }
      return;
    }
    const size_t last = anchor_ == Anchor::kStart ? 0 : n - 1;
    if (has_short_) {
      for (size_t at = 0; at <= last; ++at) {
        ProbeLengths(text, at, short_[static_cast<unsigned char>(text[at])], 1, f);
      }
    }
    if (grams_.empty() || n < kMinGram) return;
    // The hot loop: one load, multiply and table read per position.
    const size_t last_gram = std::min(last, n - kMinGram);
    for (size_t at = 0; at <= last_gram; ++at) {
      if (uint32_t m = grams_[GramCell(Load4(text.data() + at))]) {
        ProbeLengths(text, at, m, kMinGram, f);
      }
    }
  }

  size_t size() const { return literals_; }
  size_t memory_bytes() const {
    return table_.capacity() * sizeof(Entry) + bytes_.capacity() + ids_.capacity() * 4 +
           grams_.capacity() * 4 + far_.capacity() * 8 + sizeof(short_) + bloom_.memory_bytes();
  }

 private:
  static constexpr size_t kMinGram = 4;

  struct Entry {
    uint64_t hash = 0;
    uint32_t at = 0, len = 0;          // bytes_[at, at + len)
    uint32_t ids_at = 0, ids_len = 0;  // ids_[ids_at, ids_at + ids_len); 0 = empty cell
  };

  static uint32_t Load4(const char* p) {
    uint32_t g;
    std::memcpy(&g, p, 4);
    return g;
  }
  size_t GramCell(uint32_t gram) const { return (gram * 0x9E3779B1u) >> gram_shift_; }
  // The (far gram, length) filter: one bit per cell of far_.
  size_t FarCell(uint32_t gram, size_t len) const {
    return static_cast<uint32_t>((gram ^ static_cast<uint32_t>(len) * 0x9E3779B1u) * 0x85EBCA77u) >>
           far_shift_;
  }
  bool FarBit(uint32_t gram, size_t len) const {
    const size_t c = FarCell(gram, len);
    return far_[c >> 6] >> (c & 63) & 1;
  }
  // The exact table's hash, inline at every probe (HashKeyBytes reads short literals with one
  // or two loads, no loop).
  static uint64_t Hash(std::string_view s) { return HashKeyBytes(s, 0x6c69746572616cULL); }

  template <typename F>
  void Lookup(std::string_view key, F& f) const {
    uint64_t h = Hash(key);
    if (!bloom_.MayContain(h)) return;
    for (size_t cell = h & mask_;; cell = (cell + 1) & mask_) {
      const Entry& e = table_[cell];
      if (e.ids_len == 0) return;
      if (e.hash == h && e.len == key.size() &&
          KeyBytesEqual(bytes_.data() + e.at, key.data(), key.size())) {
        for (uint32_t i = 0; i < e.ids_len; ++i) f(ids_[e.ids_at + i]);
        return;
      }
    }
  }

  // The literals whose length bits are set in `m` (bit b: length b + base) that start at
  // `at` — or, for kEnd, that end at `at` (the text's end).
  template <typename F>
  void ProbeLengths(std::string_view text, size_t at, uint32_t m, size_t base, F& f) const {
    const bool ends = anchor_ == Anchor::kEnd;
    const size_t room = ends ? at : text.size() - at;
    for (; m; m &= m - 1) {
      size_t len = static_cast<size_t>(__builtin_ctz(m)) + base;
      if (len > room) break;  // the bits go up in length
      const char* start = ends ? text.data() + at - len : text.data() + at;
      if (len > kMinGram && !FarBit(Load4(ends ? start : start + len - kMinGram), len)) continue;
      Lookup(std::string_view(start, len), f);
    }
  }

  Anchor anchor_;
  std::vector<std::pair<std::string, uint32_t>> pending_;
  std::vector<uint32_t> empty_;  // ids of "" (found in every string)
  std::vector<Entry> table_;     // open addressing, power-of-two size
  BloomFilter bloom_;            // the hashes in table_
  size_t mask_ = 0;
  std::vector<char> bytes_;
  std::vector<uint32_t> ids_;
  std::vector<uint32_t> grams_;  // anchor gram cell -> length bits
  unsigned gram_shift_ = 32;
  std::vector<uint64_t> far_;  // FarCell bits of the literals longer than kMinGram
  unsigned far_shift_ = 32;
  uint8_t short_[256] = {};  // anchor byte -> bits of lengths 1..3
  bool has_short_ = false;
  size_t literals_ = 0;
};

}  // namespace strix::index
