// Tests for common/: RFC 3339 times, durations, JSON text output, hashing, the huge-page
// allocator.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <random>

#include "common/hash.h"
#include "common/huge_pages.h"
#include "common/json_text.h"
#include "common/key_table.h"
#include "common/parallel_choice.h"
#include "common/sorted_ids.h"
#include "common/time.h"

using namespace strix;

TEST_CASE("RFC 3339 times parse with offsets and fractions", "[common]") {
  CHECK(ParseRfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseRfc3339("2026-01-01T00:00:05Z") == 1767225605000);
  CHECK(ParseRfc3339("2026-01-01T02:00:05.250+02:00") == 1767225605250);
  CHECK(ParseRfc3339("2026-01-01T00:00:05.250Z") == 1767225605250);
  CHECK(ParseRfc3339("1969-12-31T23:59:59.999Z") == -1);
  CHECK(ParseRfc3339("2024-02-29T00:00:00-01:30") == ParseRfc3339("2024-02-29T01:30:00Z"));
  CHECK_FALSE(ParseRfc3339("yesterday"));
  CHECK_FALSE(ParseRfc3339("2023-02-29T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2026-01-01T00:00:05"));
  CHECK_FALSE(ParseRfc3339("2026-01-01T00:00:05Zjunk"));
  CHECK_FALSE(ParseRfc3339("2026-13-01T00:00:05Z"));
}

TEST_CASE("times format as UTC with milliseconds and round-trip", "[common]") {
  CHECK(FormatRfc3339Ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatRfc3339Ms(1767225605250) == "2026-01-01T00:00:05.250Z");
  CHECK(FormatRfc3339Ms(-1) == "1969-12-31T23:59:59.999Z");
  for (TimeMs t : {0LL, 1LL, 86399999LL, 951782400000LL, 4102444800123LL, -86400001LL}) {
    CHECK(ParseRfc3339(FormatRfc3339Ms(t)) == t);
  }
  // The digits are written by hand for years 0-9999 (every field, every width).
  CHECK(FormatRfc3339Ms(-62135596800000LL) == "0001-01-01T00:00:00.000Z");
  CHECK(FormatRfc3339Ms(253402300799999LL) == "9999-12-31T23:59:59.999Z");
  CHECK(FormatRfc3339Ms(1000000000007LL) == "2001-09-09T01:46:40.007Z");
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    TimeMs t = static_cast<TimeMs>(rng() % 315537897600000ULL) - 62167219200000LL;  // 0000-9999
    CHECK(ParseRfc3339(FormatRfc3339Ms(t)) == t);
  }
}

TEST_CASE("durations", "[common]") {
  CHECK(ParseDuration("250ms") == 250);
  CHECK(ParseDuration("30s") == 30000);
  CHECK(ParseDuration("10m") == 600000);
  CHECK(ParseDuration("2h") == 7200000);
  CHECK(ParseDuration("1d") == 86400000);
  CHECK_FALSE(ParseDuration("10"));
  CHECK_FALSE(ParseDuration("m"));
  CHECK_FALSE(ParseDuration("5w"));
  CHECK(FormatDuration(90000) == "90s");
  CHECK(FormatDuration(7200000) == "2h");
  CHECK(FormatDuration(1500) == "1500ms");
}

TEST_CASE("JSON text escapes strings and prints numbers minimally", "[common]") {
  std::string s;
  AppendJsonString(s, "a\"b\\c\n\x01");
  CHECK(s == R"("a\"b\\c\n\u0001")");
  s.clear();
  AppendJsonString(s, std::string("ok \xff end"));
  CHECK(s == R"("ok \ufffd end")");
  s.clear();
  AppendJsonString(s, "caf\xc3\xa9");
  CHECK(s == "\"caf\xc3\xa9\"");
  s.clear();
  AppendJsonNumber(s, 55000);
  CHECK(s == "55000");
  s.clear();
  AppendJsonNumber(s, 99.5);
  CHECK(s == "99.5");
  CHECK(CountCodePoints("caf\xc3\xa9") == 4);
}

TEST_CASE("JSON strings read back as written, numbers print as the shortest form", "[common]") {
  // Random strings of runs of plain ASCII, quotes, backslashes, control bytes and valid UTF-8:
  // the JSON text parses (simdjson) back to the same bytes.
  const std::vector<std::string> pieces = {"a",
                                           "plain words ",
                                           "\"",
                                           "\\",
                                           "\n",
                                           "\r",
                                           "\t",
                                           std::string(1, '\0'),
                                           "\x01",
                                           "\x1f",
                                           "\x7f",
                                           " ",
                                           "caf\xc3\xa9",
                                           "\xe2\x82\xac",
                                           "\xf0\x9f\x98\x80"};
  std::mt19937 rng(3);
  simdjson::dom::parser parser;
  for (int k = 0; k < 3000; ++k) {
    std::string in;
    const size_t parts = rng() % 12;
    for (size_t i = 0; i < parts; ++i) in += pieces[rng() % pieces.size()];
    std::string text;
    AppendJsonString(text, in);
    std::string_view back;
    INFO("string '" << in << "' as " << text);
    REQUIRE(parser.parse(text).get(back) == simdjson::SUCCESS);
    REQUIRE(back == in);
  }
  // Numbers: integers below 1e15 print as integers, others as std::to_chars' shortest form.
  std::string out;
  for (double d : {0.0, -0.0, 1.0, -1.0, 999999999999999.0, -999999999999999.0, 1e15, -1e15, 0.5,
                   -2.5, 1e300, 123456789.25, 4503599627370497.0}) {
    out.clear();
    AppendJsonNumber(out, d);
    char buf[64];
    auto r = std::fabs(d) < 1e15 && d == std::floor(d)
                 ? std::to_chars(buf, buf + sizeof buf, static_cast<long long>(d))
                 : std::to_chars(buf, buf + sizeof buf, d);
    CHECK(out == std::string(buf, r.ptr));
  }
}

TEST_CASE("hashes are stable and order-sensitive", "[common]") {
  CHECK(Hasher().Add("ab").Add("c").value() != Hasher().Add("a").Add("bc").value());
  CHECK(Hasher().Add("x").value() == Hasher().Add("x").value());
  CHECK(HashBytes("abc") == HashBytes("abc"));
}

TEST_CASE("key equality and key hashes see every byte of every length", "[common]") {
  for (size_t n = 0; n <= 40; ++n) {
    std::string a(n, 'a');
    for (size_t i = 0; i < n; ++i) a[i] = static_cast<char>('a' + i % 26);
    CHECK(KeyEqual(a, std::string(a)));
    CHECK_FALSE(KeyEqual(a, a + "x"));
    for (size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = static_cast<char>(b[i] ^ 0x40);
      INFO("length " << n << " byte " << i);
      CHECK_FALSE(KeyEqual(a, b));
      CHECK(HashKeyBytes(a) != HashKeyBytes(b));
    }
  }
}

TEST_CASE("key table finds every id under its hash, the caller deciding between equal hashes",
          "[common]") {
  KeyTable empty;
  CHECK(empty.Find(42, [](uint32_t) { return true; }) == KeyTable::kNone);
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("key" + std::to_string(i));
  keys.push_back("twin");  // stored under the same hash as key7
  KeyTable t;
  t.Reset(keys.size());
  auto hash = [&](const std::string& k) { return HashKeyBytes(k == "twin" ? "key7" : k); };
  for (uint32_t i = 0; i < keys.size(); ++i) t.Add(hash(keys[i]), i);
  for (uint32_t i = 0; i < keys.size(); ++i) {
    CHECK(t.Find(hash(keys[i]), [&](uint32_t id) { return keys[id] == keys[i]; }) == i);
  }
  CHECK(t.Find(HashKeyBytes("absent"), [](uint32_t) { return true; }) == KeyTable::kNone);
}

TEST_CASE("the huge-page allocator keeps what is written as the vector grows", "[common]") {
  // From tiny blocks (operator new) through the mapped ones (4 MiB and more), moved on growth.
  std::vector<uint64_t, HugePageAllocator<uint64_t>> v;
  const uint64_t n = 3'000'000;  // 24 MB at the end
  for (uint64_t i = 0; i < n; ++i) v.push_back(i * 2654435761u);
  REQUIRE(v.size() == n);
  CHECK(reinterpret_cast<uintptr_t>(v.data()) % (size_t{2} << 20) == 0);  // a mapped block
  uint64_t bad = 0;
  for (uint64_t i = 0; i < n; ++i) bad += v[i] != i * 2654435761u;
  CHECK(bad == 0);
  v.shrink_to_fit();
  v.resize(1000);
  v.shrink_to_fit();  // back to operator new: 8 kB
  CHECK(v.size() == 1000);
  CHECK(v[999] == uint64_t{999} * 2654435761u);
  std::vector<uint64_t, HugePageAllocator<uint64_t>> copy = v;
  CHECK(copy == v);
}

TEST_CASE("SortUniqueIds equals sort and unique at every density", "[common]") {
  std::mt19937_64 rng(20261201);
  std::vector<uint64_t> bits;
  int bitmap_cases = 0;
  for (uint32_t bound : {1u, 63u, 64u, 65u, 1000u, 65536u, 100003u}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{200},
                     size_t{3100}, size_t{50000}}) {
      std::vector<uint32_t> ids(n);
      for (uint32_t& id : ids) id = static_cast<uint32_t>(rng() % bound);
      if (n > 2) ids[1] = bound - 1;  // the last id of the bound, and repeats
      if (n > 3) ids[2] = ids[0];
      std::vector<uint32_t> want = ids;
      std::sort(want.begin(), want.end());
      want.erase(std::unique(want.begin(), want.end()), want.end());
      bitmap_cases += n >= 64 && n * 1024 >= bound;
      SortUniqueIds(ids, bound, bits);
      INFO("bound " << bound << ", " << n << " ids");
      CHECK(ids == want);
    }
  }
  CHECK(bitmap_cases >= 20);  // the bitmap path was taken, not only the sort
}

TEST_CASE("parallel choice: batches go the way measured faster, the workers unless clearly not",
          "[common]") {
  // Simulated batches of 1000 events: `serial` and `workers` seconds per event each way.
  auto run = [](double serial, double workers, int batches, ParallelChoice& c) {
    for (int i = 0; i < batches; ++i) c.Done(1000, (c.parallel() ? workers : serial) * 1000);
  };
  const uint64_t before = ParallelChoice::kFirstTrial - 1;  // on the workers until the trial
  const uint64_t probes = 1280 / ParallelChoice::kProbe;
  {
    ParallelChoice c;  // one thread twice as fast: it takes over once tried, the workers are
                       // probed
    CHECK(c.parallel());
    run(1e-6, 2e-6, 1280, c);
    CHECK(c.serial_batches() > 1280 - before - probes * ParallelChoice::kTrial);
    CHECK(c.parallel_batches() >= before + (probes - 1) * ParallelChoice::kTrial);
    CHECK(c.parallel_batches() <= before + probes * ParallelChoice::kTrial);
  }
  {
    ParallelChoice c;  // the workers faster: one thread only tried and probed
    run(2e-6, 1e-6, 1280, c);
    CHECK(c.parallel_batches() > 1200);
    CHECK(c.serial_batches() <= (probes + 1) * ParallelChoice::kTrial);
  }
  {
    ParallelChoice c;  // one thread 5% faster: within the margin, the workers stay
    run(0.95e-6, 1e-6, 1280, c);
    CHECK(c.parallel_batches() > 1200);
  }
  {
    ParallelChoice c;  // the stream changes: the choice follows within a few probes
    run(1e-6, 2e-6, 200, c);
    CHECK(!c.parallel());
    const uint64_t before_change = c.parallel_batches();
    run(3e-6, 1e-6, 800, c);
    CHECK(c.parallel_batches() - before_change > 600);
  }
  {
    ParallelChoice c;  // short batches (live input cut short) are not measured
    for (int i = 0; i < 100; ++i) c.Done(ParallelChoice::kMinEvents - 1, 1.0);
    CHECK(c.parallel());
    CHECK(c.parallel_batches() + c.serial_batches() == 0);
  }
}

// The first batch after a change of way pays for moving the partitions' state between the
// cores' caches. A trial that measured only that batch would keep whichever way came first.
TEST_CASE("parallel choice: the first batch after a change of way is not measured", "[common]") {
  auto run = [](double serial, double workers, int batches, ParallelChoice& c) {
    bool last = true;
    for (int i = 0; i < batches; ++i) {
      const bool way = c.parallel();
      const double cold = way != last ? 4 : 1;  // the batch after a switch: 4x
      last = way;
      c.Done(1000, (way ? workers : serial) * 1000 * cold);
    }
  };
  {
    ParallelChoice c;  // one thread 30% faster when warm
    run(1e-6, 1.3e-6, 1280, c);
    CHECK(c.serial_batches() > 1100);
  }
  {
    ParallelChoice c;  // the workers 30% faster when warm
    run(1.3e-6, 1e-6, 1280, c);
    CHECK(c.parallel_batches() > 1100);
  }
}

TEST_CASE("parallel choice: trials wait while moving the state would cost much", "[common]") {
  // Batches of 1000 events taking 1 ms each way; the state a change of way would move: 1M
  // partial matches, 3 s at the prior cost per item, so a trial (two moves) waits for 300 s.
  auto run = [](int batches, size_t state, ParallelChoice& c) {
    for (int i = 0; i < batches; ++i) c.Done(1000, 1e-3, state);
  };
  {
    ParallelChoice c;
    run(1280, 1000000, c);
    CHECK(c.serial_batches() == 0);  // 1.28 s of batches: no trial
  }
  {
    ParallelChoice c;  // the same with little state: trials as usual
    run(1280, 10, c);
    CHECK(c.serial_batches() >= 1280 / ParallelChoice::kProbe * ParallelChoice::kTrial);
  }
  {
    ParallelChoice c;  // a move measured fast (1 ns per item): trials go on
    c.Moved(1e-3, 1000000);
    run(1280, 1000000, c);
    CHECK(c.serial_batches() >= 1280 / ParallelChoice::kProbe * ParallelChoice::kTrial);
  }
}

TEST_CASE("parallel choice: between trials the way stays", "[common]") {
  // One thread measured faster in the first trial, then it slows down: the workers' time is
  // from the trial, so only the next trial, which measures them again, may change the way.
  ParallelChoice c;
  for (int i = 0; i < 40; ++i) c.Done(1000, (c.parallel() ? 2e-6 : 1e-6) * 1000);
  REQUIRE(!c.parallel());
  const uint64_t workers = c.parallel_batches();
  for (int i = 0; i < 60; ++i) c.Done(1000, (c.parallel() ? 2e-6 : 5e-6) * 1000);
  CHECK(c.parallel_batches() == workers);  // no trial yet (the next is at batch 132)
  for (int i = 0; i < 100; ++i) c.Done(1000, (c.parallel() ? 2e-6 : 5e-6) * 1000);
  CHECK(c.parallel());  // the trial measured the workers faster
}
