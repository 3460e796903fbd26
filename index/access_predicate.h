// Access predicates: the indexable atoms through which a term enters the condition index.
// Stage: index (built by engine/compile.cc, stored by condition_index.cc).
// Interface: Atom. An atom is a necessary test on one field slot; the index only narrows,
// the residual condition decides. Covered by test/index_test.cc.
#pragma once

#include <cstdint>
#include <string>

#include "common/network.h"
#include "common/value.h"

namespace strix::index {

using TermId = uint32_t;

enum class AtomKind : uint8_t {
  kEq,
  kRange,
  kRegex,
  kContains,
  kStartsWith,
  kEndsWith,
  kCidr,     // the field is an address in `network`
  kPresent,  // the field is there and not null (`is not null`)
};

// Whether v is in the range from lo to hi, each end open or closed (NaN is in none): the test
// of a kRange atom, shared by the structures that hold ranges.
inline bool InRange(double v, double lo, double hi, bool lo_open, bool hi_open) {
  return (lo_open ? lo < v : lo <= v) && (hi_open ? v < hi : v <= hi);
}

struct Atom {
  AtomKind kind = AtomKind::kEq;
  uint32_t slot = 0;
  // kEq: a number, a bool, or a string (text holds the bytes).
  ValueKind value_kind = ValueKind::kString;
  double number = 0;
  bool boolean = false;
  std::string text;  // kEq string, regex pattern (flags folded in), or literal
  // kRange over numbers.
  double lo = 0, hi = 0;
  bool lo_open = false, hi_open = false;
  IpNetwork network;  // kCidr

  // Relative cost of probing through this atom; the compiler anchors a conjunction on the
  // cheapest, most selective choice.
  int cost() const {
    switch (kind) {
      case AtomKind::kEq:
        return 1;
      case AtomKind::kCidr:
        return 2;
      case AtomKind::kStartsWith:
      case AtomKind::kEndsWith:
        return 3;
      case AtomKind::kRange:
        return 4;
      case AtomKind::kContains:
        return 5;
      case AtomKind::kRegex:
        return 6;
      case AtomKind::kPresent:
        return 7;
    }
    return 9;
  }
};

}  // namespace strix::index
