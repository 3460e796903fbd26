// StringMatcher construction: groups patterns into RE2::Set shards (see string_matcher.h).
#include "index/string_matcher.h"

#include <algorithm>
#include <set>

namespace strix::index {

void StringMatcher::Add(std::string pattern, bool literal, TermId term) {
  pending_.push_back(Pending{std::move(pattern), literal, term});
}

void StringMatcher::AddLiteral(AtomKind kind, std::string literal, TermId term) {
  pending_literals_.push_back(PendingLiteral{kind, std::move(literal), term});
}

void StringMatcher::Build() {
  for (AtomKind kind : {AtomKind::kContains, AtomKind::kStartsWith, AtomKind::kEndsWith}) {
    Literals l;
    l.kind = kind;
    std::set<size_t> lengths;
    for (const PendingLiteral& p : pending_literals_) {
      if (p.kind == kind) lengths.insert(p.text.size());
    }
    // Too many distinct `contains` lengths would mean too many probes per value: the longest
    // ones go to RE2 instead.
    size_t keep = kind == AtomKind::kContains ? kMaxInfixLengths : lengths.size();
    size_t i = 0;
    for (size_t len : lengths) {
      if (i++ < keep) l.lengths.push_back(len);
    }
    for (PendingLiteral& p : pending_literals_) {
      if (p.kind != kind) continue;
      if (!std::binary_search(l.lengths.begin(), l.lengths.end(), p.text.size())) {
        Add(RE2::QuoteMeta(p.text), true, p.term);
        continue;
      }
      auto it = l.table.find(p.text);
      if (it == l.table.end()) {
        l.text.push_back(std::make_unique<std::string>(std::move(p.text)));
        it = l.table.emplace(std::string_view(*l.text.back()), std::vector<TermId>{}).first;
      }
      it->second.push_back(p.term);
      ++literal_count_;
    }
    literals_.push_back(std::move(l));
  }
  pending_literals_.clear();
  pending_literals_.shrink_to_fit();
  for (bool literal : {true, false}) {
    std::vector<const Pending*> group;
    for (const Pending& p : pending_) {
      if (p.literal == literal) group.push_back(&p);
    }
    for (size_t at = 0; at < group.size(); at += kShardSize) {
      size_t end = std::min(group.size(), at + kShardSize);
      RE2::Options opts;
      opts.set_log_errors(false);
      opts.set_max_mem(kShardMemory);
      if (literal) opts.set_encoding(RE2::Options::EncodingLatin1);
      Shard shard;
      shard.set = std::make_unique<RE2::Set>(opts, RE2::UNANCHORED);
      bool ok = true;
      for (size_t i = at; i < end; ++i) {
        std::string err;
        if (shard.set->Add(group[i]->pattern, &err) < 0) ok = false;
        shard.terms.push_back(group[i]->term);
      }
      if (!ok || !shard.set->Compile()) {
        shard.set.reset();
        ++failed_;
      }
      shards_.push_back(std::move(shard));
    }
  }
  built_patterns_ += pending_.size();
  pending_.clear();
  pending_.shrink_to_fit();
}

}  // namespace strix::index
