// Adapter tests: line splitting (blank, CRLF, too long, no final newline, gzip), decoding
// outcomes and identities.
#include <simdjson.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <random>

#include "adapters/batch_decoder.h"
#include "adapters/complex_event_writer.h"
#include "adapters/event_decoder.h"
#include "adapters/golden.h"
#include "adapters/line_source.h"
#include "adapters/merged_source.h"
#include "common/hash.h"
#include "common/json_text.h"
#include "common/time.h"
#include "engine/compile.h"

using namespace strix;
using namespace strix::adapters;

namespace {
std::vector<std::pair<std::string, bool>> ReadAll(const std::string& path, size_t max_line) {
  auto src = LineSource::Open(path, max_line);
  REQUIRE(src.ok());
  std::vector<std::pair<std::string, bool>> out;
  Line l;
  while ((*src)->Next(l)) out.emplace_back(std::string(l.text), l.too_long);
  return out;
}
}  // namespace

TEST_CASE("line source splits lines, strips CR, reports too-long lines once", "[adapters]") {
  std::string path = "/tmp/strix_lines_test.jsonl";
  {
    std::ofstream f(path, std::ios::binary);
    f << "{\"a\":1}\r\n\n" << std::string(100, 'x') << "\n{\"b\":2}";
  }
  auto lines = ReadAll(path, 50);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].first == "{\"a\":1}");
  CHECK(lines[1].first.empty());
  CHECK(lines[2].second);
  CHECK(lines[2].first.size() == 50);
  CHECK(lines[3].first == "{\"b\":2}");
  CHECK_FALSE(LineSource::Open("/nonexistent/x.jsonl", 50).ok());
}

TEST_CASE("line source reads gzip input", "[adapters]") {
  std::string path = "/tmp/strix_lines_test.jsonl.gz";
  gzFile gz = gzopen(path.c_str(), "wb");
  std::string body = "{\"a\":1}\n{\"a\":2}\n";
  gzwrite(gz, body.data(), static_cast<unsigned>(body.size()));
  gzclose(gz);
  auto lines = ReadAll(path, 1 << 20);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].first == "{\"a\":2}");
}

TEST_CASE("line source: asking whether a line is ready between lines changes nothing",
          "[adapters]") {
  // The run asks LineReady() after every line, and the source remembers the line break it
  // found for the next Next(). Random lines (blank, CRLF, longer than the limit, and so across
  // the small buffer's compactions and growth), read with 0-3 questions between lines, must
  // give what reading without questions gives, and the same question the same answer.
  std::mt19937_64 rng(11);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::string path = "/tmp/strix_line_ready_test.jsonl";
  for (int round = 0; round < 20; ++round) {
    std::string body;
    for (int i = pick(0, 400); i > 0; --i) {
      const int len = pick(0, 9) == 0 ? pick(50, 300) : pick(0, 40);
      for (int k = 0; k < len; ++k) body += static_cast<char>('a' + k % 26);
      body += pick(0, 5) == 0 ? "\r\n" : "\n";
    }
    if (pick(0, 1)) body += "tail";
    {
      std::ofstream f(path, std::ios::binary);
      f << body;
    }
    const auto want = ReadAll(path, 60);
    auto src = LineSource::Open(path, 60);
    REQUIRE(src.ok());
    std::vector<std::pair<std::string, bool>> got;
    Line l;
    bool ready = false;
    while ((*src)->Next(l)) {
      CHECK_FALSE(l.tick);
      got.emplace_back(std::string(l.text), l.too_long);
      ready = false;
      for (int q = pick(0, 3); q > 0; --q) {
        const bool r = (*src)->LineReady();
        if (ready) CHECK(r);  // asking again gives the same answer
        ready = r;
      }
    }
    INFO("round " << round);
    REQUIRE(got == want);
  }
}

TEST_CASE("line source resumes after any line, inside a too-long one too, plain and gzip",
          "[adapters][checkpoint]") {
  // Lines of every kind: short, blank, CRLF, too long (a whole buffer and more), no final break.
  std::string body = "{\"a\":1}\r\n\n" + std::string(5000, 'x') + "\n{\"b\":2}\n" +
                     std::string(70, 'y') + "\n{\"c\":3}";
  for (const std::string path :
       {"/tmp/strix_resume_test.jsonl", "/tmp/strix_resume_test.jsonl.gz"}) {
    if (path.size() > 3 && path.substr(path.size() - 3) == ".gz") {
      gzFile gz = gzopen(path.c_str(), "wb");
      gzwrite(gz, body.data(), static_cast<unsigned>(body.size()));
      gzclose(gz);
    } else {
      std::ofstream f(path, std::ios::binary);
      f << body;
    }
    // Every line, with where reading resumes after it.
    struct Seen {
      std::string text;
      uint64_t number, end;
      bool partial;
    };
    std::vector<Seen> all;
    {
      auto src = LineSource::Open(path, 50);
      REQUIRE(src.ok());
      Line l;
      while ((*src)->Next(l)) all.push_back({std::string(l.text), l.number, l.end, l.partial});
    }
    REQUIRE(all.size() == 6);
    CHECK(all[2].partial);  // the 5000-byte line: resumes inside it
    for (size_t i = 0; i < all.size(); ++i) {
      INFO(path << " after line " << all[i].number);
      auto src = LineSource::Open(path, 50);
      REQUIRE(src.ok());
      REQUIRE((*src)->resumable());
      REQUIRE((*src)->Resume(all[i].end, all[i].number, all[i].partial).ok());
      std::vector<Seen> rest;
      Line l;
      while ((*src)->Next(l)) rest.push_back({std::string(l.text), l.number, l.end, l.partial});
      REQUIRE(rest.size() == all.size() - i - 1);
      for (size_t j = 0; j < rest.size(); ++j) {
        CHECK(rest[j].text == all[i + 1 + j].text);
        CHECK(rest[j].number == all[i + 1 + j].number);
        // (inside a too-long line, where reading resumes depends on what was buffered)
        if (!all[i + 1 + j].partial) CHECK(rest[j].end == all[i + 1 + j].end);
      }
    }
    // Past the end: the input was replaced by a shorter one.
    auto src = LineSource::Open(path, 50);
    REQUIRE(src.ok());
    CHECK_FALSE((*src)->Resume(body.size() + 10, 99, false).ok());
  }
}

TEST_CASE("decoder outcomes and time rules", "[adapters]") {
  std::vector<FieldSpec> fields = {{{"type"}}, {{"ts"}}, {{"id"}}, {{"card", "id"}}};
  EventDecoder dec(fields, Clock::kEvent);
  auto decode = [&](const std::string& line, Event& ev) {
    simdjson::padded_string ps(line);
    return dec.Decode(std::string_view(ps.data(), ps.size()), ev);
  };
  Event ev;
  CHECK(decode("   ", ev) == DecodeOutcome::kBlank);
  CHECK(decode("{not json", ev) == DecodeOutcome::kBadJson);
  CHECK(decode("[1,2]", ev) == DecodeOutcome::kNotObject);
  CHECK(decode(R"({"ts":"yesterday"})", ev) == DecodeOutcome::kBadTime);
  CHECK(decode(R"({"ts":true})", ev) == DecodeOutcome::kBadTime);
  CHECK(decode(R"({"ts":1500.7,"card":{"id":"c1"},"id":7})", ev) == DecodeOutcome::kEvent);
  CHECK(ev.time == 1500);
  CHECK(ev.slots[3].text == "c1");
  std::string ident;
  AppendIdentity(ident, ev, {"-"});
  CHECK(ident == "7");
  CHECK(decode(R"({"type":"x"})", ev) == DecodeOutcome::kEvent);
  CHECK(ev.time == 1500);  // missing time: the previous event's
  ev.line = 17;
  ident.clear();
  AppendIdentity(ident, ev, {"-"});
  CHECK(ident == "-:17");
  // A numeric id prints as AppendJsonValue prints the number (integers take a shorter path).
  for (double id : {0.0, -0.0, 7.0, 12345678901234.0, 999999999999999.0, 1e15, 2.5, -3.0, -7.25,
                    1e300, 9007199254740993.0}) {
    ev.slots[kIdSlot] = Value::Number(id);
    ident.clear();
    AppendIdentity(ident, ev, {"-"});
    std::string want;
    AppendJsonValue(want, Value::Number(id));
    CHECK(ident == want);
  }
}

TEST_CASE("valid JSON that simdjson refuses is decoded, not dead-lettered", "[adapters][json]") {
  std::vector<FieldSpec> fields = {{{"type"}}, {{"ts"}}, {{"id"}}, {{"v"}}};
  EventDecoder dec(fields, Clock::kEvent);
  struct Got {
    ValueKind kind;
    double number;
    std::string text;
  };
  auto decode = [&](const std::string& line) {
    simdjson::padded_string ps(line);
    Event ev;
    INFO(line.substr(0, 80));
    REQUIRE(dec.Decode(std::string_view(ps.data(), ps.size()), ev) == DecodeOutcome::kEvent);
    const Value& v = ev.slots[3];
    return Got{v.kind, v.number, std::string(v.text)};
  };
  CHECK(decode(R"({"v":18446744073709551616})").number == 18446744073709551616.0);
  CHECK(decode(R"({"v":-9223372036854775809})").number == -9223372036854775808.0);
  CHECK(decode(R"({"v":123456789012345678901234567890})").number == 1.2345678901234568e29);
  CHECK(decode(R"({"v":1e400})").number == std::numeric_limits<double>::max());
  CHECK(decode(R"({"v":-1E+400})").number == -std::numeric_limits<double>::max());
  CHECK(decode(R"({"v":1e-400})").number == 0);
  CHECK(decode(R"({"v":"a\ud800b"})").text ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(decode(R"({"v":"\udc00\ud83d\ude00\\ud800"})").text ==
        "\xEF\xBF\xBD\xF0\x9F\x98\x80\\ud800");
  CHECK(decode("\xEF\xBB\xBF{\"v\":\"bom\"}").text == "bom");
  std::string deep = "{\"v\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  CHECK(decode(deep).kind == ValueKind::kArray);
  // Still bad: a syntax error next to a huge number, a BOM in the middle.
  Event ev;
  simdjson::padded_string bad1(std::string(R"({"v":1e400 x})"));
  CHECK(dec.Decode(std::string_view(bad1.data(), bad1.size()), ev) == DecodeOutcome::kBadJson);
  simdjson::padded_string bad2(std::string("{\"v\":1}\xEF\xBB\xBF"));
  CHECK(dec.Decode(std::string_view(bad2.data(), bad2.size()), ev) == DecodeOutcome::kBadJson);
}

TEST_CASE("decoder finds members whatever their order, first occurrence wins", "[adapters]") {
  std::vector<FieldSpec> fields = {{{"type"}}, {{"ts"}}, {{"id"}}, {{"a"}}, {{"b"}}, {{"n", "x"}}};
  EventDecoder dec(fields, Clock::kEvent);
  auto decode = [&](const std::string& line, Event& ev) {
    simdjson::padded_string ps(line);
    REQUIRE(dec.Decode(std::string_view(ps.data(), ps.size()), ev) == DecodeOutcome::kEvent);
  };
  // The same members in another order, an unread member in between, a repeated member.
  const char* lines[] = {R"({"type":"t","a":1,"b":"x","n":{"x":5}})",
                         R"({"b":"y","junk":0,"a":2,"type":"u","n":{"x":6}})",
                         R"({"a":3,"a":4,"type":"v"})", R"({"type":"t","a":1,"b":"x","n":{"x":5}})",
                         // An unread member where a read one was last time, and back (the
                         // decoder remembers both kinds by position).
                         R"({"junk":1,"a":5,"type":"w"})", R"({"a":6,"junk":2,"type":"w"})",
                         R"({"junk":3,"a":7,"type":"w"})", R"({"junk":3,"b":"z","type":"w"})"};
  double want_a[] = {1, 2, 3, 1, 5, 6, 7, -1};
  const char* want_b[] = {"x", "y", nullptr, "x", nullptr, nullptr, nullptr, "z"};
  const char* want_type[] = {"t", "u", "v", "t", "w", "w", "w", "w"};
  for (int i = 0; i < 8; ++i) {
    Event ev;
    decode(lines[i], ev);
    INFO(lines[i]);
    CHECK(ev.slots[0].text == want_type[i]);
    if (want_a[i] >= 0) {
      CHECK(ev.slots[3].number == want_a[i]);
    } else {
      CHECK(ev.slots[3].missing());
    }
    if (want_b[i]) {
      CHECK(ev.slots[4].text == want_b[i]);
    } else {
      CHECK(ev.slots[4].missing());
    }
    CHECK(ev.slots[5].missing() == (i == 2 || i >= 4));
  }
}

TEST_CASE("golden comparison pairs complex events by id", "[adapters][golden]") {
  std::string golden =
      "{\"rule\":\"a\",\"id\":\"1\",\"fields\":{\"x\":1},\"events\":[1]}\n"
      "{\"rule\":\"a\",\"id\":\"2\",\"fields\":{\"x\":2},\"events\":[2]}\n";
  std::vector<std::string> same = {
      "{\"rule\":\"a\",\"id\":\"1\",\"fields\":{\"x\":1},\"events\":[1]}\n",
      "{\"rule\":\"a\",\"id\":\"2\",\"fields\":{\"x\":2},\"events\":[2]}\n"};
  auto d = adapters::CompareGolden(golden, same, false);
  REQUIRE(d.ok());
  CHECK(d->equal());
  std::vector<std::string> changed = {
      "{\"rule\":\"a\",\"id\":\"1\",\"fields\":{\"x\":5},\"events\":[9]}",
      "{\"rule\":\"a\",\"id\":\"3\",\"fields\":{\"x\":3},\"events\":[3]}"};
  d = adapters::CompareGolden(golden, changed, false);
  REQUIRE(d.ok());
  REQUIRE(d->lines.size() == 3);
  CHECK(d->lines[0] ==
        "- disappeared: {\"rule\":\"a\",\"id\":\"2\",\"fields\":{\"x\":2},\"events\":[2]}");
  CHECK(d->lines[1] == "~ changed:     id 1; events: [1] -> [9]; fields: {\"x\":1} -> {\"x\":5}");
  CHECK(d->lines[2] ==
        "+ appeared:    {\"rule\":\"a\",\"id\":\"3\",\"fields\":{\"x\":3},\"events\":[3]}");
  // --output-events none: `events` is not compared.
  std::vector<std::string> no_events = {"{\"rule\":\"a\",\"id\":\"1\",\"fields\":{\"x\":1}}",
                                        "{\"rule\":\"a\",\"id\":\"2\",\"fields\":{\"x\":2}}"};
  d = adapters::CompareGolden(golden, no_events, true);
  REQUIRE(d.ok());
  CHECK(d->equal());
  std::vector<std::string> swapped = {same[1], same[0]};
  d = adapters::CompareGolden(golden, swapped, false);
  REQUIRE(d.ok());
  REQUIRE(d->lines.size() == 1);
  CHECK_THAT(d->lines[0], Catch::StartsWith("~ order:"));
  CHECK_FALSE(adapters::CompareGolden("{\"id\":\"1\"}\n[1,2]\n", same, false).ok());
  CHECK_THAT(adapters::CompareGolden("{\"id\":1}\n", same, false).message(),
             Catch::Contains("golden file line 1"));
}

TEST_CASE("batch decoding in parallel equals sequential decoding", "[adapters]") {
  std::vector<FieldSpec> fields = {{{"type"}}, {{"ts"}}, {{"id"}}, {{"x"}}};
  std::vector<std::string> lines;
  for (int i = 0; i < 500; ++i) {
    if (i % 7 == 0) {
      lines.push_back("{\"type\":\"A\",\"x\":" + std::to_string(i) + "}");  // no time
    } else if (i % 11 == 0) {
      lines.push_back("not json " + std::to_string(i));
    } else if (i % 13 == 0) {
      lines.push_back("{\"type\":\"A\",\"ts\":\"bad\"}");
    } else {
      lines.push_back("{\"type\":\"A\",\"ts\":" + std::to_string(i * 10) + ",\"x\":\"v" +
                      std::to_string(i) + "\"}");
    }
  }
  adapters::EventDecoder seq(fields, adapters::Clock::kEvent);
  adapters::BatchDecoder batch(fields, adapters::Clock::kEvent, 3);
  for (const std::string& l : lines) batch.Add(l);
  batch.Decode();
  REQUIRE(batch.size() == lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    simdjson::padded_string p(lines[i]);
    Event ev;
    adapters::DecodeOutcome o = seq.Decode(std::string_view(p.data(), p.size()), ev);
    INFO("line " << i << ": " << lines[i]);
    REQUIRE(batch.outcome(i) == o);
    if (o != adapters::DecodeOutcome::kEvent) continue;
    CHECK(batch.event(i).time == ev.time);
    CHECK(batch.event(i).raw == ev.raw);
    CHECK(batch.event(i).slots[3].text == ev.slots[3].text);
    CHECK(batch.event(i).storage != nullptr);  // owns its bytes
  }
}

TEST_CASE("merged source reads every input at once, each in its own order", "[adapters]") {
  std::vector<std::string> paths = {"/tmp/strix_merged_a.jsonl", "/tmp/strix_merged_b.jsonl"};
  for (size_t f = 0; f < 2; ++f) {
    std::ofstream out(paths[f], std::ios::binary);
    for (int i = 1; i <= 5000; ++i) out << "{\"f\":" << f << ",\"i\":" << i << "}\n";
  }
  std::vector<std::unique_ptr<Source>> inputs;
  for (const std::string& p : paths) {
    auto s = LineSource::Open(p, 1 << 20);
    REQUIRE(s.ok());
    inputs.push_back(std::move(*s));
  }
  MergedSource merged(std::move(inputs), 4096);  // a small budget: readers wait for room
  std::vector<uint64_t> last(2, 0);
  size_t n = 0;
  Line l;
  while (merged.Next(l)) {
    REQUIRE(l.input < 2);
    CHECK(l.number == last[l.input] + 1);  // per input: in order, none lost
    CHECK(l.text ==
          "{\"f\":" + std::to_string(l.input) + ",\"i\":" + std::to_string(l.number) + "}");
    last[l.input] = l.number;
    ++n;
  }
  CHECK(n == 10000);
  CHECK(merged.error().empty());
}

TEST_CASE("under --clock wall, times never go back in processing order", "[adapters]") {
  std::vector<FieldSpec> fields = {{{"type"}}, {{"ts"}}, {{"id"}}};
  adapters::BatchDecoder batch(fields, adapters::Clock::kWall, 4);
  TimeMs last = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 20000; ++i) batch.Add("{\"type\":\"A\",\"ts\":1}");
    batch.Decode();
    for (size_t i = 0; i < batch.size(); ++i) {
      REQUIRE(batch.outcome(i) == adapters::DecodeOutcome::kEvent);
      REQUIRE(batch.event(i).time >= last);
      last = batch.event(i).time;
    }
    batch.Clear();
  }
}

TEST_CASE("complex event lines: time text, aliases and ids whatever the order of times",
          "[adapters]") {
  ql::CheckedRules rules = ql::LoadRules(
      {{"w.strix", "rule s on sequence every a: A x: B emit { n: 1 }\nrule t on A\n"}});
  REQUIRE(rules.ok());
  auto prog = engine::Compile(rules, engine::CompileOptions{});
  REQUIRE(prog.ok());
  Event a, b;
  a.slots.resize((*prog)->fields.size());
  b.slots.resize((*prog)->fields.size());
  a.slots[2] = Value::String("e\"1");  // the id field: escaped in the line, hashed as is
  b.line = 7;                          // no id: SOURCE:LINE
  const std::vector<std::string> sources = {"in.jsonl"};
  ComplexEventWriter ids(**prog, sources, OutputEvents::kIds, nullptr);
  ComplexEventWriter none(**prog, sources, OutputEvents::kNone, nullptr);
  engine::ComplexEvent ce;
  ce.rule = 0;
  ce.fields = {Value::Number(1)};
  ce.events = {{0, a}, {1, b}};
  // Times in and out of order, across seconds, days, before 1970 and past year 9999: the
  // writer keeps the text of the last second and must never reuse it for another.
  const std::vector<TimeMs> times = {0,
                                     999,
                                     1000,
                                     1001,
                                     -1,
                                     -1000,
                                     -1001,
                                     5000,
                                     4999,
                                     86399999,
                                     86400000,
                                     1700000000123,
                                     1700000000999,
                                     1700000001000,
                                     253402300800000,
                                     253402300799999};
  std::string first_id;
  for (TimeMs t : times) {
    ce.time = t;
    const std::string line(ids.Format(ce));
    INFO(line);
    CHECK(line.find("{\"rule\":\"s\",\"time\":\"" + FormatRfc3339Ms(t) + "\",\"key\":null,") == 0);
    CHECK(line.find("\"fields\":{\"n\":1},\"events\":[{\"as\":\"a\",\"id\":\"e\\\"1\"},"
                    "{\"as\":\"x\",\"id\":\"in.jsonl:7\"}]}\n") != std::string::npos);
    // The same match formatted without events has the same id.
    const std::string bare(none.Format(ce));
    CHECK(bare.substr(0, bare.find("\"fields\"")) == line.substr(0, line.find("\"fields\"")));
    CHECK(bare.find("\"events\"") == std::string::npos);
  }
  // A single-event rule: no alias.
  ce.rule = 1;
  ce.time = 1000;
  ce.fields.clear();
  ce.events = {{-1, b}};
  const std::string single(ids.Format(ce));
  CHECK(single == "{\"rule\":\"t\",\"time\":\"1970-01-01T00:00:01.000Z\",\"key\":null,\"id\":\"" +
                      single.substr(single.find("\"id\":\"") + 6, 16) +
                      "\",\"fields\":{},\"events\":[{\"as\":null,\"id\":\"in.jsonl:7\"}]}\n");
  // Identities that need no escaping take the writer's copying path; the id is the hash of the
  // rule name, the identities and the time, as 16 hex digits.
  a.slots[2] = Value::String("e1");
  ce.rule = 0;
  ce.time = 1700000000123;
  ce.fields = {Value::Number(2)};
  ce.events = {{0, a}, {1, b}};
  Hasher h;
  h.Add(std::string_view("s")).Add(std::string_view("e1")).Add(std::string_view("in.jsonl:7"));
  h.Add(static_cast<uint64_t>(ce.time));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h.value()));
  CHECK(std::string(ids.Format(ce)) ==
        "{\"rule\":\"s\",\"time\":\"2023-11-14T22:13:20.123Z\",\"key\":null,"
        "\"id\":\"" +
            std::string(hex) +
            "\",\"fields\":{\"n\":2},\"events\":[{\"as\":\"a\",\"id\":\"e1\"},"
            "{\"as\":\"x\",\"id\":\"in.jsonl:7\"}]}\n");
}

TEST_CASE("complex event lines: long names and identities and keys and full events", "[adapters]") {
  // Pieces and identities past the writer's 32-byte short copies, composite keys, escaped
  // fields and raw events: each line equals one put together here from the JSON helpers.
  const std::string name(45, 'r'), alias(40, 'a');
  ql::CheckedRules rules = ql::LoadRules(
      {{"w.strix", "rule " + name + " on sequence by user, n within 1s every " + alias +
                       ": A+ x: B emit { first_field_name_that_is_long: 1, s: \"q\\\"t\" }\n"}});
  REQUIRE(rules.ok());
  auto prog = engine::Compile(rules, engine::CompileOptions{});
  REQUIRE(prog.ok());
  const std::vector<std::string> sources = {"a-source-name-longer-than-thirty-two-bytes.jsonl"};
  std::vector<Event> evs(40);
  std::vector<std::string> raws(evs.size()), texts(evs.size());  // what the events view
  for (size_t i = 0; i < evs.size(); ++i) {
    evs[i].slots.resize((*prog)->fields.size());
    evs[i].line = i + 1;
    raws[i] = "{\"type\":\"A\",\"i\":" + std::to_string(i) + "}";
    evs[i].raw = raws[i];
    switch (i % 5) {  // the id field
      case 0:
        texts[i] = std::string(33 + i, 'x');
        evs[i].slots[kIdSlot] = Value::String(texts[i]);
        break;
      case 1:
        evs[i].slots[kIdSlot] = Value::Number(-12.5 * static_cast<double>(i));
        break;
      case 2:
        evs[i].slots[kIdSlot] = Value::String("tab\there \xff");
        break;
      case 3:
        evs[i].slots[kIdSlot] = Value::Bool(i % 2 == 0);
        break;
      default:
        break;  // SOURCE:LINE
    }
  }
  for (OutputEvents mode : {OutputEvents::kIds, OutputEvents::kFull, OutputEvents::kNone}) {
    ComplexEventWriter w(**prog, sources, mode, nullptr);
    for (size_t count : {1, 2, 7, 40}) {
      engine::ComplexEvent ce;
      ce.time = 1700000000000 + static_cast<TimeMs>(count);
      ce.key = {Value::String("user \"one\""), Value::Number(3)};
      ce.fields = {Value::Number(1), Value::String("q\"t")};
      for (size_t i = 0; i < count; ++i) {
        ce.events.push_back({i + 1 == count ? 1 : 0, evs[i]});
      }
      std::string want = "{\"rule\":\"" + name + "\",\"time\":\"" + FormatRfc3339Ms(ce.time) +
                         "\",\"key\":[\"user \\\"one\\\"\",3],\"id\":\"";
      Hasher h;
      h.Add(std::string_view(name));
      std::string events;
      for (size_t i = 0; i < count; ++i) {
        std::string ident;
        AppendIdentity(ident, evs[i], sources);
        h.Add(std::string_view(ident));
        if (i) events += ',';
        events += "{\"as\":\"" + (i + 1 == count ? std::string("x") : alias) + "\",";
        if (mode == OutputEvents::kIds) {
          events += "\"id\":";
          AppendJsonString(events, ident);
        } else {
          events += "\"event\":" + raws[i];
        }
        events += '}';
      }
      h.Add(static_cast<uint64_t>(ce.time));
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h.value()));
      want +=
          std::string(hex) + "\",\"fields\":{\"first_field_name_that_is_long\":1,\"s\":\"q\\\"t\"}";
      want += mode == OutputEvents::kNone ? "}\n" : ",\"events\":[" + events + "]}\n";
      INFO(static_cast<int>(mode) << " " << count);
      CHECK(std::string(w.Format(ce)) == want);
    }
  }
}

TEST_CASE("complex event lines: rules fire in any order and each keeps its own texts",
          "[adapters]") {
  // The writer makes a rule's constant texts when it first fires: rules fired out of order,
  // again and again, each get their own name, field names and aliases.
  ql::CheckedRules rules =
      ql::LoadRules({{"o.strix",
                      "rule r0 on A emit { a: 1 }\n"
                      "rule r1 on sequence by user within 1s p: A q: B emit { b: 2, c: 3 }\n"
                      "rule r2 on B\n"
                      "rule r3 on sequence by user within 1s u: B v: A\n"}});
  REQUIRE(rules.ok());
  auto prog = engine::Compile(rules, engine::CompileOptions{});
  REQUIRE(prog.ok());
  const std::vector<std::string> sources = {"in.jsonl"};
  std::vector<Event> evs(2);
  for (size_t i = 0; i < evs.size(); ++i) {
    evs[i].slots.resize((*prog)->fields.size());
    evs[i].line = i + 1;
  }
  const std::vector<std::string> fields = {"{\"a\":1}", "{\"b\":2,\"c\":3}", "{}", "{}"};
  const std::vector<std::vector<std::string>> as = {
      {"null"}, {"\"p\"", "\"q\""}, {"null"}, {"\"u\"", "\"v\""}};
  ComplexEventWriter w(**prog, sources, OutputEvents::kIds, nullptr);
  for (uint32_t rule : {2u, 0u, 3u, 2u, 1u, 0u, 1u, 3u}) {
    const engine::CompiledRule& r = (*prog)->rules[rule];
    const bool seq = as[rule].size() == 2;
    engine::ComplexEvent ce;
    ce.rule = rule;
    ce.time = 1700000000000;
    if (seq) ce.key = {Value::String("u1")};
    for (size_t i = 0; i < (seq ? 2u : 1u); ++i) {
      ce.events.push_back({seq ? static_cast<int32_t>(i) : -1, evs[i]});
    }
    for (size_t i = 0; i < r.emit_names.size(); ++i)
      ce.fields.push_back(Value::Number(i + 1.0 + rule));
    std::string line(w.Format(ce));
    INFO(rule << ": " << line);
    CHECK(line.rfind("{\"rule\":\"r" + std::to_string(rule) + "\",\"time\":", 0) == 0);
    CHECK(line.find(",\"fields\":" + fields[rule] + ",") != std::string::npos);
    std::string events = ",\"events\":[";
    for (size_t i = 0; i < ce.events.size(); ++i) {
      events += (i ? ",{\"as\":" : "{\"as\":") + as[rule][i] +
                ",\"id\":\"in.jsonl:" + std::to_string(i + 1) + "\"}";
    }
    CHECK(line.find(events + "]}\n") != std::string::npos);
  }
}

TEST_CASE("complex event lines: a rule name longer than 64k characters is written whole",
          "[adapters]") {
  // The writer keeps short heads in its per-rule record and long ones as pieces: the length of
  // a long one must not be cut to the record's 16-bit field.
  const std::string name(70000, 'r');
  ql::CheckedRules rules = ql::LoadRules({{"n.strix", "rule " + name + " on A\n"}});
  REQUIRE(rules.ok());
  auto prog = engine::Compile(rules, engine::CompileOptions{});
  REQUIRE(prog.ok());
  Event e;
  e.slots.resize((*prog)->fields.size());
  e.line = 3;
  const std::vector<std::string> sources = {"in.jsonl"};
  ComplexEventWriter w(**prog, sources, OutputEvents::kIds, nullptr);
  engine::ComplexEvent ce;
  ce.rule = 0;
  ce.time = 0;
  ce.events = {{-1, e}};
  for (int twice = 0; twice < 2; ++twice) {  // made, then as kept
    const std::string line(w.Format(ce));
    REQUIRE(line.size() > name.size());
    CHECK(line.rfind("{\"rule\":\"" + name + "\",\"time\":\"1970-01-01T00:00:00.000Z\",", 0) == 0);
    CHECK(line.find("\"events\":[{\"as\":null,\"id\":\"in.jsonl:3\"}]}\n") != std::string::npos);
  }
}
