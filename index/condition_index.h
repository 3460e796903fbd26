// ConditionIndex: answers "which terms could this event satisfy?" without looking at the
// others. Stage: index (built by engine/compile.cc, probed by engine/ per event).
//
//   ConditionIndexBuilder b;
//   uint32_t bucket = b.Bucket("tx");            // or b.AnyBucket()
//   b.Add(bucket, atom, term);                   // one entry per atom; several per term = OR
//   b.AddAlways(bucket, term);                   // nothing indexable
//   b.AddCounted(bucket, {{a1}, {a2, a3}}, term);  // a1 AND (a2 OR a3), counted
//   ConditionIndex idx = std::move(b).Build(num_terms);
//   ProbeScratch scratch(num_terms);
//   idx.Probe(event.type(), event.slots, scratch, candidates);   // deduplicated terms
//
// Inside a bucket (one per event type, plus one for `any`): an open-addressing hash table for
// equality and `in` (behind a Bloom filter), an IntervalIndex per field for ranges and comparisons,
// a StringMatcher per field for regexes and literals, a CidrIndex per field for networks, the
// terms that only need a field to be there and not null, and the always-check list. Candidates are
// a superset: the caller confirms each with the term's residual condition. Counted terms
// (conjunctions of exact predicates, the counting algorithm of the pub/sub literature): each
// predicate (an OR of exact atoms) is entered in the same structures under a predicate id; a probe
// counts the distinct predicates hit per term (counters stamped with the probe's epoch, so nothing
// is reset between events) and a term is a candidate only once all of its predicates hit. A
// conjunction of wide ranges thus costs its hits, not one residual evaluation per rule that the
// widest range lets through. Thread safety: a built index is immutable; Probe is safe from many
// threads, each with its own ProbeScratch. Covered by test/index_test.cc and
// test/differential_test.cc.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/hash.h"
#include "common/key_table.h"
#include "common/value.h"
#include "index/access_predicate.h"
#include "index/bloom_filter.h"
#include "index/cidr_index.h"
#include "index/interval_index.h"
#include "index/narrow_ranges.h"
#include "index/range_bitmap.h"
#include "index/string_matcher.h"

namespace strix::index {

struct ProbeScratch {
  explicit ProbeScratch(size_t terms) : stamp(terms, 0) {}
  std::vector<uint32_t> stamp;
  uint32_t epoch = 0;
  StringMatcher::Scratch strings;
  // Counted terms: per predicate the epoch it was last hit in; per term a 16-bit cell
  // (count_epoch << 4 | hits), hits <= kMaxCounted: 2 bytes a term, so that the cells a probe
  // touches at random stay in cache (the hot loop of narrow conjunctions). count_epoch
  // counts probes modulo 4096 (0 never: fresh cells are 0); at a wrap every cell is cleared.
  // Sized by the first probe of an index with counted terms.
  std::vector<uint32_t> pred_stamp;
  std::vector<uint16_t> count;
  uint16_t count_epoch = 0;
  std::vector<uint64_t> miss;  // RangeBitmap::Match
};

// Tests set this to put every counted conjunction of ranges in a RangeBitmap, however few or
// narrow (the builder otherwise chooses by estimated cost). Never set outside tests.
extern bool g_range_bitmap_always_for_testing;
// Tests set this to put every counted conjunction of ranges that has a finite range in
// NarrowRanges (the builder otherwise chooses by estimated cost). Never set outside tests.
extern bool g_narrow_ranges_always_for_testing;

struct IndexStats {
  size_t buckets = 0, eq_entries = 0, postings = 0, ranges = 0, patterns = 0, always = 0;
  size_t networks = 0, present = 0;
  size_t counted_terms = 0, counted_predicates = 0, bitmap_terms = 0, narrow_terms = 0;
  size_t matcher_shards = 0, failed_shards = 0;
  size_t memory_bytes = 0;
};

class ConditionIndex;

class ConditionIndexBuilder {
 public:
  ConditionIndexBuilder();
  uint32_t AnyBucket() const { return 0; }
  uint32_t Bucket(std::string_view type);
  void Add(uint32_t bucket, const Atom& atom, TermId term);
  void AddAlways(uint32_t bucket, TermId term);
  // `term` holds when every predicate does; a predicate holds when any of its atoms does.
  // Every atom must be exact (decide its test alone: no regex prefilter, no long literal).
  // At most ConditionIndex::kMaxCounted predicates, and terms below 2^26.
  void AddCounted(uint32_t bucket, const std::vector<std::vector<Atom>>& predicates, TermId term);
  ConditionIndex Build(size_t num_terms) &&;

 private:
  struct EqItem {
    uint32_t bucket, slot;
    ValueKind kind;
    double number;
    bool boolean;
    std::string text;
    TermId term;
  };
  // Counted conjunctions whose predicates are each one range: entered at Build(), each one with
  // a narrow range in NarrowRanges where that is estimated cheaper, the rest of the bucket's
  // lot counted or in a RangeBitmap, whichever is estimated cheaper for it.
  struct RangeConjunction {
    TermId term;
    std::vector<RangeBitmap::Range> ranges;
  };
  void EnterCounted(uint32_t bucket, const std::vector<std::vector<Atom>>& predicates, TermId term);
  // Per slot, the span of the lot's finite endpoints and its number of ranges: a range's share
  // of its span stands for its share of the events (values taken as uniform there).
  struct SlotSpan {
    double lo = INFINITY, hi = -INFINITY;
    size_t ranges = 0;
  };
  static std::vector<SlotSpan> SpansOf(const std::vector<RangeConjunction>& lot);
  static double Share(const std::vector<SlotSpan>& spans, const RangeBitmap::Range& r);
  static bool PreferBitmap(const std::vector<RangeConjunction>& lot);
  // Moves the conjunctions estimated cheaper in NarrowRanges out of `lot` into a new one (null
  // when there are none); `terms` collects them.
  static std::unique_ptr<NarrowRanges> TakeNarrow(std::vector<RangeConjunction>& lot,
                                                  std::vector<TermId>& terms);
  static constexpr size_t kBitmapBudget = size_t(32) << 20;  // bytes of bitmaps per bucket
  struct BucketDraft {
    std::vector<RangeConjunction> range_conjunctions;
    std::vector<TermId> always;
    std::unordered_map<uint32_t, std::vector<IntervalIndex::Interval>> ranges;
    std::unordered_map<uint32_t, StringMatcher> matchers;
    std::unordered_map<uint32_t, std::vector<CidrIndex::Entry>> cidrs;
    std::unordered_map<uint32_t, std::vector<TermId>> present;
  };
  std::vector<std::string> types_;
  std::unordered_map<std::string, uint32_t> type_ids_;
  std::vector<BucketDraft> drafts_;
  std::vector<EqItem> eq_;
  std::vector<TermId> pred_term_;                     // predicate -> its term
  std::vector<std::pair<TermId, uint32_t>> counted_;  // term, number of predicates
};

class ConditionIndex {
 public:
  ConditionIndex() = default;
  ConditionIndex(ConditionIndex&&) = default;
  ConditionIndex& operator=(ConditionIndex&&) = default;

  // Appends to `out` every term that may hold for an event of this type and these slot
  // values, each once.
  void Probe(const Value& type, const std::vector<Value>& slots, ProbeScratch& scratch,
             std::vector<TermId>& out) const;

  IndexStats stats() const;
  // Whether counted term `t` is matched through a RangeBitmap (explain).
  bool InRangeBitmap(TermId t) const {
    return std::binary_search(bitmap_terms_.begin(), bitmap_terms_.end(), t);
  }
  // Whether counted term `t` is matched through NarrowRanges (explain).
  bool InNarrowRanges(TermId t) const {
    return std::binary_search(narrow_terms_.begin(), narrow_terms_.end(), t);
  }

  // Posting ids of counted predicates: the flag; then either (a predicate hit at most once per
  // probe: one equality or range atom) the term's number of predicates in 4 bits and the term
  // in 26, so that a hit touches one counter and nothing else; or (a predicate that may be hit
  // more than once: several atoms, or a string atom) a second flag and the predicate's number,
  // which the probe deduplicates and looks up.
  static constexpr TermId kCounted = 0x80000000u, kDedupe = 0x40000000u;
  static constexpr TermId kTermBits = 26, kTermMask = (1u << kTermBits) - 1;
  static constexpr uint32_t kMaxCounted = 15;  // predicates of a counted term (PlanAccess caps)

 private:
  friend class ConditionIndexBuilder;

  // One key of the equality table: (bucket, slot, value) and its postings.
  struct EqEntry {
    uint64_t hash = 0;
    uint32_t bucket = 0;
    uint32_t slot = 0;
    ValueKind kind = ValueKind::kMissing;
    bool boolean = false;
    double number = 0;
    std::string_view text;
    uint32_t post_begin = 0, post_len = 0;
  };
  struct Bucket {
    std::vector<TermId> always;
    std::vector<uint32_t> eq_slots;
    std::vector<std::pair<uint32_t, IntervalIndex>> ranges;
    std::vector<std::pair<uint32_t, std::unique_ptr<StringMatcher>>> matchers;
    std::vector<std::pair<uint32_t, CidrIndex>> cidrs;
    std::vector<std::pair<uint32_t, std::vector<TermId>>> present;  // `is not null`
    std::unique_ptr<RangeBitmap> bitmap;   // counted conjunctions of ranges matched by misses
    std::unique_ptr<NarrowRanges> narrow;  // counted conjunctions of ranges with a narrow one
  };

  // Inline: every equality field of every event is hashed. The (bucket, slot, kind) seed is
  // spread by one multiply; HashKeyBytes and MixHash avalanche the rest.
  static uint64_t HashKey(uint32_t bucket, uint32_t slot, const Value& v) {
    const uint64_t h =
        ((static_cast<uint64_t>(bucket) << 32 | slot) * 8 + static_cast<uint64_t>(v.kind)) *
        0x9e3779b97f4a7c15ULL;
    switch (v.kind) {
      case ValueKind::kNumber: {
        const double d = v.number == 0 ? 0.0 : v.number;  // -0 == 0
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        return MixHash(h ^ bits);
      }
      case ValueKind::kBool:
        return MixHash(h ^ (v.boolean ? 2 : 1));
      default:
        return HashKeyBytes(v.text, h);
    }
  }
  // `h` = HashKey(bucket, slot, v), already past the Bloom filter.
  const EqEntry* FindEq(uint32_t bucket, uint32_t slot, const Value& v, uint64_t h) const;
  void ProbeBucket(const Bucket& b, uint32_t id, const std::vector<Value>& slots, ProbeScratch& s,
                   std::vector<TermId>& out) const;

  uint32_t TypeBucket(std::string_view type) const;  // 0: no bucket of its own

  KeyTable type_table_;                  // event type -> index in type_names_
  std::vector<std::string> type_names_;  // bucket b's type is type_names_[b - 1]
  std::vector<Bucket> buckets_;
  KeyTable eq_table_;          // HashKey -> index in keys_
  std::vector<EqEntry> keys_;  // the equality keys, dense
  BloomFilter eq_bloom_;       // the hashes of keys_
  std::vector<TermId> postings_;
  std::vector<char> strings_;         // bytes of string keys (a vector: its buffer survives moves)
  std::vector<TermId> pred_term_;     // counted predicate -> term
  std::vector<uint32_t> need_;        // per term: predicates to hit (0: not counted)
  std::vector<TermId> bitmap_terms_;  // sorted: the terms in some bucket's RangeBitmap
  std::vector<TermId> narrow_terms_;  // sorted: the terms in some bucket's NarrowRanges
};

}  // namespace strix::index
