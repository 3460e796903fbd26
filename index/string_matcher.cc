// StringMatcher construction: literal matchers, the regex prefilter and the RE2::Set shards
// for regexes without atoms (see string_matcher.h).
#include "index/string_matcher.h"

namespace strix::index {

StringMatcher::StringMatcher() = default;
StringMatcher::StringMatcher(StringMatcher&&) noexcept = default;
StringMatcher& StringMatcher::operator=(StringMatcher&&) noexcept = default;
StringMatcher::~StringMatcher() = default;

void StringMatcher::AddRegex(std::string pattern, TermId term) {
  pending_.push_back(PendingRegex{std::move(pattern), term});
}

void StringMatcher::AddLiteral(AtomKind kind, std::string_view literal, TermId term) {
  LiteralMatcher& m = kind == AtomKind::kStartsWith ? starts_
                      : kind == AtomKind::kEndsWith ? ends_
                                                    : contains_;
  m.Add(literal, term);
}

void StringMatcher::LowerForAtoms(std::string_view text, std::string& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    } else if (c == '\xE2' && text.substr(i, 3) == "\xE2\x84\xAA") {  // U+212A KELVIN SIGN
      c = 'k';
      i += 2;
    } else if (c == '\xC5' && text.substr(i, 2) == "\xC5\xBF") {  // U+017F LONG S
      c = 's';
      i += 1;
    }
    out.push_back(c);
  }
}

void StringMatcher::BuildShards(const std::vector<const PendingRegex*>& regexes) {
  for (size_t at = 0; at < regexes.size(); at += kShardSize) {
    size_t end = std::min(regexes.size(), at + kShardSize);
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_max_mem(kShardMemory);
    Shard shard;
    shard.set = std::make_unique<RE2::Set>(opts, RE2::UNANCHORED);
    bool ok = true;
    for (size_t i = at; i < end; ++i) {
      std::string err;
      if (shard.set->Add(regexes[i]->pattern, &err) < 0) ok = false;
      shard.terms.push_back(regexes[i]->term);
    }
    if (!ok || !shard.set->Compile()) {
      shard.set.reset();
      ++failed_;
    }
    shards_.push_back(std::move(shard));
  }
}

void StringMatcher::Build() {
  contains_.Build();
  starts_.Build();
  ends_.Build();
  regexes_ = pending_.size();
  std::vector<const PendingRegex*> unfiltered;
  if (!pending_.empty()) {
    filtered_ = std::make_unique<re2::FilteredRE2>(kMinAtomLength);
    RE2::Options opts;
    opts.set_log_errors(false);
    std::vector<int> ids;  // per pending regex: its FilteredRE2 id, -1 if RE2 refused it
    for (const PendingRegex& r : pending_) {
      int id = -1;
      if (filtered_->Add(r.pattern, opts, &id) != RE2::NoError) id = -1;
      ids.push_back(id);
      if (id >= 0) filtered_terms_.push_back(r.term);
    }
    std::vector<std::string> atoms;
    filtered_->Compile(&atoms);
    // With no atoms found, exactly the regexes without atoms pass the filter.
    std::vector<int> none, open;
    filtered_->AllPotentials(none, &open);
    for (int r : open) filtered_terms_[static_cast<size_t>(r)] = kUnfiltered;
    for (size_t i = 0; i < pending_.size(); ++i) {
      // A refused regex goes to a shard, which then fails: its terms become candidates.
      if (ids[i] < 0 || filtered_terms_[static_cast<size_t>(ids[i])] == kUnfiltered) {
        unfiltered.push_back(&pending_[i]);
      }
    }
    prefiltered_ = filtered_terms_.size() - open.size();
    for (size_t a = 0; a < atoms.size(); ++a) {
      bool ascii = std::all_of(atoms[a].begin(), atoms[a].end(),
                               [](char c) { return static_cast<unsigned char>(c) < 0x80; });
      if (ascii) {
        atoms_.Add(atoms[a], static_cast<uint32_t>(a));
      } else {
        always_atoms_.push_back(static_cast<int>(a));
      }
    }
    atoms_.Build();
    if (prefiltered_ == 0) filtered_.reset();
  }
  BuildShards(unfiltered);
  pending_.clear();
  pending_.shrink_to_fit();
}

}  // namespace strix::index
