// Test blocks run and judged (see rule_tests.h).
#include "runtime/rule_tests.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <unordered_map>

#include "adapters/memory_source.h"
#include "common/json_text.h"
#include "runtime/pipeline.h"

namespace strix::runtime {
namespace {

bool ElementsEqual(simdjson::dom::element a, simdjson::dom::element b) {
  using T = simdjson::dom::element_type;
  auto numeric = [](T t) { return t == T::INT64 || t == T::UINT64 || t == T::DOUBLE; };
  if (numeric(a.type()) && numeric(b.type())) {
    auto as_double = [](simdjson::dom::element e) {
      switch (e.type()) {
        case T::INT64:
          return double(int64_t(e));
        case T::UINT64:
          return double(uint64_t(e));
        default:
          return double(e);
      }
    };
    return as_double(a) == as_double(b);
  }
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case T::STRING:
      return std::string_view(a) == std::string_view(b);
    case T::BOOL:
      return bool(a) == bool(b);
    case T::NULL_VALUE:
      return true;
    case T::ARRAY: {
      simdjson::dom::array x = a, y = b;
      if (x.size() != y.size()) return false;
      auto i = x.begin(), j = y.begin();
      for (; i != x.end(); ++i, ++j) {
        if (!ElementsEqual(*i, *j)) return false;
      }
      return true;
    }
    case T::OBJECT: {
      simdjson::dom::object x = a, y = b;
      if (x.size() != y.size()) return false;
      for (auto field : x) {
        simdjson::dom::element other;
        if (y.at_key(field.key).get(other) || !ElementsEqual(field.value, other)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

// A complex event as the judge sees it.
struct Actual {
  uint32_t rule;
  std::map<std::string, std::string> fields;  // name -> JSON text
  std::string line;
};

// A complex event for the judge: its rule, fields by name, and line as written.
Actual Observe(const engine::Program& p, const engine::ComplexEvent& ce, std::string_view line) {
  Actual a;
  a.rule = ce.rule;
  for (size_t i = 0; i < ce.fields.size(); ++i) {
    std::string v;
    AppendJsonValue(v, ce.fields[i]);
    a.fields[p.rules[ce.rule].emit_names[i]] = v;
  }
  a.line = line;
  if (!a.line.empty() && a.line.back() == '\n') a.line.pop_back();
  return a;
}

std::string Describe(const ql::Expect& e) {
  std::string s = "expect ";
  if (e.kind == ql::Expect::Kind::kNone) return s + "none " + e.rule;
  if (e.kind == ql::Expect::Kind::kCount) s += std::to_string(e.count) + " ";
  s += e.rule;
  if (!e.fields.empty()) {
    s += " {";
    for (size_t i = 0; i < e.fields.size(); ++i) {
      s += (i ? ", " : " ") + e.fields[i].name + ": " + e.fields[i].json;
    }
    s += " }";
  }
  return s;
}

// The canonical text of a JSON value: numbers as doubles, object members sorted by key. Two
// values are equal under JsonEqual exactly when their canonical texts are.
void Canonical(simdjson::dom::element e, std::string& out) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::INT64:
      AppendJsonNumber(out, double(int64_t(e)));
      return;
    case T::UINT64:
      AppendJsonNumber(out, double(uint64_t(e)));
      return;
    case T::DOUBLE:
      AppendJsonNumber(out, double(e));
      return;
    case T::STRING:
      AppendJsonString(out, std::string_view(e));
      return;
    case T::BOOL:
      out += bool(e) ? "true" : "false";
      return;
    case T::NULL_VALUE:
      out += "null";
      return;
    case T::ARRAY: {
      out += '[';
      bool first = true;
      for (simdjson::dom::element k : simdjson::dom::array(e)) {
        if (!first) out += ',';
        first = false;
        Canonical(k, out);
      }
      out += ']';
      return;
    }
    case T::OBJECT: {
      std::map<std::string_view, simdjson::dom::element> sorted;
      for (auto field : simdjson::dom::object(e)) sorted.emplace(field.key, field.value);
      out += '{';
      bool first = true;
      for (const auto& [k, v] : sorted) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, k);
        out += ':';
        Canonical(v, out);
      }
      out += '}';
      return;
    }
  }
}

std::string CanonicalText(simdjson::dom::parser& parser, std::string_view json) {
  simdjson::padded_string padded(json);
  simdjson::dom::element e;
  if (parser.parse(padded).get(e)) return "\x01" + std::string(json);  // equals nothing valid
  std::string out;
  Canonical(e, out);
  return out;
}

// Matches the expectations of one rule with its complex events: each `expect RULE {..}` takes
// one complex event whose fields include its values, `expect N` N of them, as a maximum
// bipartite matching (expectations with capacities -> events), so the order of expects does
// not matter. Iterative augmenting paths over adjacency lists: no recursion, no expansion of
// counts, and candidates found through an index on each expectation's first field.
void Judge(const std::vector<const ql::Expect*>& expects, const std::vector<const Actual*>& got,
           std::vector<std::string>& problems) {
  simdjson::dom::parser parser;
  size_t ne = expects.size(), na = got.size();
  // Canonical texts of the expected and actual field values.
  std::vector<std::vector<std::pair<std::string, std::string>>> want(ne);
  for (size_t e = 0; e < ne; ++e) {
    for (const ql::ExpectField& f : expects[e]->fields)
      want[e].emplace_back(f.name, CanonicalText(parser, f.json));
  }
  std::vector<std::map<std::string, std::string>> have(na);
  for (size_t a = 0; a < na; ++a) {
    for (const auto& [name, json] : got[a]->fields) have[a][name] = CanonicalText(parser, json);
  }
  auto fits = [&](size_t e, size_t a) {
    for (const auto& [name, value] : want[e]) {
      auto v = have[a].find(name);
      if (v == have[a].end() || v->second != value) return false;
    }
    return true;
  };
  // Index: first field name -> its canonical value -> expectations; and those without fields.
  std::map<std::string, std::unordered_map<std::string, std::vector<uint32_t>>> index;
  std::vector<uint32_t> any;
  std::vector<uint64_t> room(ne);
  for (size_t e = 0; e < ne; ++e) {
    const ql::Expect& x = *expects[e];
    room[e] = x.kind == ql::Expect::Kind::kNone    ? 0
              : x.kind == ql::Expect::Kind::kCount ? x.count
                                                   : 1;
    if (room[e] == 0) continue;
    if (want[e].empty()) {
      any.push_back(uint32_t(e));
    } else {
      index[want[e][0].first][want[e][0].second].push_back(uint32_t(e));
    }
  }
  std::vector<std::vector<uint32_t>> fitting(na);  // actual -> expectations it fits
  for (size_t a = 0; a < na; ++a) {
    fitting[a] = any;
    for (const auto& [name, values] : index) {
      auto v = have[a].find(name);
      if (v == have[a].end()) continue;
      auto hit = values.find(v->second);
      if (hit == values.end()) continue;
      for (uint32_t e : hit->second) {
        if (fits(e, a)) fitting[a].push_back(e);
      }
    }
  }
  const uint32_t kFree = UINT32_MAX;
  std::vector<uint32_t> owner(na, kFree);          // actual -> expectation
  std::vector<std::vector<uint32_t>> holders(ne);  // expectation -> actuals it holds
  // Augmenting path from each unassigned actual: actual -> expectation with room, or through an
  // expectation that is full, to one of its actuals that can move on (BFS over expectations).
  std::vector<uint32_t> from_actual(ne), seen(ne, kFree);
  std::vector<uint32_t> queue;
  for (uint32_t a = 0; a < na; ++a) {
    queue.clear();
    uint32_t found = kFree;
    for (uint32_t e : fitting[a]) {
      if (seen[e] == a) continue;
      seen[e] = a;
      from_actual[e] = a;
      queue.push_back(e);
    }
    for (size_t q = 0; q < queue.size() && found == kFree; ++q) {
      uint32_t e = queue[q];
      if (holders[e].size() < room[e]) {
        found = e;
        break;
      }
      for (uint32_t b : holders[e]) {
        for (uint32_t e2 : fitting[b]) {
          if (seen[e2] == a) continue;
          seen[e2] = a;
          from_actual[e2] = b;
          queue.push_back(e2);
        }
      }
    }
    // Walk back: each actual on the path moves to the expectation after it.
    for (uint32_t e = found; e != kFree;) {
      uint32_t b = from_actual[e];
      uint32_t prev = owner[b];
      if (prev != kFree) {
        auto& h = holders[prev];
        h.erase(std::find(h.begin(), h.end(), b));
      }
      owner[b] = e;
      holders[e].push_back(b);
      e = prev;
    }
  }
  for (size_t e = 0; e < ne; ++e) {
    uint64_t need = room[e], have_n = holders[e].size();
    if (have_n >= need) continue;
    const ql::Expect& x = *expects[e];
    std::string msg = Describe(x) + ": ";
    if (x.kind == ql::Expect::Kind::kCount) {
      msg += "expected " + std::to_string(need) + " matching complex events, got " +
             std::to_string(have_n);
    } else {
      msg += "no matching complex event";
    }
    // The closest complex event not taken: the one that agrees on most fields, and how it differs.
    size_t best = na, best_score = 0;
    for (size_t a = 0; a < na; ++a) {
      if (owner[a] != kFree) continue;
      size_t score = 1;
      for (const auto& [name, value] : want[e]) {
        auto v = have[a].find(name);
        score += v != have[a].end() && v->second == value;
      }
      if (score > best_score) {
        best = a;
        best_score = score;
      }
    }
    // (When some were found, only a complex event that agrees on a field is worth showing.)
    if (best < na && !want[e].empty() && (have_n == 0 || best_score > 1)) {
      std::string diff;
      for (size_t f = 0; f < want[e].size(); ++f) {
        const std::string& name = want[e][f].first;
        auto v = got[best]->fields.find(name);
        auto c = have[best].find(name);
        if (c != have[best].end() && c->second == want[e][f].second) continue;
        diff += (diff.empty() ? "" : ", ") + name + ": " +
                (v == got[best]->fields.end() ? std::string("missing") : v->second) + ", not " +
                x.fields[f].json;
      }
      msg += " (the closest one has " + diff + ")";
    }
    problems.push_back(msg);
  }
  for (size_t a = 0; a < na; ++a) {
    if (owner[a] == kFree) problems.push_back("unexpected: " + got[a]->line);
  }
}

}  // namespace

bool JsonEqual(std::string_view a, std::string_view b) {
  simdjson::dom::parser pa, pb;
  simdjson::dom::element x, y;
  if (pa.parse(a.data(), a.size()).get(x) || pb.parse(b.data(), b.size()).get(y)) return false;
  return ElementsEqual(x, y);
}

std::vector<RuleTestResult> RunRuleTests(const ql::CheckedRules& rules, const engine::Program& p) {
  std::vector<RuleTestResult> results;
  std::map<std::string, uint32_t> rule_index;
  for (uint32_t i = 0; i < p.rules.size(); ++i) rule_index[p.rules[i].name] = i;
  for (uint32_t f = 0; f < rules.asts.size(); ++f) {
    const ql::SourceFile& file = rules.files[f];
    for (const ql::Test& t : rules.asts[f].tests) {
      RuleTestResult r;
      r.where = file.name + ":" + std::to_string(ql::LocateOffset(file.text, t.pos).line);
      r.name = t.name;
      // A run of its own per test (runtime/pipeline.h, as `strix run` over a file holding the
      // given events): the given events, then the end of the input (deadlines fire).
      std::vector<std::pair<std::string, uint64_t>> given;
      for (size_t g = 0; g < t.given.size(); ++g)
        given.emplace_back(t.given[g], ql::LocateOffset(file.text, t.given_pos[g]).line);
      PipelineOptions o;
      o.inputs = {file.name};
      o.output = "";  // judged from the hook below
      o.output_events = adapters::OutputEvents::kIds;
      o.max_state_bytes = 0;
      PipelineHooks hooks;
      hooks.open_input = [&](size_t,
                             const std::string&) -> Result<std::unique_ptr<adapters::Source>> {
        return std::unique_ptr<adapters::Source>(new adapters::MemorySource(given));
      };
      std::vector<Actual> got;
      hooks.complex_event = [&](const engine::ComplexEvent& ce, std::string_view line) {
        got.push_back(Observe(p, ce, line));
      };
      hooks.rejected = [&](const char* reason, const std::string&, uint64_t line) {
        if (std::string_view(reason) == "late") {
          r.problems.push_back("the event on line " + std::to_string(line) +
                               " is late (older than an earlier event) and was not matched");
        } else {
          r.problems.push_back("the event on line " + std::to_string(line) +
                               " was rejected: " + reason);
        }
      };
      std::vector<std::string> said;  // the run's messages: problems when it failed
      hooks.message = [&](const std::string& m) { said.push_back(m); };
      std::atomic<bool> stop{false};
      Pipeline run(p, o, hooks, &stop);
      if (Status s = run.Open(); !s.ok()) {
        r.problems.push_back(s.message());
      } else if (run.Run().status != 0) {
        r.problems.insert(r.problems.end(), said.begin(), said.end());
      }
      for (const Actual& a : got) r.actual.push_back(a.line);

      for (const ql::Expect& e : t.expects) r.expected.push_back(Describe(e));
      // Per rule named by an expect, its expectations (`expect none` names the rule with none).
      std::map<uint32_t, std::vector<const ql::Expect*>> by_rule;
      for (const ql::Expect& e : t.expects) {
        auto it = rule_index.find(e.rule);
        if (it != rule_index.end()) by_rule[it->second].push_back(&e);  // else a compile error
      }
      for (const auto& [rule, expects] : by_rule) {
        std::vector<const Actual*> of_rule;
        for (const Actual& a : got) {
          if (a.rule == rule) of_rule.push_back(&a);
        }
        Judge(expects, of_rule, r.problems);
      }
      r.passed = r.problems.empty();
      results.push_back(std::move(r));
    }
  }
  return results;
}

}  // namespace strix::runtime
