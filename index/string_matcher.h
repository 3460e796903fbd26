// StringMatcher: many regular expressions and literals (contains / startswith / endswith)
// on one field, matched in one pass per shard with RE2::Set.
// Stage: index. Interface: Add(), Build(), Match(). RE2::Set has a DFA memory budget and
// fails with thousands of patterns, so patterns are sharded; a shard whose set cannot be
// built or runs out of memory while matching yields all of its terms as candidates (the
// residual condition then decides), never a silent "no match". Literals match byte-wise
// (Latin-1 sets), regexes as UTF-8. Covered by test/index_test.cc (10k patterns).
#pragma once

#include <re2/set.h>

#include <memory>
#include <string>
#include <vector>

#include "index/access_predicate.h"

namespace strix::index {

class StringMatcher {
 public:
  static constexpr size_t kShardSize = 1024;
  static constexpr int64_t kShardMemory = 64 << 20;

  // `pattern` is RE2 syntax; `literal` means it came from a quoted literal (Latin-1 set).
  void Add(std::string pattern, bool literal, TermId term);
  void Build();

  template <typename F>
  void Match(std::string_view text, std::vector<int>& scratch, F&& f) const {
    for (const Shard& s : shards_) {
      if (!s.set) {
        for (TermId t : s.terms) f(t);
        continue;
      }
      scratch.clear();
      RE2::Set::ErrorInfo info;
      if (!s.set->Match(text, &scratch, &info)) {
        if (info.kind != RE2::Set::kNoError) {
          for (TermId t : s.terms) f(t);
        }
        continue;
      }
      for (int i : scratch) f(s.terms[static_cast<size_t>(i)]);
    }
  }

  size_t patterns() const { return pending_.size() + built_patterns_; }
  size_t shards() const { return shards_.size(); }
  size_t failed_shards() const { return failed_; }

 private:
  struct Pending {
    std::string pattern;
    bool literal;
    TermId term;
  };
  struct Shard {
    std::unique_ptr<RE2::Set> set;  // null when it could not be built
    std::vector<TermId> terms;
  };
  std::vector<Pending> pending_;
  std::vector<Shard> shards_;
  size_t built_patterns_ = 0;
  size_t failed_ = 0;
};

}  // namespace strix::index
