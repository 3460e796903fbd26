// Randomized differential tests: random single-event rules from the grammar and random events
// (missing fields, wrong types, nulls, nested objects) must give identical complex events from
// the indexed engine and from the slow reference matcher.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <random>

#include "adapters/complex_event_writer.h"
#include "adapters/event_decoder.h"
#include "engine/compile.h"
#include "engine/engine.h"
#include "test/reference_matcher.h"

using namespace strix;

namespace {

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(uint64_t seed) : rng(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, int(v.size()) - 1))];
  }

  const std::vector<std::string> num_fields = {"a", "b", "n.x", "`odd-name`"};
  const std::vector<std::string> str_fields = {"s", "t", "n.y"};
  const std::vector<std::string> strs = {"\"x\"", "\"y\"", "\"xy\"", "\"Xy\"", "\"\"", "\"zz\""};
  // Longer literals and fragments of event strings, so that the literal filters (4-byte
  // grams, literals of 35 bytes and more) and the regex atoms are exercised.
  const std::vector<std::string> frags = {
      "ab",    "cd", "abcd",
      "x",     "y",  "/p1/",
      "XYZZY", "Ab", "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcd"};
  const std::vector<std::string> lits = {
      "\"abcd\"", "\"bcda\"", "\"abcdab\"", "\"/p1/\"",
      "\"dab\"",  "\"cdx\"",  "\"xyzzy\"",  "\"abcdabcdabcdabcdabcdabcdabcdabcdabcdabcd\""};

  std::string Str() {
    if (Int(0, 2)) return Pick(strs);
    std::string v = "\"";
    for (int i = Int(1, 5); i > 0; --i) v += Pick(frags);
    return v + "\"";
  }

  std::string Num() { return std::to_string(Int(-3, 12)); }

  std::string Atom() {
    switch (Int(0, 17)) {
      case 0:
        return Pick(num_fields) + " == " + Num();
      case 1:
        return Pick(num_fields) + " != " + Num();
      case 2:
        return Pick(num_fields) + " " + Pick<std::string>({"<", "<=", ">", ">="}) + " " + Num();
      case 3:
        return Num() + " < " + Pick(num_fields);
      case 4:
        return Pick(num_fields) + " in " + Num() + ".." + Num();
      case 5:
        return Pick(num_fields) + " not in " + Num() + ".." + Num();
      case 6:
        return Pick(str_fields) + " == " + Pick(strs);
      case 7:
        return Pick(str_fields) + " in [" + Pick(strs) + ", " + Pick(strs) + "]";
      case 8:
        return Pick(str_fields) + " not in [" + Pick(strs) + "]";
      case 9:
        return Pick(str_fields) + " " + Pick<std::string>({"contains", "startswith", "endswith"}) +
               " " + (Int(0, 1) ? Pick(strs) : Pick(lits));
      case 10:
        return Pick(str_fields) + " =~ /" +
               Pick<std::string>({"^x", "y$", "x.?y", "[xz]+", "X", "abcd.*ab", "(abcd|xyzzy)",
                                  "Abcd", "d(ab|bc)d", "^\\/p1\\/[a-z]"}) +
               "/" + Pick<std::string>({"", "i"});
      case 11:
        return Pick(str_fields) + " !~ /x/";
      case 12:
        return "exists " + Pick<std::string>({"a", "s", "n.x", "n", "q"});
      case 13:
        return "lower(" + Pick(str_fields) + ") == \"xy\"";
      case 14:
        return Pick(num_fields) + " + " + Pick(num_fields) + " > " + Num();
      case 15:
        return "len(" + Pick(str_fields) + ") >= " + std::to_string(Int(0, 3));
      case 16:
        return Pick<std::string>({"true", "false"});
      default:
        return Pick(num_fields) + " in [" + Num() + ", " + Num() + ", " + Num() + "]";
    }
  }

  std::string Cond(int depth) {
    int k = depth <= 0 ? 0 : Int(0, 4);
    if (k <= 1) return Atom();
    if (k == 2) return "not (" + Cond(depth - 1) + ")";
    std::string op = k == 3 ? " and " : " or ";
    std::string c = "(" + Cond(depth - 1);
    int n = Int(1, 3);
    for (int i = 0; i < n; ++i) c += op + Cond(depth - 1);
    return c + ")";
  }

  std::string Rules(int count) {
    std::string out;
    for (int i = 0; i < count; ++i) {
      out += "rule r" + std::to_string(i) + " on " + Pick<std::string>({"A", "B", "any"});
      if (Int(0, 4) == 0) out += " by " + Pick<std::string>({"s", "a", "s, a"});
      if (Int(0, 5) > 0) out += " where " + Cond(3);
      if (Int(0, 1)) out += " emit { v: a, w: lower(s), z: a * 2 - b }";
      out += "\n";
    }
    return out;
  }

  std::string Value(bool numeric) {
    switch (Int(0, 9)) {
      case 0:
        return "null";
      case 1:
        return "true";
      case 2:
        return "[1,2]";
      case 3:
        return "{\"x\":1}";
      case 4:
        return numeric ? Pick(strs) : Num();  // wrong type
      default:
        return numeric ? (Int(0, 3) ? Num() : Num() + ".5") : Str();
    }
  }

  std::string Event(int i) {
    std::string e = "{\"type\":" + Pick<std::string>({"\"A\"", "\"B\"", "\"C\"", "5"}) +
                    ",\"ts\":" + std::to_string(i);
    auto maybe = [&](const char* name, bool numeric) {
      if (Int(0, 4)) e += std::string(",\"") + name + "\":" + Value(numeric);
    };
    maybe("a", true);
    maybe("b", true);
    maybe("odd-name", true);
    maybe("s", false);
    maybe("t", false);
    if (Int(0, 3)) {
      e += ",\"n\":{";
      bool first = true;
      if (Int(0, 2)) {
        e += "\"x\":" + Value(true);
        first = false;
      }
      if (Int(0, 2)) {
        e += std::string(first ? "" : ",") + "\"y\":" + Value(false);
      }
      e += "}";
    }
    return e + "}";
  }
};

struct Collect : engine::ComplexEventSink {
  std::vector<test::RefMatch> got;
  const engine::Program* p = nullptr;
  void Emit(const engine::ComplexEvent& ce) override {
    test::RefMatch m{ce.rule, "", ""};
    adapters::AppendKeyJson(m.key, ce.key);
    adapters::AppendFieldsJson(m.fields, p->rules[ce.rule], ce.fields);
    got.push_back(std::move(m));
  }
};

std::string Show(const std::vector<test::RefMatch>& ms) {
  std::string s;
  for (const auto& m : ms)
    s += "r" + std::to_string(m.rule) + " key=" + m.key + " " + m.fields + "\n";
  return s;
}

}  // namespace

TEST_CASE("indexed engine equals the reference matcher on random rules and events",
          "[differential]") {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Gen g(seed);
    std::string text = g.Rules(60);
    if (const char* dir = std::getenv("STRIX_DUMP_DIR")) {  // for debugging a failing seed
      std::ofstream(std::string(dir) + "/seed" + std::to_string(seed) + ".strix") << text;
    }
    ql::CheckedRules rules = ql::LoadRules({{"random.strix", text}});
    INFO("seed " << seed << "\n" << rules.FormatDiagnostics());
    REQUIRE(rules.ok());
    auto prog = engine::Compile(rules, engine::CompileOptions{});
    REQUIRE(prog.ok());
    const engine::Program& p = **prog;
    engine::Engine eng(p, 0);
    adapters::EventDecoder dec(p.fields, adapters::Clock::kEvent);
    Collect sink;
    sink.p = &p;
    for (int i = 0; i < 300; ++i) {
      std::string line = g.Event(i);
      std::vector<test::RefMatch> want = test::ReferenceMatch(rules, line);
      simdjson::padded_string padded(line);
      Event ev;
      REQUIRE(dec.Decode(std::string_view(padded.data(), padded.size()), ev) ==
              adapters::DecodeOutcome::kEvent);
      ev.seq = static_cast<uint64_t>(i);
      sink.got.clear();
      eng.Push(std::move(ev), sink);
      INFO("event " << line << "\nrules:\n" << text);
      REQUIRE(Show(sink.got) == Show(want));
    }
  }
}
