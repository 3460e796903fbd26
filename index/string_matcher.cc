// StringMatcher construction: literal matchers, the regex prefilter and the RE2::Set shards
// for regexes without atoms (see string_matcher.h).
#include "index/string_matcher.h"

#include <re2/filtered_re2.h>

#include <cstring>

namespace strix::index {

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
  out.resize(text.size());
  char* o = out.data();
  const size_t n = text.size();
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  for (size_t i = 0; i < n;) {
    if (n - i >= 8) {  // eight ASCII bytes at once: bit 7 of each byte marks 'A'..'Z'
      uint64_t w;
      std::memcpy(&w, text.data() + i, 8);
      if ((w & kHigh) == 0) {
        const uint64_t upper = (w + (0x80 - 'A') * kOnes) & ~(w + (0x80 - 'Z' - 1) * kOnes) & kHigh;
        w |= upper >> 2;  // 0x80 >> 2 is the 0x20 between 'A' and 'a'
        std::memcpy(o, &w, 8);
        o += 8;
        i += 8;
        continue;
      }
    }
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
    *o++ = c;
    ++i;
  }
  out.resize(static_cast<size_t>(o - out.data()));
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

std::vector<std::string> StringMatcher::EntryAtoms(const std::string& pattern) {
  re2::FilteredRE2 f(kMinAtomLength);
  RE2::Options opts;
  opts.set_log_errors(false);
  int id = -1;
  if (f.Add(pattern, opts, &id) != RE2::NoError) return {};
  std::vector<std::string> atoms;
  f.Compile(&atoms);
  std::vector<int> given, passed;
  f.AllPotentials(given, &passed);
  if (!passed.empty()) return {};  // passes with no atom at all
  auto ascii = [](const std::string& a) {
    return std::all_of(a.begin(), a.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  };
  // A required atom: the filter fails with every atom but this one. (Each test walks the
  // regex's filter, so a regex with very many atoms skips the search.)
  std::string best;
  for (size_t a = 0; a < atoms.size() && atoms.size() <= 64; ++a) {
    if (!ascii(atoms[a]) || atoms[a].size() <= best.size()) continue;
    given.clear();
    for (size_t b = 0; b < atoms.size(); ++b) {
      if (b != a) given.push_back(static_cast<int>(b));
    }
    f.AllPotentials(given, &passed);
    if (passed.empty()) best = atoms[a];
  }
  if (!best.empty()) return {best};
  // Otherwise a match holds at least one of the atoms (the filter fails with none): the regex
  // enters through all of them, if all of them can be found.
  if (!std::all_of(atoms.begin(), atoms.end(), ascii)) return {};
  return atoms;
}

void StringMatcher::Build() {
  contains_.Build();
  starts_.Build();
  ends_.Build();
  regexes_ = pending_.size();
  std::vector<const PendingRegex*> unfiltered;
  for (const PendingRegex& r : pending_) {
    std::vector<std::string> atoms = EntryAtoms(r.pattern);
    if (atoms.empty()) {
      unfiltered.push_back(&r);  // RE2 refusing it makes its shard fail: a candidate always
      continue;
    }
    for (const std::string& a : atoms) atoms_.Add(a, r.term);
    ++prefiltered_;
  }
  atoms_.Build();
  BuildShards(unfiltered);
  pending_.clear();
  pending_.shrink_to_fit();
}

}  // namespace strix::index
