// Adapter tests: line splitting (blank, CRLF, too long, no final newline, gzip), decoding
// outcomes and identities.
#include <catch2/catch.hpp>
#include <simdjson.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>

#include "adapters/complex_event_writer.h"
#include "adapters/event_decoder.h"
#include "adapters/line_source.h"

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
}
