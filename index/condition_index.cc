// ConditionIndex build and probe (see condition_index.h).
#include "index/condition_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "common/hash.h"

namespace strix::index {

ConditionIndexBuilder::ConditionIndexBuilder() {
  drafts_.emplace_back();
}

uint32_t ConditionIndexBuilder::Bucket(std::string_view type) {
  auto it = type_ids_.find(std::string(type));
  if (it != type_ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(drafts_.size());
  drafts_.emplace_back();
  types_.emplace_back(type);
  type_ids_.emplace(std::string(type), id);
  return id;
}

void ConditionIndexBuilder::AddAlways(uint32_t bucket, TermId term) {
  drafts_[bucket].always.push_back(term);
}

void ConditionIndexBuilder::Add(uint32_t bucket, const Atom& a, TermId term) {
  BucketDraft& d = drafts_[bucket];
  switch (a.kind) {
    case AtomKind::kEq:
      eq_.push_back(EqItem{bucket, a.slot, a.value_kind, a.number, a.boolean, a.text, term});
      break;
    case AtomKind::kRange:
      d.ranges[a.slot].push_back(IntervalIndex::Interval{a.lo, a.hi, a.lo_open, a.hi_open, term});
      break;
    case AtomKind::kRegex:
      d.matchers[a.slot].AddRegex(a.text, term);
      break;
    case AtomKind::kContains:
    case AtomKind::kStartsWith:
    case AtomKind::kEndsWith:
      d.matchers[a.slot].AddLiteral(a.kind, a.text, term);
      break;
    case AtomKind::kCidr:
      d.cidrs[a.slot].push_back(CidrIndex::Entry{a.network, term});
      break;
    case AtomKind::kPresent:
      d.present[a.slot].push_back(term);
      break;
  }
}

bool g_range_bitmap_always_for_testing = false;

void ConditionIndexBuilder::AddCounted(uint32_t bucket,
                                       const std::vector<std::vector<Atom>>& predicates,
                                       TermId term) {
  bool ranges = true;
  for (const std::vector<Atom>& pred : predicates) {
    ranges = ranges && pred.size() == 1 && pred[0].kind == AtomKind::kRange;
  }
  if (!ranges) {
    EnterCounted(bucket, predicates, term);
    return;
  }
  RangeConjunction& c = drafts_[bucket].range_conjunctions.emplace_back();
  c.term = term;
  c.ranges.reserve(predicates.size());
  for (const std::vector<Atom>& pred : predicates) {
    const Atom& a = pred[0];
    c.ranges.push_back({a.slot, a.lo, a.hi, a.lo_open, a.hi_open});
  }
}

std::vector<ConditionIndexBuilder::SlotSpan> ConditionIndexBuilder::SpansOf(
    const std::vector<RangeConjunction>& lot) {
  std::vector<SlotSpan> slots;
  for (const RangeConjunction& c : lot) {
    for (const RangeBitmap::Range& r : c.ranges) {
      if (r.slot >= slots.size()) slots.resize(r.slot + 1);
      SlotSpan& s = slots[r.slot];
      for (double x : {r.lo, r.hi}) {
        if (!std::isfinite(x)) continue;
        s.lo = std::min(s.lo, x);
        s.hi = std::max(s.hi, x);
      }
      ++s.ranges;
    }
  }
  return slots;
}

double ConditionIndexBuilder::Share(const std::vector<SlotSpan>& spans,
                                    const RangeBitmap::Range& r) {
  const SlotSpan& s = spans[r.slot];
  if (!(s.hi > s.lo)) return 1;
  const double from = std::max(r.lo, s.lo), to = std::min(r.hi, s.hi);
  return to > from ? (to - from) / (s.hi - s.lo) : 0;
}

// Estimated cost per event, in rough nanoseconds: counting pays a counter per range an event
// falls in; the bitmap pays a word per rule and field, and the exact tests of a cell's edges.
bool ConditionIndexBuilder::PreferBitmap(const std::vector<RangeConjunction>& lot) {
  if (g_range_bitmap_always_for_testing) return true;
  if (lot.size() < 64) return false;
  const std::vector<SlotSpan> slots = SpansOf(lot);
  double counting = 0;
  for (const RangeConjunction& c : lot) {
    for (const RangeBitmap::Range& r : c.ranges) counting += 4 * Share(slots, r);
  }
  double fields = 0;
  for (const SlotSpan& s : slots) fields += s.ranges > 0;
  const double words = (static_cast<double>(lot.size()) + 63) / 64;
  const double cells =
      std::clamp(static_cast<double>(kBitmapBudget) / (words * 8 * fields), 2.0, 256.0);
  double bitmap = words * (fields * 0.5 + 1);
  for (const SlotSpan& s : slots) bitmap += 2 * 2 * static_cast<double>(s.ranges) / cells;
  return bitmap < counting;
}

bool g_narrow_ranges_always_for_testing = false;

// Per conjunction, in the units of PreferBitmap: NarrowRanges reads about twice the anchors
// that hold (its width groups are a factor of two wide) and tests their guards beside them,
// then the other ranges of those that pass (a cache miss each); counting pays every range's
// share; the bitmap a word per field and 64 rules.
std::unique_ptr<NarrowRanges> ConditionIndexBuilder::TakeNarrow(std::vector<RangeConjunction>& lot,
                                                                std::vector<TermId>& terms) {
  if (g_range_bitmap_always_for_testing) return nullptr;
  const std::vector<SlotSpan> spans = SpansOf(lot);
  double fields = 0;
  for (const SlotSpan& s : spans) fields += s.ranges > 0;
  const double bitmap = (fields * 0.5 + 1) / 64;
  std::unique_ptr<NarrowRanges> narrow;
  size_t kept = 0;
  std::vector<double> share;  // per range of the conjunction
  for (RangeConjunction& c : lot) {
    // The anchor: the finite range of least share; the guard: the least of the others.
    size_t anchor = c.ranges.size(), guard = c.ranges.size();
    double counting = 0;
    share.resize(c.ranges.size());
    for (size_t i = 0; i < c.ranges.size(); ++i) {
      const RangeBitmap::Range& r = c.ranges[i];
      share[i] = Share(spans, r);
      counting += 4 * share[i];
      if (std::isfinite(r.lo) && std::isfinite(r.hi) && std::isfinite(r.hi - r.lo) &&
          (anchor == c.ranges.size() || share[i] < share[anchor])) {
        anchor = i;
      }
    }
    bool take = false;
    if (anchor < c.ranges.size()) {
      for (size_t i = 0; i < c.ranges.size(); ++i) {
        if (i != anchor && (guard == c.ranges.size() || share[i] < share[guard])) guard = i;
      }
      if (guard == c.ranges.size()) guard = anchor;
      const double g = guard == anchor ? 1 : share[guard];
      const double cost = 3 * share[anchor] + 50 * share[anchor] * g;
      take = g_narrow_ranges_always_for_testing ||
             cost < std::min(counting, lot.size() >= 64 ? bitmap : counting);
    }
    if (!take) {
      if (&lot[kept] != &c) lot[kept] = std::move(c);
      ++kept;
      continue;
    }
    if (!narrow) narrow = std::make_unique<NarrowRanges>();
    narrow->Add(c.term, c.ranges, anchor, guard);
    terms.push_back(c.term);
  }
  lot.resize(kept);
  if (narrow) narrow->Build();
  return narrow;
}

void ConditionIndexBuilder::EnterCounted(uint32_t bucket,
                                         const std::vector<std::vector<Atom>>& predicates,
                                         TermId term) {
  for (const std::vector<Atom>& pred : predicates) {
    TermId q = static_cast<TermId>(pred_term_.size());
    pred_term_.push_back(term);
    bool dedupe = pred.size() > 1;
    for (const Atom& a : pred)
      dedupe = dedupe || (a.kind != AtomKind::kEq && a.kind != AtomKind::kRange);
    TermId id = dedupe ? ConditionIndex::kCounted | ConditionIndex::kDedupe | q
                       : ConditionIndex::kCounted |
                             static_cast<TermId>(predicates.size()) << ConditionIndex::kTermBits |
                             term;
    for (const Atom& a : pred) Add(bucket, a, id);
  }
  counted_.emplace_back(term, static_cast<uint32_t>(predicates.size()));
}

namespace {
Value ItemValue(ValueKind kind, double number, bool boolean, std::string_view text) {
  switch (kind) {
    case ValueKind::kNumber:
      return Value::Number(number);
    case ValueKind::kBool:
      return Value::Bool(boolean);
    default:
      return Value::String(text);
  }
}
}  // namespace

ConditionIndex ConditionIndexBuilder::Build(size_t num_terms) && {
  ConditionIndex idx;
  // Counted conjunctions of ranges: a bitmap per bucket where it is cheaper, else counted.
  std::vector<std::unique_ptr<RangeBitmap>> bitmaps(drafts_.size());
  std::vector<std::unique_ptr<NarrowRanges>> narrows(drafts_.size());
  for (size_t b = 0; b < drafts_.size(); ++b) {
    std::vector<RangeConjunction> lot = std::move(drafts_[b].range_conjunctions);
    if (lot.empty()) continue;
    narrows[b] = TakeNarrow(lot, idx.narrow_terms_);
    if (lot.empty()) continue;
    if (!PreferBitmap(lot)) {
      std::vector<std::vector<Atom>> preds;
      for (const RangeConjunction& c : lot) {
        preds.resize(c.ranges.size());
        for (size_t i = 0; i < c.ranges.size(); ++i) {
          const RangeBitmap::Range& r = c.ranges[i];
          preds[i].resize(1);
          Atom& a = preds[i][0];
          a.kind = AtomKind::kRange;
          a.slot = r.slot;
          a.lo = r.lo;
          a.hi = r.hi;
          a.lo_open = r.lo_open;
          a.hi_open = r.hi_open;
        }
        EnterCounted(static_cast<uint32_t>(b), preds, c.term);
      }
      continue;
    }
    bitmaps[b] = std::make_unique<RangeBitmap>();
    for (RangeConjunction& c : lot) {
      bitmaps[b]->Add(c.term, std::move(c.ranges));
      idx.bitmap_terms_.push_back(c.term);
    }
    bitmaps[b]->Build(kBitmapBudget);
  }
  std::sort(idx.bitmap_terms_.begin(), idx.bitmap_terms_.end());
  std::sort(idx.narrow_terms_.begin(), idx.narrow_terms_.end());
  idx.type_names_ = types_;
  idx.type_table_.Reset(types_.size());
  for (size_t i = 0; i < types_.size(); ++i) {
    idx.type_table_.Add(HashKeyBytes(types_[i]), static_cast<uint32_t>(i));
  }
  idx.buckets_.resize(drafts_.size());

  // Equality: group items by key, then place keys in an open-addressing table.
  std::sort(eq_.begin(), eq_.end(), [](const EqItem& a, const EqItem& b) {
    return std::tie(a.bucket, a.slot, a.kind, a.number, a.boolean, a.text, a.term) <
           std::tie(b.bucket, b.slot, b.kind, b.number, b.boolean, b.text, b.term);
  });
  size_t keys = 0;
  for (size_t i = 0; i < eq_.size(); ++i) {
    if (i == 0 ||
        std::tie(eq_[i].bucket, eq_[i].slot, eq_[i].kind, eq_[i].number, eq_[i].boolean,
                 eq_[i].text) != std::tie(eq_[i - 1].bucket, eq_[i - 1].slot, eq_[i - 1].kind,
                                          eq_[i - 1].number, eq_[i - 1].boolean, eq_[i - 1].text)) {
      ++keys;
    }
  }
  size_t total_text = 0;
  for (const EqItem& it : eq_) total_text += it.text.size();
  idx.strings_.reserve(total_text);
  idx.eq_table_.Reset(keys);
  idx.keys_.reserve(keys);
  idx.eq_bloom_.Reset(keys);
  idx.postings_.reserve(eq_.size());
  for (size_t i = 0; i < eq_.size();) {
    size_t j = i;
    ConditionIndex::EqEntry e;
    e.bucket = eq_[i].bucket;
    e.slot = eq_[i].slot;
    e.kind = eq_[i].kind;
    e.number = eq_[i].number;
    e.boolean = eq_[i].boolean;
    size_t text_at = idx.strings_.size();
    idx.strings_.insert(idx.strings_.end(), eq_[i].text.begin(), eq_[i].text.end());
    e.text = std::string_view(idx.strings_.data() + text_at, eq_[i].text.size());
    e.post_begin = static_cast<uint32_t>(idx.postings_.size());
    while (j < eq_.size() && eq_[j].bucket == eq_[i].bucket && eq_[j].slot == eq_[i].slot &&
           eq_[j].kind == eq_[i].kind && eq_[j].number == eq_[i].number &&
           eq_[j].boolean == eq_[i].boolean && eq_[j].text == eq_[i].text) {
      if (idx.postings_.size() == e.post_begin || idx.postings_.back() != eq_[j].term) {
        idx.postings_.push_back(eq_[j].term);
      }
      ++j;
    }
    e.post_len = static_cast<uint32_t>(idx.postings_.size()) - e.post_begin;
    e.hash =
        ConditionIndex::HashKey(e.bucket, e.slot, ItemValue(e.kind, e.number, e.boolean, e.text));
    idx.eq_table_.Add(e.hash, static_cast<uint32_t>(idx.keys_.size()));
    idx.keys_.push_back(e);
    idx.eq_bloom_.Add(e.hash);
    auto& slots = idx.buckets_[e.bucket].eq_slots;
    if (std::find(slots.begin(), slots.end(), e.slot) == slots.end()) slots.push_back(e.slot);
    i = j;
  }
  eq_.clear();
  eq_.shrink_to_fit();

  for (size_t b = 0; b < drafts_.size(); ++b) {
    BucketDraft& d = drafts_[b];
    ConditionIndex::Bucket& out = idx.buckets_[b];
    std::sort(d.always.begin(), d.always.end());
    d.always.erase(std::unique(d.always.begin(), d.always.end()), d.always.end());
    out.always = std::move(d.always);
    out.bitmap = std::move(bitmaps[b]);
    out.narrow = std::move(narrows[b]);
    for (auto& [slot, ivs] : d.ranges) {
      IntervalIndex ii;
      ii.Build(std::move(ivs));
      out.ranges.emplace_back(slot, std::move(ii));
    }
    for (auto& [slot, m] : d.matchers) {
      auto sm = std::make_unique<StringMatcher>(std::move(m));
      sm->Build();
      out.matchers.emplace_back(slot, std::move(sm));
    }
    for (auto& [slot, entries] : d.cidrs)
      out.cidrs.emplace_back(slot, CidrIndex(std::move(entries)));
    for (auto& [slot, terms] : d.present) {
      std::sort(terms.begin(), terms.end());
      terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
      out.present.emplace_back(slot, std::move(terms));
    }
    std::sort(out.cidrs.begin(), out.cidrs.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    std::sort(out.present.begin(), out.present.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    std::sort(out.eq_slots.begin(), out.eq_slots.end());
    std::sort(out.ranges.begin(), out.ranges.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    std::sort(out.matchers.begin(), out.matchers.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
  }
  if (!counted_.empty()) {
    idx.need_.assign(num_terms, 0);
    for (const auto& [term, n] : counted_) idx.need_[term] = n;
    idx.pred_term_ = std::move(pred_term_);
  }
  return idx;
}

const ConditionIndex::EqEntry* ConditionIndex::FindEq(uint32_t bucket, uint32_t slot,
                                                      const Value& v, uint64_t h) const {
  uint32_t id = eq_table_.Find(h, [&](uint32_t i) {
    const EqEntry& e = keys_[i];
    if (e.hash != h || e.bucket != bucket || e.slot != slot || e.kind != v.kind) return false;
    return v.kind == ValueKind::kNumber ? e.number == v.number
           : v.kind == ValueKind::kBool ? e.boolean == v.boolean
                                        : KeyEqual(e.text, v.text);
  });
  return id == KeyTable::kNone ? nullptr : &keys_[id];
}

void ConditionIndex::ProbeBucket(const Bucket& b, uint32_t id, const std::vector<Value>& slots,
                                 ProbeScratch& s, std::vector<TermId>& out) const {
  auto emit = [&](TermId t) {
    if (t & kCounted) {  // one predicate of a counted term: a candidate once all have hit
      uint32_t need;
      if (t & kDedupe) {
        const TermId q = t & ~(kCounted | kDedupe);
        if (s.pred_stamp[q] == s.epoch) return;
        s.pred_stamp[q] = s.epoch;
        t = pred_term_[q];
        need = need_[t];
      } else {
        need = (t >> kTermBits) & kMaxCounted;
        t &= kTermMask;
      }
      uint16_t& c = s.count[t];
      const uint16_t tag = static_cast<uint16_t>(s.count_epoch << 4);
      if ((c & 0xFFF0u) != tag) c = tag;
      static_assert(kMaxCounted <= 0xF, "hits of a counted term fit the cell's low 4 bits");
      if ((++c & 0xFu) != need) return;
    }
    if (s.stamp[t] != s.epoch) {
      s.stamp[t] = s.epoch;
      out.push_back(t);
    }
  };
  for (TermId t : b.always) emit(t);
  // Equality, a few fields at a time: hashes first with their Bloom words prefetched, then
  // the table cells of the survivors, so that the cache misses of the fields overlap.
  constexpr size_t kBatch = 16;
  uint64_t hashes[kBatch];
  uint32_t fields[kBatch];
  for (size_t at = 0; at < b.eq_slots.size(); at += kBatch) {
    size_t n = 0;
    for (size_t k = at; k < std::min(at + kBatch, b.eq_slots.size()); ++k) {
      uint32_t slot = b.eq_slots[k];
      const Value& v = slots[slot];
      if (v.kind != ValueKind::kNumber && v.kind != ValueKind::kString &&
          v.kind != ValueKind::kBool) {
        continue;
      }
      hashes[n] = HashKey(id, slot, v);
      eq_bloom_.Prefetch(hashes[n]);
      fields[n++] = slot;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!eq_bloom_.MayContain(hashes[i])) continue;
      eq_table_.Prefetch(hashes[i]);
      hashes[m] = hashes[i];
      fields[m++] = fields[i];
    }
    for (size_t i = 0; i < m; ++i) {
      if (const EqEntry* e = FindEq(id, fields[i], slots[fields[i]], hashes[i])) {
        for (uint32_t p = 0; p < e->post_len; ++p) emit(postings_[e->post_begin + p]);
      }
    }
  }
  for (const auto& [slot, ii] : b.ranges) {
    const Value& v = slots[slot];
    if (v.kind == ValueKind::kNumber) ii.Stab(v.number, emit);
  }
  for (const auto& [slot, m] : b.matchers) {
    const Value& v = slots[slot];
    if (v.kind == ValueKind::kString) m->Match(v.text, s.strings, emit);
  }
  for (const auto& [slot, ci] : b.cidrs) {
    const Value& v = slots[slot];
    if (v.kind != ValueKind::kString) continue;
    if (auto a = ParseIpAddress(v.text)) ci.Stab(*a, emit);
  }
  for (const auto& [slot, terms] : b.present) {
    const Value& v = slots[slot];
    if (v.kind == ValueKind::kMissing || v.kind == ValueKind::kNull) continue;
    for (TermId t : terms) emit(t);
  }
  if (b.bitmap) b.bitmap->Match(slots, s.miss, emit);  // whole conjunctions: plain terms
  if (b.narrow) b.narrow->Match(slots, emit);          // the same
}

uint32_t ConditionIndex::TypeBucket(std::string_view type) const {
  if (type_names_.size() <= 4) {  // a few types (the usual case): compared, not hashed
    for (size_t i = 0; i < type_names_.size(); ++i) {
      if (KeyEqual(type_names_[i], type)) return static_cast<uint32_t>(i) + 1;
    }
    return 0;
  }
  uint32_t id = type_table_.Find(HashKeyBytes(type),
                                 [&](uint32_t i) { return KeyEqual(type_names_[i], type); });
  return id == KeyTable::kNone ? 0 : id + 1;
}

void ConditionIndex::Probe(const Value& type, const std::vector<Value>& slots, ProbeScratch& s,
                           std::vector<TermId>& out) const {
  if (!pred_term_.empty() &&
      (s.count.size() < need_.size() || s.pred_stamp.size() < pred_term_.size())) {
    s.count.resize(std::max(s.count.size(), need_.size()), 0);
    s.pred_stamp.resize(std::max(s.pred_stamp.size(), pred_term_.size()), 0);
  }
  if (++s.epoch == 0) {  // wrapped: forget every old stamp
    std::fill(s.stamp.begin(), s.stamp.end(), 0);
    std::fill(s.pred_stamp.begin(), s.pred_stamp.end(), 0);
    s.epoch = 1;
  }
  if (++s.count_epoch == 4096) {  // the counters' own, shorter wrap
    std::fill(s.count.begin(), s.count.end(), 0);
    s.count_epoch = 1;
  }
  ProbeBucket(buckets_[0], 0, slots, s, out);
  if (type.kind == ValueKind::kString) {
    if (uint32_t b = TypeBucket(type.text)) ProbeBucket(buckets_[b], b, slots, s, out);
  }
}

IndexStats ConditionIndex::stats() const {
  IndexStats st;
  st.buckets = buckets_.size();
  st.postings = postings_.size();
  st.eq_entries = keys_.size();
  st.counted_predicates = pred_term_.size();
  for (uint32_t n : need_) st.counted_terms += n != 0;
  st.bitmap_terms = bitmap_terms_.size();
  st.counted_terms += bitmap_terms_.size();
  st.narrow_terms = narrow_terms_.size();
  st.counted_terms += narrow_terms_.size();
  st.memory_bytes = pred_term_.capacity() * 4 + need_.capacity() * 4 + eq_table_.memory_bytes() +
                    keys_.capacity() * sizeof(EqEntry) + postings_.capacity() * 4 +
                    strings_.capacity() + eq_bloom_.memory_bytes();
  for (const Bucket& b : buckets_) {
    st.always += b.always.size();
    st.memory_bytes += b.always.capacity() * 4;
    if (b.bitmap) st.memory_bytes += b.bitmap->memory_bytes();
    if (b.narrow) st.memory_bytes += b.narrow->memory_bytes();
    for (const auto& [slot, ii] : b.ranges) {
      st.ranges += ii.size();
      st.memory_bytes += ii.memory_bytes();
    }
    for (const auto& [slot, ci] : b.cidrs) {
      st.networks += ci.size();
      st.memory_bytes += ci.memory_bytes();
    }
    for (const auto& [slot, terms] : b.present) {
      st.present += terms.size();
      st.memory_bytes += terms.capacity() * 4;
    }
    for (const auto& [slot, m] : b.matchers) {
      st.patterns += m->patterns();
      st.matcher_shards += m->shards();
      st.failed_shards += m->failed_shards();
    }
  }
  return st;
}

}  // namespace strix::index
