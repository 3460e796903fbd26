// StringMatcher: many regular expressions and literals (contains / startswith / endswith)
// on one field. Stage: index. Interface: AddRegex(), AddLiteral(), Build(), Match().
//
// Literals go to three LiteralMatchers (anywhere, at the start, at the end): the cost per
// value does not grow with the number of literals.
// Regexes are prefiltered with the atoms of RE2's FilteredRE2 (LIBRARY-NOTES): the literal
// strings a match must contain. At build time each regex gets its own FilteredRE2, asked
// which atoms are required (the filter fails without them): a regex enters through its
// longest required atom, else through all of its atoms (`abc|defg`, `(ab.*cd)|efg`: the
// filter fails with none of them, so a match holds at least one). The atoms are found with a
// LiteralMatcher over a lower-cased copy of the value; the residual condition runs the regex
// itself. No FilteredRE2 is kept, so a regex is compiled once at run time (by the program). Other
// regexes (`^[0-9]+$`, no atoms) go to RE2::Set shards: a set has a DFA memory budget and fails
// with thousands of patterns, so patterns are sharded, and a shard whose set cannot be built or
// runs out of memory while matching yields all of its terms as candidates, never a silent "no
// match". Atoms are lower-cased (UTF-8): the value is lower-cased byte-wise for ASCII, KELVIN SIGN
// and LATIN SMALL LETTER LONG S become `k` and `s` (RE2 folds them with those letters under `i`),
// and atoms with non-ASCII bytes are never used, so the prefilter can only over-approximate.
// Covered by test/index_test.cc (10k patterns, case folding).
#pragma once

#include <re2/set.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "index/access_predicate.h"
#include "index/literal_matcher.h"

namespace strix::index {

class StringMatcher {
 public:
  static constexpr size_t kShardSize = 1024;
  static constexpr int64_t kShardMemory = 64 << 20;
  static constexpr int kMinAtomLength = 3;

  // Per-thread work space for Match().
  struct Scratch {
    std::string lowered;
    std::vector<int> regexes;
  };

  // `pattern` is RE2 syntax with the flags folded in, as the residual condition runs it.
  void AddRegex(std::string pattern, TermId term);
  // `kind` is kContains, kStartsWith or kEndsWith.
  void AddLiteral(AtomKind kind, std::string_view literal, TermId term);
  void Build();

  template <typename F>
  void Match(std::string_view text, Scratch& s, F&& f) const {
    contains_.Match(text, f);
    starts_.Match(text, f);
    ends_.Match(text, f);
    if (atoms_.size() > 0) {
      LowerForAtoms(text, s.lowered);
      atoms_.Match(s.lowered, f);
    }
    for (const Shard& sh : shards_) {
      if (!sh.set) {
        for (TermId t : sh.terms) f(t);
        continue;
      }
      s.regexes.clear();
      RE2::Set::ErrorInfo info;
      if (!sh.set->Match(text, &s.regexes, &info)) {
        if (info.kind != RE2::Set::kNoError) {
          for (TermId t : sh.terms) f(t);
        }
        continue;
      }
      for (int i : s.regexes) f(sh.terms[static_cast<size_t>(i)]);
    }
  }

  size_t patterns() const { return contains_.size() + starts_.size() + ends_.size() + regexes_; }
  size_t shards() const { return shards_.size(); }
  size_t failed_shards() const { return failed_; }
  size_t prefiltered_regexes() const { return prefiltered_; }

  // The value as the atoms see it (exposed for tests).
  static void LowerForAtoms(std::string_view text, std::string& out);

 private:
  struct Shard {
    std::unique_ptr<RE2::Set> set;  // null when it could not be built
    std::vector<TermId> terms;
  };
  struct PendingRegex {
    std::string pattern;
    TermId term;
  };
  void BuildShards(const std::vector<const PendingRegex*>& regexes);

  LiteralMatcher contains_{LiteralMatcher::Anchor::kAnywhere};
  LiteralMatcher starts_{LiteralMatcher::Anchor::kStart};
  LiteralMatcher ends_{LiteralMatcher::Anchor::kEnd};
  // The atoms through which a regex enters (lower-cased, ASCII); empty: it goes to a set.
  static std::vector<std::string> EntryAtoms(const std::string& pattern);

  std::vector<PendingRegex> pending_;
  LiteralMatcher atoms_{LiteralMatcher::Anchor::kAnywhere};  // atom -> regex terms
  std::vector<Shard> shards_;
  size_t regexes_ = 0, prefiltered_ = 0, failed_ = 0;
};

}  // namespace strix::index
