// CidrIndex construction (see cidr_index.h).
#include "index/cidr_index.h"

#include <algorithm>
#include <tuple>

namespace strix::index {

CidrIndex::CidrIndex(std::vector<Entry> entries) : size_(entries.size()) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.net.v6, a.net.prefix, a.net.lo, a.term) <
           std::tie(b.net.v6, b.net.prefix, b.net.lo, b.term);
  });
  for (size_t i = 0; i < entries.size(); ++i) {
    const IpNetwork& n = entries[i].net;
    if (groups_.empty() || groups_.back().v6 != n.v6 ||
        groups_.back().mask != NetworkMask(n.v6, n.prefix)) {
      if (!groups_.empty()) groups_.back().begin.push_back(uint32_t(postings_.size()));
      Group g;
      g.v6 = n.v6;
      g.mask = NetworkMask(n.v6, n.prefix);
      groups_.push_back(std::move(g));
    }
    Group& g = groups_.back();
    if (g.keys.empty() || g.keys.back() != n.lo) {
      g.keys.push_back(n.lo);
      g.begin.push_back(uint32_t(postings_.size()));
    }
    postings_.push_back(entries[i].term);
  }
  if (!groups_.empty()) groups_.back().begin.push_back(uint32_t(postings_.size()));
}

size_t CidrIndex::memory_bytes() const {
  size_t b = postings_.capacity() * sizeof(TermId) + groups_.capacity() * sizeof(Group);
  for (const Group& g : groups_) b += g.keys.capacity() * 16 + g.begin.capacity() * 4;
  return b;
}

}  // namespace strix::index
