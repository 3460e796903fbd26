// Test blocks run and judged (see rule_tests.h).
#include "adapters/rule_tests.h"

#include <simdjson.h>

#include <functional>
#include <map>

#include "adapters/complex_event_writer.h"
#include "adapters/event_decoder.h"
#include "common/json_text.h"
#include "engine/engine.h"

namespace strix::adapters {
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

struct Collect : engine::ComplexEventSink {
  const engine::Program* p = nullptr;
  ComplexEventWriter* writer = nullptr;
  std::vector<Actual> got;
  void Emit(const engine::ComplexEvent& ce) override {
    Actual a;
    a.rule = ce.rule;
    for (size_t i = 0; i < ce.fields.size(); ++i) {
      std::string v;
      AppendJsonValue(v, ce.fields[i]);
      a.fields[p->rules[ce.rule].emit_names[i]] = v;
    }
    a.line = writer->Format(ce);
    if (!a.line.empty() && a.line.back() == '\n') a.line.pop_back();
    got.push_back(std::move(a));
  }
};

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
      // A fresh engine per test; the given events, then the end of the input.
      std::vector<std::string> sources = {file.name};
      ComplexEventWriter writer(p, sources, OutputEvents::kIds, nullptr);
      Collect sink;
      sink.p = &p;
      sink.writer = &writer;
      engine::Engine eng(p, 0);
      EventDecoder dec(p.fields, Clock::kEvent);
      std::vector<simdjson::padded_string> keep;
      for (size_t g = 0; g < t.given.size(); ++g) {
        uint32_t line = ql::LocateOffset(file.text, t.given_pos[g]).line;
        keep.emplace_back(t.given[g]);
        Event ev;
        DecodeOutcome o = dec.Decode(std::string_view(keep.back().data(), keep.back().size()), ev);
        if (o != DecodeOutcome::kEvent) {
          r.problems.push_back("the event on line " + std::to_string(line) +
                               " was rejected: " + ReasonText(o));
          continue;
        }
        ev.source = 0;
        ev.line = line;
        ev.seq = g;
        if (eng.Push(std::move(ev), sink) == engine::Admit::kLate) {
          r.problems.push_back("the event on line " + std::to_string(line) +
                               " is late (older than an earlier event) and was not matched");
        }
      }
      eng.Finish(sink);
      for (const Actual& a : sink.got) r.actual.push_back(a.line);

      // Per rule named by an expect, the expectations to fill (one per complex event wanted;
      // `expect none` names the rule with none).
      std::map<uint32_t, std::vector<const ql::Expect*>> slots;
      for (const ql::Expect& e : t.expects) {
        r.expected.push_back(Describe(e));
        auto it = rule_index.find(e.rule);
        if (it == rule_index.end()) continue;  // a compile error already
        uint32_t n = e.kind == ql::Expect::Kind::kNone    ? 0
                     : e.kind == ql::Expect::Kind::kCount ? e.count
                                                          : 1;
        std::vector<const ql::Expect*>& want = slots[it->second];
        want.insert(want.end(), n, &e);
      }
      for (const auto& [rule, want] : slots) {
        std::vector<const Actual*> got;
        for (const Actual& a : sink.got) {
          if (a.rule == rule) got.push_back(&a);
        }
        auto fits = [&](const ql::Expect* e, const Actual& a) {
          for (const ql::ExpectField& f : e->fields) {
            auto v = a.fields.find(f.name);
            if (v == a.fields.end() || !JsonEqual(v->second, f.json)) return false;
          }
          return true;
        };
        // Maximum bipartite matching (Kuhn): expectations -> complex events.
        std::vector<int> owner(got.size(), -1);
        std::function<bool(size_t, std::vector<bool>&)> augment = [&](size_t s,
                                                                      std::vector<bool>& seen) {
          for (size_t a = 0; a < got.size(); ++a) {
            if (seen[a] || !fits(want[s], *got[a])) continue;
            seen[a] = true;
            if (owner[a] < 0 || augment(size_t(owner[a]), seen)) {
              owner[a] = int(s);
              return true;
            }
          }
          return false;
        };
        std::vector<bool> filled(want.size(), false);
        for (size_t s = 0; s < want.size(); ++s) {
          std::vector<bool> seen(got.size(), false);
          augment(s, seen);
        }
        for (size_t a = 0; a < got.size(); ++a) {
          if (owner[a] >= 0) filled[size_t(owner[a])] = true;
        }
        std::map<const ql::Expect*, uint32_t> missing;
        for (size_t s = 0; s < want.size(); ++s) {
          if (!filled[s]) ++missing[want[s]];
        }
        for (const auto& [e, n] : missing) {
          r.problems.push_back(Describe(*e) + ": " +
                               (n == 1 ? "no matching complex event"
                                       : std::to_string(n) + " matching complex events missing"));
        }
        for (size_t a = 0; a < got.size(); ++a) {
          if (owner[a] < 0) r.problems.push_back("unexpected: " + got[a]->line);
        }
      }
      r.passed = r.problems.empty();
      results.push_back(std::move(r));
    }
  }
  return results;
}

}  // namespace strix::adapters
