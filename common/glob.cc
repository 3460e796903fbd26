// Glob matching for `like` (see glob.h).
#include "common/glob.h"

#include "common/json_text.h"

namespace strix {

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Greedy with one backtrack point: the last `*` seen and where its run may end next. A
  // later `*` makes the earlier one's choice final, so one point is enough.
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
      continue;
    }
    if (p < pattern.size() && pattern[p] == '?') {
      ++p;
      DecodeUtf8(text, t);  // one character: a code point, or one byte that starts none
      continue;
    }
    if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
      continue;
    }
    if (star == std::string_view::npos) return false;
    p = star + 1;  // let the star's run take one more character and try again
    DecodeUtf8(text, resume);
    t = resume;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

GlobLiterals SplitGlob(std::string_view pattern) {
  GlobLiterals out;
  size_t first = pattern.find_first_of("*?");
  if (first == std::string_view::npos) {
    out.exact = true;
    out.prefix = std::string(pattern);
    return out;
  }
  out.prefix = std::string(pattern.substr(0, first));
  size_t last = pattern.find_last_of("*?");
  out.suffix = std::string(pattern.substr(last + 1));
  std::string run;
  for (size_t i = first; i <= last; ++i) {
    if (pattern[i] == '*' || pattern[i] == '?') {
      if (!run.empty()) out.inner.push_back(std::move(run));
      run.clear();
    } else {
      run.push_back(pattern[i]);
    }
  }
  return out;
}

}  // namespace strix
