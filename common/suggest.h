// Suggest: "did you mean" for a mistyped name (a keyword, a function, a subcommand, an option).
// Stage: shared (query-lang diagnostics and cli). Interface: Suggest(word, candidates).
// Covered by test/common_test.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strix {

// Edit distance (insertions, deletions, substitutions, adjacent transpositions).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo (distance at
// most 1 for short words, 2 for longer ones), else "". Ties go to the earlier candidate.
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace strix
