// StringMatcher construction: groups patterns into RE2::Set shards (see string_matcher.h).
#include "index/string_matcher.h"

namespace strix::index {

void StringMatcher::Add(std::string pattern, bool literal, TermId term) {
  pending_.push_back(Pending{std::move(pattern), literal, term});
}

void StringMatcher::Build() {
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
