// Globs of `x like "..."` (LANGUAGE.md 3.3): `*` matches any run of characters (none too), `?`
// exactly one character (a Unicode code point of UTF-8 text; a byte that starts no valid
// sequence counts as one), everything else itself, byte for byte. Anchored at both ends,
// case-sensitive; there is no escape character. Interface: GlobMatch, GlobLiterals.
// Covered by test/engine_test.cc ([L2]) and the differential test's reference.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strix {

// Whether `text` matches the glob `pattern`, in time O(|text| * |pattern|) at worst.
bool GlobMatch(std::string_view pattern, std::string_view text);

// The literal runs of a glob, for the index: the run before the first wildcard (`prefix`),
// the run after the last one (`suffix`), the runs in between (`inner`); `exact` when the
// pattern has no wildcard at all (then `prefix` is the whole pattern).
struct GlobLiterals {
  bool exact = false;
  std::string prefix, suffix;
  std::vector<std::string> inner;
};
GlobLiterals SplitGlob(std::string_view pattern);

}  // namespace strix
