// StringMatcher: many regular expressions and literals (contains / startswith / endswith)
// on one field. Stage: index. Interface: Add(), AddLiteral(), Build(), Match().
// Literals go to hash tables bucketed by length: a value of n bytes is looked up once per
// distinct prefix/suffix length, and once per position for each distinct `contains` length,
// so thousands of literals cost a few dozen hash probes per value, whatever their number
// (byte-wise, as the language compares strings). When `contains` literals come in more than
// kMaxInfixLengths distinct lengths, the rest go to RE2 like regexes. Regexes are matched
// with RE2::Set: it has a DFA memory budget and fails with thousands of patterns, so
// patterns are sharded; a shard whose set cannot be built or runs out of memory while
// matching yields all of its terms as candidates (the residual condition then decides),
// never a silent "no match". Covered by test/index_test.cc (10k patterns).
#pragma once

#include <re2/set.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "index/access_predicate.h"

namespace strix::index {

class StringMatcher {
 public:
  static constexpr size_t kShardSize = 1024;
  static constexpr int64_t kShardMemory = 64 << 20;
  static constexpr size_t kMaxInfixLengths = 24;

  // `pattern` is RE2 syntax; `literal` means it came from a quoted literal (Latin-1 set).
  void Add(std::string pattern, bool literal, TermId term);
  // `kind` is kContains, kStartsWith or kEndsWith.
  void AddLiteral(AtomKind kind, std::string literal, TermId term);
  void Build();

  template <typename F>
  void Match(std::string_view text, std::vector<int>& scratch, F&& f) const {
    for (const Literals& l : literals_) {
      if (l.table.empty()) continue;
      for (size_t len : l.lengths) {
        if (len > text.size()) break;
        if (l.kind == AtomKind::kContains) {
          for (size_t at = 0; at + len <= text.size(); ++at) l.Find(text.substr(at, len), f);
        } else {
          l.Find(l.kind == AtomKind::kStartsWith ? text.substr(0, len)
                                                 : text.substr(text.size() - len),
                 f);
        }
      }
    }
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

  size_t patterns() const { return pending_.size() + built_patterns_ + literal_count_; }
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
  // Literals of one kind: text -> terms, and the distinct lengths (ascending).
  struct Literals {
    AtomKind kind = AtomKind::kContains;
    std::vector<size_t> lengths;
    // Keys view the heap strings of `text`, which stay put when a Literals moves (a deque
    // would not: std::vector copies elements whose move may throw).
    std::unordered_map<std::string_view, std::vector<TermId>> table;
    std::vector<std::unique_ptr<std::string>> text;
    template <typename F>
    void Find(std::string_view key, F& f) const {
      auto it = table.find(key);
      if (it == table.end()) return;
      for (TermId t : it->second) f(t);
    }
  };
  struct PendingLiteral {
    AtomKind kind;
    std::string text;
    TermId term;
  };
  std::vector<PendingLiteral> pending_literals_;
  std::vector<Literals> literals_;  // contains, startswith, endswith
  size_t literal_count_ = 0;
  std::vector<Pending> pending_;
  std::vector<Shard> shards_;
  size_t built_patterns_ = 0;
  size_t failed_ = 0;
};

}  // namespace strix::index
