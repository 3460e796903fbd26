// LiteralMatcher construction: the exact table and the anchor filters (see literal_matcher.h).
#include "index/literal_matcher.h"

#include <algorithm>

#include "common/hash.h"

namespace strix::index {

void LiteralMatcher::Add(std::string_view literal, uint32_t id) {
  if (literal.size() > kMaxLiteral) {  // its anchored part stands for it
    literal = anchor_ == Anchor::kEnd ? literal.substr(literal.size() - kMaxLiteral)
                                      : literal.substr(0, kMaxLiteral);
  }
  pending_.emplace_back(std::string(literal), id);
}

void LiteralMatcher::Build() {
  std::sort(pending_.begin(), pending_.end());
  pending_.erase(std::unique(pending_.begin(), pending_.end()), pending_.end());
  size_t distinct = 0, total_bytes = 0;
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (i == 0 || pending_[i].first != pending_[i - 1].first) {
      ++distinct;
      total_bytes += pending_[i].first.size();
    }
  }
  size_t cap = 16;
  while (cap < distinct * 2) cap <<= 1;
  table_.assign(cap, Entry{});
  mask_ = cap - 1;
  bloom_.Reset(distinct);
  bytes_.reserve(total_bytes);
  ids_.reserve(pending_.size());

  // Anchor grams of the literals of kMinGram bytes or more, with their length bits.
  std::vector<std::pair<uint32_t, uint32_t>> grams;
  std::vector<std::pair<uint32_t, uint32_t>> far;  // far gram, length (literals > kMinGram)
  for (size_t i = 0; i < pending_.size();) {
    const std::string& text = pending_[i].first;
    size_t j = i;
    if (text.empty()) {
      for (; j < pending_.size() && pending_[j].first.empty(); ++j)
        empty_.push_back(pending_[j].second);
      i = j;
      continue;
    }
    Entry e;
    e.hash = Hash(text);
    e.at = static_cast<uint32_t>(bytes_.size());
    e.len = static_cast<uint32_t>(text.size());
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    e.ids_at = static_cast<uint32_t>(ids_.size());
    for (; j < pending_.size() && pending_[j].first == text; ++j)
      ids_.push_back(pending_[j].second);
    e.ids_len = static_cast<uint32_t>(j - i);
    size_t cell = e.hash & mask_;
    while (table_[cell].ids_len != 0) cell = (cell + 1) & mask_;
    table_[cell] = e;
    bloom_.Add(e.hash);
    ++literals_;

    const char* anchor = anchor_ == Anchor::kEnd ? text.data() + text.size() - 1 : text.data();
    if (text.size() < kMinGram) {
      short_[static_cast<unsigned char>(*anchor)] |= static_cast<uint8_t>(1u << (text.size() - 1));
      has_short_ = true;
    } else {
      const char* g = anchor_ == Anchor::kEnd ? text.data() + text.size() - kMinGram : text.data();
      grams.emplace_back(Load4(g), static_cast<uint32_t>(text.size() - kMinGram));
      if (text.size() > kMinGram) {
        const char* fg =
            anchor_ == Anchor::kEnd ? text.data() : text.data() + text.size() - kMinGram;
        far.emplace_back(Load4(fg), static_cast<uint32_t>(text.size()));
      }
    }
    i = j;
  }
  if (!grams.empty()) {
    std::sort(grams.begin(), grams.end());
    size_t distinct_grams = 0;
    for (size_t i = 0; i < grams.size(); ++i) {
      distinct_grams += i == 0 || grams[i].first != grams[i - 1].first;
    }
    // About 8 cells per distinct gram: a text position reaches the exact table by accident
    // about once in eight when the filter is full, less when it is sparse.
    unsigned bits = 6;
    while (bits < 20 && (size_t{1} << bits) < distinct_grams * 8) ++bits;
    gram_shift_ = 32 - bits;
    grams_.assign(size_t{1} << bits, 0);
    for (const auto& [gram, bit] : grams) grams_[GramCell(gram)] |= 1u << bit;
  }
  if (!far.empty()) {
    // About 16 bits per pair: one wrong length in sixteen reaches the exact table.
    unsigned bits = 6;
    while (bits < 26 && (size_t{1} << bits) < far.size() * 16) ++bits;
    far_shift_ = 32 - bits;
    far_.assign((size_t{1} << bits) / 64, 0);
    for (const auto& [gram, len] : far) {
      const size_t c = FarCell(gram, len);
      far_[c >> 6] |= uint64_t{1} << (c & 63);
    }
  }
  pending_.clear();
  pending_.shrink_to_fit();
}

}  // namespace strix::index
