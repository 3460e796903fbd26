// Random rules and events for the differential tests and the engine fuzzer (test-only):
// Gen draws single-event rules from the grammar and events with missing fields, wrong types,
// nulls and nested objects; SeqGen draws sequence rules (quantifiers, `not` in the middle and at
// the end, `within`, `until`, `having`, aggregates, prev(), the three policies, keys) and
// streams (ties, out of order). SingleEventCase and SequenceCase run one seed through the
// engine and through the slow reference (reference_matcher.h, sequence_reference.h) and
// describe the first difference; test/differential_test.cc, sequence_differential_test.cc and
// test/fuzz/fuzz_engine.cc drive them.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/snapshot.h"

namespace strix::test {

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
      "ab",     "cd",     "abcd",
      "x",      "y",      "/p1/",
      "XYZZY",  "Ab",     "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcd",
      "\u00e9", "x\u00e9"};
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

  // [L2] operands: string sets, globs (literal runs of the event strings around `*` and `?`),
  // networks of both families (nested, /0, single hosts).
  std::string StrSet() {
    std::string v = "[" + (Int(0, 1) ? Pick(strs) : Pick(lits));
    for (int i = Int(0, 3); i > 0; --i) v += ", " + (Int(0, 1) ? Pick(strs) : Pick(lits));
    return v + "]";
  }
  std::string Glob() {
    return "\"" + Pick<std::string>({"*ab*", "ab*",   "*cd",      "a?c*",      "*",   "x",
                                     "?",    "*b?d*", "/p1/*",    "**ab**cd*", "?y",  "*\u00e9*",
                                     "x?",   "*dab?", "abcd",     "*XYZZY*",   "??*", "*a*b*c*d*",
                                     "??",   "*?",    "?\u00e9*", "*x?"}) +
           "\"";
  }
  std::string Networks() {
    static const std::vector<std::string> nets = {
        "10.0.0.0/8",    "10.1.0.0/16",    "192.168.1.0/24", "0.0.0.0/0",
        "fe80::/10",     "2001:db8::/32",  "::/0",           "10.1.2.3",
        "::ffff:0:0/96", "192.168.1.1/32", "10.1.2.0/23",    "2001:db8::5/128"};
    std::string v = "[\"" + Pick(nets) + "\"";
    for (int i = Int(0, 2); i > 0; --i) v += ", \"" + Pick(nets) + "\"";
    return v + "]";
  }
  std::string L2Atom() {
    switch (Int(0, 6)) {
      case 0:
        return Pick(str_fields) + " " + Pick<std::string>({"contains", "startswith", "endswith"}) +
               " " + Pick<std::string>({"any", "any", "all"}) + " " + StrSet();
      case 1:
        return "lower(" + Pick(str_fields) + ") contains any " + StrSet();
      case 2:
        return Pick(str_fields) + " like " + Glob();
      case 3:
        return "lower(" + Pick(str_fields) + ") like " + Glob();
      case 4:
        return "ip " + Pick<std::string>({"in", "in", "not in"}) + " cidr " + Networks();
      case 5:
        return Pick<std::string>({"a", "s", "n", "n.x", "ip", "q"}) + " is null";
      default:
        return Pick<std::string>({"a", "s", "n", "n.x", "ip", "q"}) + " is not null";
    }
  }

  std::string Atom() {
    switch (Int(0, 20)) {
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
      case 17:
      case 18:
        return L2Atom();
      case 19:
        return Lookup();
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

  // Conjunctions of many predicates, as standing searches and pub/sub subscriptions are: wide
  // and narrow ranges and comparisons, sets, literals, equalities, now and then a disjunction,
  // a regex or a negation among them (the counting plan of engine/access_plan.h and its
  // residual).
  // `ranges_only`: only ranges and comparisons over numbers (conjunctions a RangeBitmap takes).
  std::string Predicate(bool ranges_only = false) {
    const std::string f = Pick(num_fields);
    int kind = Int(0, 12);
    if (ranges_only) kind = Pick<int>({0, 1, 2, 11, 12});
    switch (kind) {
      case 0:
      case 1: {
        int lo = Int(-3, 10);
        return f + " in " + std::to_string(lo) + ".." + std::to_string(lo + Int(0, 1) * Int(0, 12));
      }
      case 2:
        return f + " " + Pick<std::string>({"<", "<=", ">", ">="}) + " " + Num();
      case 3:
        return f + " in [" + Num() + ", " + Num() + ", " + Num() + "]";
      case 4:
        return f + " == " + Num();
      case 5:
        return Pick(str_fields) + " " + Pick<std::string>({"contains", "startswith", "endswith"}) +
               " " + (Int(0, 1) ? Pick(strs) : Pick(lits));
      case 6:
        return Pick(str_fields) + " in [" + Pick(strs) + ", " + Pick(strs) + "]";
      case 7:
        return "(" + f + " > " + Num() + " or " + Pick(num_fields) + " in 0..4)";
      case 8:
        return f + " != " + Num();
      case 9:
        return Pick(str_fields) + " =~ /" + Pick<std::string>({"^x", "y$", "ab"}) + "/";
      case 10:
        return L2Atom();
      default:
        return f + " in " + Num() + ".." + std::to_string(Int(3, 14));
    }
  }
  std::string Conjunctions(int count, bool ranges_only = false) {
    std::string out;
    for (int i = 0; i < count; ++i) {
      out += "rule r" + std::to_string(i) + " on " + Pick<std::string>({"A", "B", "any"}) +
             " where " + Predicate(ranges_only);
      for (int k = Int(1, 5); k > 0; --k) out += " and " + Predicate(ranges_only);
      out += "\n";
    }
    return out;
  }

  // Tables (LANGUAGE.md 7): `tb` keyed by `s`, set by B events with a > 2 (or by the `n`
  // member of any B, keyed by n.y), cleared by C; lookups by fields that may hold its keys.
  std::string Table() {
    if (Int(0, 1)) return "table tb by s from B where a > 2 delete on C\n";
    return "table tb by n.y from B row n delete on C by t where exists t\n";
  }
  std::string Lookup() {
    const std::string key = Pick<std::string>({"s", "t", "n.y", "lower(s)"});
    switch (Int(0, 4)) {
      case 0:
        return "tb[" + key + "].a > " + Num();
      case 1:
        return "tb[" + key + "].s == " + Pick(strs);
      case 2:
        return "tb[" + key + "] is null";
      case 3:
        return "tb[" + key + "].x == " + Num();
      default:
        return "tb[" + key + "].y " + Pick<std::string>({"contains", "startswith"}) + " " +
               Pick(strs);
    }
  }

  std::string Rules(int count) {
    std::string out = Table();
    for (int i = 0; i < count; ++i) {
      out += "rule r" + std::to_string(i) + " on " + Pick<std::string>({"A", "B", "any"});
      if (Int(0, 4) == 0) out += " by " + Pick<std::string>({"s", "a", "s, a"});
      if (Int(0, 5) > 0) out += " where " + Cond(3);
      if (Int(0, 1)) out += " emit { v: a, w: lower(s), z: a * 2 - b, r: tb[s], q: tb[t].y }";
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
      e += ",\"ip\":" +
           (Int(0, 5)
                ? "\"" +
                      Pick<std::string>({"10.1.2.3", "10.255.0.1", "192.168.1.1", "fe80::1",
                                         "::ffff:10.0.0.1", "2001:db8::5", "not-an-ip", "10.1.2",
                                         "fe80::1%eth0", "0.0.0.0", "10.1.3.255", "::"}) +
                      "\""
                : Value(false));
    }
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

struct SeqGen {
  std::mt19937_64 rng;
  explicit SeqGen(uint64_t seed) : rng(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  bool Chance(int pct) { return Int(1, 100) <= pct; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, int(v.size()) - 1))];
  }
  std::string N() { return std::to_string(Int(0, 9)); }
  std::string Type() { return Pick<std::string>({"A", "B", "C"}); }

  // Tables (LANGUAGE.md 7): with `tables`, the rules may look table `tb` up (Table() must then
  // head the rule file): rows keyed by y, set by D events, removed by some D or C events.
  bool tables = false;
  // Hot keys (`hot`): mostly `every` rules led by `A+` without a window or `having`, over streams
  // of mostly A events on few keys: the shape where partial matches become runs
  // (engine/match_run.h) under a small bound.
  bool hot = false;
  // Joins (`join`): mostly keyless `every` rules whose later terms require k equal to an
  // earlier event's (the rules whose matches the engine keeps by an inferred key,
  // engine/key_inference.h), over streams whose k is sometimes null or a number written two ways.
  bool join = false;
  std::string Table() {
    return Chance(50) ? "table tb by y from D where x != 0 delete on D where x == 0\n"
                      : "table tb by y from D delete on C by y where x == 1\n";
  }
  // A key for a lookup in having/emit, read through an alias.
  static std::string AliasKey(const std::string& alias, bool list) {
    return list ? "last(" + alias + ").y" : alias + ".y";
  }

  struct TermInfo {
    std::string alias;
    bool list;
  };

  // A condition for a term that may read the earlier terms `before`, and itself via prev().
  std::string Cond(const std::vector<TermInfo>& before, const TermInfo* self) {
    std::vector<std::string> c = {"x > " + N(), "x < " + N(),
                                  "y == \"" + Pick<std::string>({"p", "q"}) + "\"", "x in 2..7",
                                  "y != \"r\""};
    for (const TermInfo& t : before) {
      if (t.list) {
        c.push_back("x >= last(" + t.alias + ").x");
        c.push_back("count(" + t.alias + ") >= 2");
        c.push_back("sum(" + t.alias + ".x) > " + N());
        c.push_back("y == first(" + t.alias + ").y");
      } else {
        c.push_back("x > " + t.alias + ".x");
        c.push_back("y != " + t.alias + ".y");
      }
    }
    if (self && self->list) {
      c.push_back("x > prev(" + self->alias + ").x");
      c.push_back("x != prev(" + self->alias + ").x");
    }
    if (tables && Chance(25)) {  // rarely: a lookup is mostly false while the table fills
      std::vector<std::string> l = {"tb[y].x > " + N(), "tb[y] is null", "tb[y] is not null"};
      for (const TermInfo& t : before) l.push_back("x >= tb[" + AliasKey(t.alias, t.list) + "].x");
      return Pick(l) + (Chance(50) ? " or " + Pick(c) : "");
    }
    std::string out = Pick(c);
    if (Chance(25)) out += Pick<std::string>({" and ", " or "}) + Pick(c);
    return out;
  }

  std::string Having(const std::vector<TermInfo>& all) {
    std::vector<std::string> c;
    for (const TermInfo& t : all) {
      if (t.list) {
        c.push_back("count(" + t.alias + ") >= " + std::to_string(Int(1, 4)));
        c.push_back("sum(" + t.alias + ".x) > " + std::to_string(Int(0, 20)));
        c.push_back("distinct(" + t.alias + ".y) >= 2");
        c.push_back("avg(" + t.alias + ".x) < 5");
        c.push_back("max(" + t.alias + ".x) - min(" + t.alias + ".x) >= 2");
      } else {
        c.push_back(t.alias + ".x > " + N());
      }
      if (tables && Chance(30)) c.push_back("tb[" + AliasKey(t.alias, t.list) + "].x > " + N());
    }
    return Pick(c);
  }

  std::string Emit(const std::vector<TermInfo>& all) {
    std::string e = " emit { ";
    int n = 0;
    for (const TermInfo& t : all) {
      if (n++) e += ", ";
      if (t.list) {
        e += "n" + t.alias + ": count(" + t.alias + "), s" + t.alias + ": sum(" + t.alias +
             ".x), f" + t.alias + ": first(" + t.alias + ").y, l" + t.alias + ": last(" + t.alias +
             ").y, m" + t.alias + ": min(" + t.alias + ".x)";
      } else {
        e += "v" + t.alias + ": " + t.alias + ".x";
      }
      if (tables) e += ", t" + t.alias + ": tb[" + AliasKey(t.alias, t.list) + "]";
    }
    return e + " }";
  }

  // A keyless `every` rule whose later terms each require `k == x.k` (x: an earlier term that
  // binds one event) next to other conditions; sometimes written so that no key is inferred.
  std::string JoinRule(int id) {
    std::string r = "rule s" + std::to_string(id) + " on sequence";
    if (Chance(75)) r += " within " + std::to_string(Int(3, 25)) + "ms";
    r += " every";
    const int positives = Int(2, 3);
    std::vector<TermInfo> terms, singles;
    for (int i = 0; i < positives; ++i) {
      TermInfo t{"a" + std::to_string(i), false};
      std::string quant;
      switch (i == 0 ? 9 : Int(0, 6)) {
        case 0:
          quant = "+";
          break;
        case 1:
          quant = "{1,2}";
          break;
        case 2:
          quant = i < positives - 1 ? "?" : "{2}";
          break;
        default:
          break;
      }
      t.list = !quant.empty();
      r += " " + t.alias + ": " + Type() + quant;
      if (i == 0) {
        if (Chance(50)) r += " where " + Cond(terms, &t);
      } else {
        const std::string x = Pick(singles).alias;
        std::string eq = Chance(50) ? "k == " + x + ".k" : x + ".k == k";
        if (Chance(5)) eq = "y == " + x + ".y";  // another path: no key inferred
        if (Chance(5)) eq += " or x > 8";        // not a conjunct: no key inferred
        if (Chance(60)) {
          const std::string more = "(" + Cond(terms, &t) + ")";
          eq = Chance(50) ? eq + " and " + more : more + " and " + eq;
        }
        r += " where " + eq;
      }
      if (!t.list) singles.push_back(t);
      terms.push_back(t);
    }
    if (Chance(25)) r += " having " + Having(terms);
    if (Chance(15)) r += " suppress " + std::to_string(Int(2, 10)) + "ms";
    if (Chance(60)) r += Emit(terms);
    return r + "\n";
  }

  std::string Rule(int id) {
    if (join && Chance(75)) return JoinRule(id);
    std::string r = "rule s" + std::to_string(id) + " on sequence";
    if (Chance(85)) r += Chance(80) ? " by k" : " by k, y";
    bool within = Chance(hot ? 40 : 75);
    if (within) r += " within " + std::to_string(Int(3, 25)) + "ms";
    int policy = hot ? (Chance(85) ? 1 : Int(0, 9)) : Int(0, 9);
    if (policy == 0) r += " strict";
    if (policy == 1 || policy == 2) r += " every";
    int positives = Int(1, 3);
    std::vector<TermInfo> terms;
    for (int i = 0; i < positives; ++i) {
      if (i > 0 && Chance(25)) {
        r += " not " + Type();
        if (Chance(50)) r += " where " + Cond(terms, nullptr);
      }
      if (Chance(hot ? 5 : 20)) {  // an all(...) step: 2-3 branches of 1-2 terms, minimum >= 1 each
        const bool named = Chance(50);  // its alias: a list of all its events
        r += named ? " g" + std::to_string(i) + ": all(" : " all(";
        std::vector<TermInfo> group;
        int branches = Chance(75) ? 2 : 3;
        for (int b = 0; b < branches; ++b) {
          if (b) r += ",";
          std::vector<TermInfo> seen = terms;  // a branch sees the terms before the group
          int n = Chance(70) ? 1 : 2;
          for (int j = 0; j < n; ++j) {
            TermInfo t{"g" + std::to_string(i) + std::to_string(b) + std::to_string(j), false};
            std::string quant = Pick<std::string>({"", "", "", "+", "{2}", "{1,3}", "{2,}", "{1}"});
            t.list = !quant.empty();
            r += " " + t.alias + ": " + Type() + quant;
            if (Chance(50)) r += " where " + Cond(seen, &t);
            seen.push_back(t);
            group.push_back(t);
          }
        }
        r += ")";
        terms.insert(terms.end(), group.begin(), group.end());
        if (named) terms.push_back(TermInfo{"g" + std::to_string(i), true});
        continue;
      }
      TermInfo t{"a" + std::to_string(i), false};
      std::string quant;
      switch (hot && Chance(i == 0 ? 70 : 30) ? 0 : Int(0, 9)) {
        case 0:
          quant = "+";
          break;
        case 1:
          quant = "{2}";
          break;
        case 2:
          quant = "{1,3}";
          break;
        case 3:
          quant = "{2,}";
          break;
        case 4:
          quant = i > 0 && i < positives - 1 ? "*" : "+";
          break;
        case 5:
          quant = i > 0 && i < positives - 1 ? "?" : "{1,2}";
          break;
        case 6:
          quant = Chance(50) ? "{1}" : "{1,1}";  // still a list alias (LANGUAGE.md 3.2)
          break;
        default:
          break;
      }
      t.list = !quant.empty();
      r += " " + t.alias + ": " + Type() + quant;
      if (Chance(hot ? 30 : 60)) r += " where " + Cond(terms, &t);
      terms.push_back(t);
    }
    if (within && Chance(25)) {
      r += " not " + Type();
      if (Chance(40)) r += " where " + Cond(terms, nullptr);
    }
    if (Chance(20)) r += " until D" + std::string(Chance(50) ? " where x > 5" : "");
    if (Chance(hot ? 10 : 35)) r += " having " + Having(terms);
    if (Chance(15)) r += " suppress " + std::to_string(Int(2, 10)) + "ms";
    if (Chance(60)) r += Emit(terms);
    return r + "\n";
  }

  std::string Value() {
    switch (Int(0, 14)) {
      case 0:
        return "null";
      case 1:
        return "\"5\"";
      default:
        return N();
    }
  }

  std::string Event(int64_t ts) {
    std::string e = "{\"type\":\"" +
                    (hot ? Pick<std::string>({"A", "A", "A", "A", "A", "A", "B", "B", "C", "D"})
                         : Pick<std::string>({"A", "B", "C", "D", "A", "B"})) +
                    "\"";
    e += ",\"ts\":" + std::to_string(ts);
    if (join && Chance(20)) {
      // Values whose key text is shared without `==` holding (arrays, objects), booleans, and
      // a non-ASCII string: the matcher skips the key equality only for exact values.
      e += ",\"k\":" + Pick<std::string>({"null", "1", "1.0", "\"k1\"", "[1]", "{\"a\":1}", "true",
                                          "\"k\u00e9\""});
    } else if (Int(0, 12)) {
      e += ",\"k\":\"" + (hot && Chance(80) ? "k1" : Pick<std::string>({"k1", "k2", "k3"})) + "\"";
    }
    if (Int(0, 8)) e += ",\"x\":" + Value();
    if (Int(0, 8)) e += ",\"y\":\"" + Pick<std::string>({"p", "q", "r"}) + "\"";
    return e + "}";
  }
};

// One seed of single-event rules against the reference matcher: "" when they agree, else the
// rules, the event and both outputs.
// `ranges_only`: conjunctions of ranges and comparisons only.
std::string SingleEventCase(uint64_t seed, int nrules = 60, int nevents = 300,
                            bool conjunctions = false, bool ranges_only = false);

struct SequenceCaseResult {
  std::string mismatch;  // "" when engine (1, 2, 3 workers) and reference agree
  size_t complex_events = 0;
  uint64_t dropped = 0;    // partial matches dropped by the bound (one thread)
  uint64_t run_steps = 0;  // steps served by runs (one thread)
  // Steps of rules kept by an inferred key, and merges back for the bound (one thread).
  uint64_t inferred_steps = 0, unpartitions = 0;
};
// One seed of sequence rules and a stream against the literal reference. `collide_distinct`
// makes every distinct() hash equal (values must then be compared).
// `hot`: SeqGen::hot rules and streams under a bound of 2-12 partial matches.
// `join`: SeqGen::join rules and streams, under a bound of 3-40 partial matches on half the
// seeds. `many`: 24-48 rules at once instead of 1-4 (timers of many rules due together, keys
// shared between rules).
SequenceCaseResult SequenceCase(uint64_t seed, bool collide_distinct, int nevents = 250,
                                bool hot = false, bool join = false, bool many = false);

// One seed of sequence rules and a stream, run once without a break and once with the engine
// saved at random points (after a Flush, as checkpoints are taken) and restored into a fresh
// engine, with 1 or 3 threads on either side. `roundtrip` carries each snapshot (through the
// checkpoint codec in the tests). "" when both give the same complex events; else the case
// and the first difference.
struct RestoreCaseResult {
  std::string mismatch;
  size_t complex_events = 0, restored_matches = 0, snapshots = 0;
};
using SnapshotRoundtrip = std::function<engine::EngineSnapshot(const engine::EngineSnapshot&)>;
// `capture`: how each snapshot is taken. kSave: Engine::Save. kBeside: BeginCapture, then
// the run goes on over more events (into a sink that is thrown away: the restored engine does
// them again) before CompleteCapture on the same thread; kConcurrent: CompleteCapture on a
// thread of its own while the run goes on (the checkpoint writer's way).
enum class Capture { kSave, kBeside, kConcurrent };
RestoreCaseResult RestoreCase(uint64_t seed, const SnapshotRoundtrip& roundtrip, int nevents = 250,
                              bool hot = false, Capture capture = Capture::kSave,
                              bool join = false);

// New rules taking over mid-stream (a reload): random sequence rules, of which the new set
// keeps some unchanged, changes, drops and adds some, compiled with the old fields as seed.
// One engine hands its state over with Engine::TakeOver, a twin with Save and Restore (the
// snapshot path, itself checked against uninterrupted runs by RestoreCase); their reports,
// their complex events after the reload and their counters must agree, and the state the
// take-over moved must be accounted as a walk counts it. `restored_matches`: matches kept.
RestoreCaseResult TakeOverCase(uint64_t seed, int nevents = 250, bool hot = false,
                               bool join = false);

}  // namespace strix::test
