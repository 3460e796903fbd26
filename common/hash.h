// 64-bit hashing for deterministic complex-event ids and hash tables.
// Stage: shared. Interface: Hasher (incremental), HashBytes, MixHash, HashKeyBytes, KeyEqual.
// Stable across runs and platforms (no seeds), so ids are reproducible.
// Covered by test/common_test.cc.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace strix {

// Final avalanche step (the splitmix64 finaliser constants).
inline uint64_t MixHash(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// FNV-1a over bytes, then mixed; good enough for ids and hash tables of short keys.
inline uint64_t HashBytes(std::string_view s, uint64_t seed = 0xcbf29ce484222325ULL) {
  uint64_t h = seed;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return MixHash(h);
}

// Word-at-a-time hash for in-process hash tables (not for ids: it reads machine words, so
// its values depend on the byte order). Always inlined: the index hashes every field value.
[[gnu::always_inline]] inline uint64_t HashKeyBytes(std::string_view s, uint64_t seed = 0) {
  uint64_t h = seed ^ (s.size() * 0x9e3779b97f4a7c15ULL);
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
  }
  // The last 1-7 bytes without a byte loop: two overlapping 4-byte loads, or the first,
  // middle and last byte (together they cover every byte; the length is in the seed).
  uint64_t w;
  if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    w = uint64_t{a} << 32 | b;
  } else if (n > 0) {
    w = uint64_t{static_cast<unsigned char>(p[0])} << 16 |
        uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 | static_cast<unsigned char>(p[n - 1]);
  } else {
    return MixHash(h);
  }
  return MixHash((h ^ w) * 0x94d049bb133111ebULL);
}

// Byte equality of two keys of `n` bytes, without a call for the short ones (hash tables
// compare keys of a few bytes on every hit).
inline bool KeyBytesEqual(const char* a, const char* b, size_t n) {
  auto load8 = [](const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  auto load4 = [](const char* p) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
  };
  if (n >= 8) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    return load8(a) == load8(b) && load8(a + n - 8) == load8(b + n - 8);
  }
  if (n >= 4) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

inline bool KeyEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && KeyBytesEqual(a.data(), b.data(), a.size());
}

class Hasher {
 public:
  // Adds a length-prefixed string so that ("ab","c") and ("a","bc") differ.
  Hasher& Add(std::string_view s) {
    h_ = HashBytes(s, h_ ^ MixHash(s.size() + 0x9e3779b97f4a7c15ULL));
    return *this;
  }
  Hasher& Add(uint64_t v) {
    h_ = MixHash(h_ ^ (v + 0x9e3779b97f4a7c15ULL + (h_ << 6) + (h_ >> 2)));
    return *this;
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0x84222325cbf29ce4ULL;
};

}  // namespace strix
