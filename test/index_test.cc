// Condition index tests: each structure against brute force (intervals, literal matchers for
// every anchor), regex prefilter and RE2 sets with 10k patterns, Bloom filter, type buckets.
#include <catch2/catch.hpp>
#include <limits>
#include <random>
#include <set>

#include "common/hash.h"
#include "index/bloom_filter.h"
#include "index/condition_index.h"
#include "index/interval_index.h"
#include "index/literal_matcher.h"
#include "index/narrow_ranges.h"
#include "index/range_bitmap.h"
#include "index/string_matcher.h"

using namespace strix;
using namespace strix::index;

TEST_CASE("interval index stabs exactly the intervals that contain the value", "[index]") {
  // Short and long intervals (segments, and coarse buckets past the segment budget), points,
  // empty intervals, shared open/closed endpoints, rays both ways and the whole line.
  // Clustered endpoints (all but one in a few radix buckets) take the binary search.
  // long_ones 3: half the line wide, as pub/sub subscriptions are (the coarse buckets).
  for (int long_ones : {0, 1, 2, 3}) {
    std::mt19937 rng(7 + long_ones);
    std::vector<IntervalIndex::Interval> ivs;
    for (uint32_t i = 0; i < 3000; ++i) {
      double lo = rng() % 1000, hi = lo + (long_ones == 1   ? rng() % 400
                                           : long_ones == 3 ? 500
                                                            : rng() % 6);
      if (long_ones == 2 && i == 0) lo = hi = 1e7;
      if (i % 17 == 0) hi = lo;      // a point, or empty when an end is open
      if (i % 23 == 0) hi = lo - 1;  // empty
      ivs.push_back({lo, hi, rng() % 3 == 0, rng() % 3 == 0, i});
    }
    const double inf = std::numeric_limits<double>::infinity();
    ivs.push_back({-inf, 5, false, true, 9000});
    ivs.push_back({-inf, 5, false, false, 9004});
    ivs.push_back({990, inf, true, false, 9001});
    ivs.push_back({990, inf, false, false, 9002});
    ivs.push_back({-inf, inf, false, false, 9003});
    IntervalIndex idx;
    idx.Build(ivs);
    CHECK((idx.coarse_intervals() > 0) == (long_ones == 1 || long_ones == 3));
    std::vector<double> values = {1e7, 1e7 + 1};
    for (double v = -3; v <= 1450; v += 0.5) values.push_back(v);
    for (double v : values) {
      std::multiset<TermId> want, got;
      for (const auto& x : ivs) {
        bool lo = x.lo_open ? x.lo < v : x.lo <= v;
        bool hi = x.hi_open ? v < x.hi : v <= x.hi;
        if (lo && hi) want.insert(x.term);
      }
      idx.Stab(v, [&](TermId t) { got.insert(t); });
      INFO("v=" << v << " long=" << long_ones);
      REQUIRE(got == want);  // each hit exactly once
    }
  }
}

TEST_CASE("string matcher handles 10k regexes and literals, never losing a match", "[index]") {
  StringMatcher m;
  for (uint32_t i = 0; i < 10000; ++i) {
    m.AddRegex("user" + std::to_string(i) + "x[0-9]+y", i);  // atom "user<i>x"
  }
  for (uint32_t i = 0; i < 1500; ++i) {  // no atoms: RE2::Set shards
    m.AddRegex(
        "^[0-9]{" + std::to_string(i % 40 + 1) + "}$|^[a-c]{" + std::to_string(i / 40) + "}-$",
        10000 + i);
  }
  for (uint32_t i = 0; i < 5000; ++i) {
    m.AddLiteral(AtomKind::kStartsWith, "/path/" + std::to_string(i) + "/", 20000 + i);
  }
  m.AddLiteral(AtomKind::kContains, "a.b", 30000);
  m.AddRegex("(?i)kelvin", 30001);
  m.AddRegex("(?i)caf\\x{e9}", 30002);     // its only atom is not ASCII: a set runs it
  m.AddRegex("abc.*defgh", 30003);         // both atoms required: enters through the longest
  m.AddRegex("x(abc|de)yz", 30004);        // either atom: enters through both
  m.AddRegex("(abcd.*efgh)|ijkl", 30005);  // no atom required: enters through all three
  m.Build();
  CHECK(m.shards() == 2);
  CHECK(m.failed_shards() == 0);
  CHECK(m.prefiltered_regexes() == 10004);
  StringMatcher::Scratch scratch;
  auto run = [&](const std::string& s) {
    std::set<TermId> got;
    m.Match(s, scratch, [&](TermId t) { got.insert(t); });
    return got;
  };
  CHECK(run("hello user1234x99y").count(1234) == 1);
  CHECK(run("hello user1234x99y").count(1235) == 0);
  CHECK(run("hello user1234x99y").size() < 10);  // the prefilter, not every regex
  CHECK(run("HELLO USER77X1Y").count(77) == 1);  // atoms are matched case-blind
  CHECK(run("12345").count(10004) == 1);
  CHECK(run("12345").count(10005) == 0);
  CHECK(run("/path/42/index").count(20042) == 1);
  CHECK(run("x/path/42/index").count(20042) == 0);
  CHECK(run("a.b").count(30000) == 1);
  CHECK(run("axb").count(30000) == 0);  // literals are literal, not regexes
  CHECK(run("the \xE2\x84\xAA"
            "elvin scale")
            .count(30001) == 1);  // KELVIN SIGN folds to k
  CHECK(run("CAF\xC3\x89").count(30002) == 1);
  CHECK(run("abc then DEFGH").count(30003) == 1);
  CHECK(run("abc then defg").count(30003) == 0);
  CHECK(run("xdeyz").count(30004) == 1);
  CHECK(run("XABCYZ").count(30004) == 1);
  CHECK(run("xdyz abc").count(30004) == 0);
  CHECK(run("xx ijkl").count(30005) == 1);
  CHECK(run("abcd, efgh").count(30005) == 1);
  CHECK(run("abc efg ijk").count(30005) == 0);
}

TEST_CASE("atoms see the value lower-cased the way RE2 folds ASCII letters", "[index]") {
  std::string out;
  StringMatcher::LowerForAtoms("AbC \xE2\x84\xAA \xC5\xBF \xC3\x89", out);
  CHECK(out == "abc k s \xC3\x89");
}

TEST_CASE("atoms: lower-casing eight bytes at a time equals a byte-wise reference", "[index]") {
  // Random values of ASCII letters, digits, punctuation and the folded non-ASCII sequences at
  // every offset, so that words of eight ASCII bytes and the byte-wise path alternate.
  auto reference = [](std::string_view t) {
    std::string o;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t.substr(i, 3) == "\xE2\x84\xAA") {
        o += 'k';
        i += 2;
      } else if (t.substr(i, 2) == "\xC5\xBF") {
        o += 's';
        i += 1;
      } else {
        o += t[i] >= 'A' && t[i] <= 'Z' ? static_cast<char>(t[i] + 32) : t[i];
      }
    }
    return o;
  };
  const std::vector<std::string> pieces = {"A",
                                           "Z",
                                           "a",
                                           "z",
                                           "@",
                                           "[",
                                           "`",
                                           "{",
                                           "0",
                                           "~",
                                           "\x7F",
                                           "\xE2\x84\xAA",
                                           "\xC5\xBF",
                                           "\xC3\x89",
                                           "\xE2",
                                           "\xC5",
                                           "Mozilla/5.0 ",
                                           "BOT"};
  std::mt19937 rng(5);
  std::string out;
  for (int k = 0; k < 5000; ++k) {
    std::string t;
    const size_t parts = rng() % 24;
    for (size_t i = 0; i < parts; ++i) t += pieces[rng() % pieces.size()];
    StringMatcher::LowerForAtoms(t, out);
    INFO("value '" << t << "'");
    REQUIRE(out == reference(t));
  }
  // Every byte value, each at every offset of a word.
  for (int b = 0; b < 256; ++b) {
    for (size_t at = 0; at < 9; ++at) {
      std::string t(17, 'Q');
      t[at] = static_cast<char>(b);
      StringMatcher::LowerForAtoms(t, out);
      REQUIRE(out == reference(t));
    }
  }
}

TEST_CASE("literal matcher equals a brute-force scan for every anchor", "[index]") {
  std::mt19937 rng(11);
  const char alphabet[] = "ab/.xyZ";
  auto word = [&](size_t max) {
    std::string w;
    size_t n = rng() % (max + 1);
    for (size_t i = 0; i < n; ++i) w.push_back(alphabet[rng() % 7]);
    return w;
  };
  using Anchor = LiteralMatcher::Anchor;
  for (Anchor anchor : {Anchor::kAnywhere, Anchor::kStart, Anchor::kEnd}) {
    LiteralMatcher m(anchor);
    std::vector<std::string> lits;
    for (uint32_t i = 0; i < 3000; ++i) {
      // Lengths 0..50: short literals, the 4-byte grams and literals past kMaxLiteral.
      lits.push_back(i % 50 == 0 ? word(50) : word(8));
      m.Add(lits.back(), i);
    }
    // A long literal whose anchored part (not the whole) occurs in a text below.
    std::string long_lit = std::string(40, 'Z') + "/tail";
    lits.push_back(long_lit);
    m.Add(long_lit, 3000);
    m.Add(lits[5], 5);  // the same literal and id twice: found once per position
    m.Build();
    for (int k = 0; k < 401; ++k) {
      std::string text = k == 400 ? std::string(45, 'Z') : word(k % 10 == 0 ? 80 : 12);
      std::set<uint32_t> want, got;
      for (uint32_t i = 0; i < lits.size(); ++i) {
        const std::string& l = lits[i];
        bool hit =
            anchor == Anchor::kAnywhere ? text.find(l) != std::string::npos
            : anchor == Anchor::kStart
                ? text.compare(0, l.size(), l) == 0
                : text.size() >= l.size() && text.compare(text.size() - l.size(), l.size(), l) == 0;
        if (hit) want.insert(i);
      }
      m.Match(text, [&](uint32_t id) { got.insert(id); });
      INFO("anchor " << int(anchor) << " text '" << text << "'");
      // Exact up to kMaxLiteral bytes; a longer literal may come when its anchored part occurs.
      for (uint32_t id : got) {
        if (lits[id].size() <= LiteralMatcher::kMaxLiteral) CHECK(want.count(id) == 1);
      }
      for (uint32_t id : want) CHECK(got.count(id) == 1);
    }
    std::set<uint32_t> got;
    m.Match(std::string(45, 'Z'), [&](uint32_t id) { got.insert(id); });
    CHECK(got.count(3000) == (anchor == Anchor::kEnd ? 0u : 1u));  // its first 34 bytes occur
  }
}

TEST_CASE("literal matching stays linear whatever the literals", "[index]") {
  // 300 literals of 35..334 bytes of one letter over a 100 KB value of that letter: a lookup
  // per distinct length at every position, each hashing up to 334 bytes, would take many
  // seconds; long literals stand for their first kMaxLiteral bytes, so a position costs at
  // most 34 lookups.
  LiteralMatcher m(LiteralMatcher::Anchor::kAnywhere);
  for (uint32_t i = 0; i < 300; ++i) m.Add(std::string(35 + i, 'a'), i);
  for (uint32_t i = 1; i <= 34; ++i) m.Add(std::string(i, 'a'), 1000 + i);
  m.Build();
  std::string text(100000, 'a');
  size_t calls = 0;
  m.Match(text, [&](uint32_t) { ++calls; });
  CHECK(calls <= text.size() * (34 + 300));  // each id at most once per position
  CHECK(calls >= text.size());
}

TEST_CASE("condition index routes by type, equality, range and string, deduplicated", "[index]") {
  ConditionIndexBuilder b;
  uint32_t tx = b.Bucket("tx"), login = b.Bucket("login");
  Atom eq;
  eq.kind = AtomKind::kEq;
  eq.slot = 3;
  eq.value_kind = ValueKind::kString;
  eq.text = "FR";
  b.Add(tx, eq, 0);
  Atom eqn = eq;
  eqn.value_kind = ValueKind::kNumber;
  eqn.number = 5;
  eqn.text.clear();
  b.Add(tx, eqn, 1);
  Atom range;
  range.kind = AtomKind::kRange;
  range.slot = 4;
  range.lo = 10;
  range.hi = 20;
  b.Add(tx, range, 2);
  b.Add(tx, eq, 2);  // rule 2 = range OR eq: must come out once
  Atom re;
  re.kind = AtomKind::kRegex;
  re.slot = 3;
  re.text = "(?i)^f";
  b.Add(login, re, 3);
  b.AddAlways(b.AnyBucket(), 4);
  b.AddAlways(login, 5);
  ConditionIndex idx = std::move(b).Build(6);
  ProbeScratch scratch(6);
  auto probe = [&](const char* type, Value s3, Value s4) {
    std::vector<Value> slots(5);
    slots[0] = Value::String(type);
    slots[3] = s3;
    slots[4] = s4;
    std::vector<TermId> out;
    idx.Probe(slots[0], slots, scratch, out);
    return std::multiset<TermId>(out.begin(), out.end());
  };
  CHECK(probe("tx", Value::String("FR"), Value::Number(15)) == std::multiset<TermId>{0, 2, 4});
  CHECK(probe("tx", Value::Number(5), Value::Number(25)) == std::multiset<TermId>{1, 4});
  CHECK(probe("tx", Value::Number(5.0), Value::String("15")) == std::multiset<TermId>{1, 4});
  CHECK(probe("login", Value::String("fr"), Value()) == std::multiset<TermId>{3, 4, 5});
  CHECK(probe("other", Value::String("FR"), Value::Number(15)) == std::multiset<TermId>{4});
  IndexStats st = idx.stats();
  CHECK(st.eq_entries == 2);
  CHECK(st.ranges == 1);
  CHECK(st.patterns == 1);
}

TEST_CASE("bloom filter never forgets a key and rarely admits others", "[index]") {
  BloomFilter f;
  f.Reset(10000);
  std::mt19937_64 rng(5);
  std::vector<uint64_t> keys;
  for (int i = 0; i < 10000; ++i) keys.push_back(MixHash(rng()));
  for (uint64_t k : keys) f.Add(k);
  for (uint64_t k : keys) REQUIRE(f.MayContain(k));
  int admitted = 0;
  for (int i = 0; i < 100000; ++i) admitted += f.MayContain(MixHash(rng()));
  CHECK(admitted < 5000);  // about 2% expected
  CHECK(admitted > 0);     // a filter, not a set
}

TEST_CASE("range bitmap: conjunctions of ranges by their misses, against a brute force",
          "[index][bitmap]") {
  // Random conjunctions of 1-4 ranges over 3 fields (open and closed ends, one-sided and empty
  // ranges), values on and between the endpoints (so on the cuts), missing and non-numbers;
  // small and large budgets (few and many cells per field). The fields' slots have gaps (no
  // range on slot 0, 2, 3 ...), as in a program where other fields sit between them.
  const uint32_t kSlots[] = {1, 4, 9};
  std::mt19937_64 rng(7);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const double inf = std::numeric_limits<double>::infinity();
  for (size_t budget : {size_t(0), size_t(1) << 12, size_t(1) << 20}) {
    std::vector<std::vector<RangeBitmap::Range>> rules(300);
    RangeBitmap m;
    for (size_t t = 0; t < rules.size(); ++t) {
      for (int k = pick(1, 4); k > 0; --k) {
        RangeBitmap::Range r{kSlots[pick(0, 2)], double(pick(-5, 20)), double(pick(-5, 20)),
                             pick(0, 1) == 1, pick(0, 1) == 1};
        if (pick(0, 5) == 0) r.lo = -inf;
        if (pick(0, 5) == 0) r.hi = inf;
        rules[t].push_back(r);
      }
      m.Add(static_cast<TermId>(1000 + t), rules[t]);
    }
    m.Build(budget);
    std::vector<uint64_t> scratch;
    for (int e = 0; e < 2000; ++e) {
      std::vector<Value> slots(10);
      for (uint32_t slot : kSlots) {
        Value& v = slots[slot];
        const int k = pick(0, 9);
        v = k == 0 ? Value() : k == 1 ? Value::String("5") : Value::Number(pick(-12, 50) / 2.0);
      }
      std::vector<TermId> got, want;
      m.Match(slots, scratch, [&](TermId t) { got.push_back(t); });
      for (size_t t = 0; t < rules.size(); ++t) {
        bool all = true;
        for (const RangeBitmap::Range& r : rules[t]) {
          const Value& v = slots[r.slot];
          const double x = v.number;
          all = all && v.kind == ValueKind::kNumber && (r.lo_open ? x > r.lo : x >= r.lo) &&
                (r.hi_open ? x < r.hi : x <= r.hi);
        }
        if (all) want.push_back(static_cast<TermId>(1000 + t));
      }
      INFO("budget " << budget << " event " << e);
      REQUIRE(got == want);
    }
  }
}

TEST_CASE("narrow ranges: conjunctions through their narrowest range, against a brute force",
          "[index][narrow]") {
  // Random conjunctions of 1-4 ranges over 3 fields, anchored on a random finite one of
  // widths zero to thousands (several width groups per field), guarded by another (a ray,
  // the whole line or a point as well); open and closed ends, empty ranges. Values on the
  // endpoints and one double either side of them, between them, -0, +-inf, missing and
  // non-numbers.
  std::mt19937_64 rng(23);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const double inf = std::numeric_limits<double>::infinity();
  for (int round = 0; round < 4; ++round) {
    std::vector<std::vector<NarrowRanges::Range>> rules(400);
    std::vector<double> ends;
    NarrowRanges m;
    for (size_t t = 0; t < rules.size(); ++t) {
      const int k = pick(1, 4);
      for (int i = 0; i < k; ++i) {
        const double scale = std::vector<double>{0.25, 1, 8, 300}[static_cast<size_t>(pick(0, 3))];
        const double lo = pick(-20, 20) * (round == 3 ? 1e12 : 0.5);
        const double w = pick(0, 3) == 0 ? 0 : pick(0, 8) * scale;
        NarrowRanges::Range r{static_cast<uint32_t>(pick(0, 2)), lo, lo + w, pick(0, 3) == 0,
                              pick(0, 3) == 0};
        if (i > 0 && pick(0, 4) == 0) r.lo = -inf;
        if (i > 0 && pick(0, 4) == 0) r.hi = inf;
        rules[t].push_back(r);
        for (double x : {r.lo, r.hi}) ends.push_back(x);
      }
      const size_t anchor = 0;
      const size_t guard = k == 1 ? 0 : static_cast<size_t>(pick(1, k - 1));
      m.Add(static_cast<TermId>(7 + t), rules[t], anchor, guard);
    }
    m.Build();
    CHECK(m.terms() == rules.size());
    for (int e = 0; e < 3000; ++e) {
      std::vector<Value> slots(3);
      for (Value& v : slots) {
        const int k = pick(0, 11);
        const double end = ends[static_cast<size_t>(pick(0, int(ends.size()) - 1))];
        v = k == 0   ? Value()
            : k == 1 ? Value::String("5")
            : k == 2 ? Value::Number(std::nextafter(end, inf))
            : k == 3 ? Value::Number(std::nextafter(end, -inf))
            : k <= 6 ? Value::Number(end)
            : k == 7 ? Value::Number(pick(0, 5) == 0 ? -0.0
                                     : pick(0, 1)    ? inf
                                                     : -inf)
                     : Value::Number(pick(-50, 400) / (round == 3 ? 1e-11 : 4.0));
      }
      std::vector<TermId> got, want;
      m.Match(slots, [&](TermId t) { got.push_back(t); });
      std::sort(got.begin(), got.end());
      for (size_t t = 0; t < rules.size(); ++t) {
        bool all = true;
        for (const NarrowRanges::Range& r : rules[t]) {
          const Value& v = slots[r.slot];
          all = all && v.kind == ValueKind::kNumber &&
                InRange(v.number, r.lo, r.hi, r.lo_open, r.hi_open);
        }
        if (all) want.push_back(static_cast<TermId>(7 + t));
      }
      INFO("round " << round << " event " << e);
      REQUIRE(got == want);
    }
  }
}

TEST_CASE("range bitmap: chosen for many wide conjunctions, narrow ranges for narrow ones",
          "[index][bitmap][narrow]") {
  // 2000 conjunctions of 3 ranges over a domain of 1000: 50% wide go to a bitmap, 0.1% wide
  // to NarrowRanges; both give the same terms as a brute force.
  for (double width : {500.0, 1.0}) {
    std::mt19937_64 rng(11);
    ConditionIndexBuilder b;
    const uint32_t bucket = b.Bucket("A");
    std::vector<std::vector<std::vector<Atom>>> preds_of(2000);
    for (TermId t = 0; t < 2000; ++t) {
      for (uint32_t f = 0; f < 3; ++f) {
        Atom a;
        a.kind = AtomKind::kRange;
        a.slot = 3 + f;
        a.lo = double(rng() % 1000);
        a.hi = a.lo + width;
        preds_of[t].push_back({a});
      }
      b.AddCounted(bucket, preds_of[t], t);
    }
    ConditionIndex idx = std::move(b).Build(2000);
    CHECK(idx.InRangeBitmap(0) == (width > 100));
    CHECK(idx.stats().bitmap_terms == (width > 100 ? 2000u : 0u));
    CHECK(idx.InNarrowRanges(0) == (width < 100));
    CHECK(idx.stats().narrow_terms == (width < 100 ? 2000u : 0u));
    ProbeScratch s(2000);
    for (int e = 0; e < 200; ++e) {
      std::vector<Value> slots(6);
      for (uint32_t f = 3; f < 6; ++f) slots[f] = Value::Number(double(rng() % 1000));
      std::vector<TermId> got;
      idx.Probe(Value::String("A"), slots, s, got);
      std::sort(got.begin(), got.end());
      std::vector<TermId> want;
      for (TermId t = 0; t < 2000; ++t) {
        bool all = true;
        for (const auto& p : preds_of[t]) {
          all = all && slots[p[0].slot].number >= p[0].lo && slots[p[0].slot].number <= p[0].hi;
        }
        if (all) want.push_back(t);
      }
      REQUIRE(got == want);
    }
  }
}

TEST_CASE("counted terms: hits of an earlier probe never count after the counters wrap",
          "[index]") {
  // `a == 1 and b == 2` counted (two equalities). One probe hits `a` only; 4094 probes hit
  // nothing; the next one, which carries the first one's probe number again (they run 1 to
  // 4095), hits `b` only: still no candidate, and one hitting both is one.
  ConditionIndexBuilder b;
  const uint32_t bucket = b.Bucket("A");
  Atom a, c;
  a.slot = 0;
  a.value_kind = ValueKind::kNumber;
  a.number = 1;
  c.slot = 1;
  c.value_kind = ValueKind::kNumber;
  c.number = 2;
  b.AddCounted(bucket, {{a}, {c}}, 0);
  ConditionIndex idx = std::move(b).Build(1);
  ProbeScratch s(1);
  auto probe = [&](double x, double y) {
    std::vector<Value> slots = {Value::Number(x), Value::Number(y)};
    std::vector<TermId> got;
    idx.Probe(Value::String("A"), slots, s, got);
    return got.size();
  };
  for (int round = 0; round < 3; ++round) {
    REQUIRE(probe(1, 0) == 0);
    for (int i = 0; i < 4094; ++i) REQUIRE(probe(0, 0) == 0);
    REQUIRE(probe(0, 2) == 0);
  }
  CHECK(probe(1, 2) == 1);
}
