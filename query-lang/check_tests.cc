// Test-block checks (see check_tests.h).
#include "query-lang/check_tests.h"

#include <simdjson.h>

#include <set>
#include <string_view>
#include <unordered_map>

#include "query-lang/check.h"

namespace strix::ql {

void CheckTests(const CheckedRules& rules, std::vector<Diagnostic>& out) {
  // Rules by name, made when the first `expect` needs it (most rule sets have no tests).
  std::unordered_map<std::string_view, const Rule*> by_name;
  auto find_rule = [&](const std::string& name) -> const Rule* {
    if (by_name.empty()) {
      for (size_t i = 0; i < rules.rules.size(); ++i) by_name[rules.rule(i).name] = &rules.rule(i);
    }
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
  };
  std::set<std::string> test_names;
  simdjson::dom::parser parser;
  for (uint32_t f = 0; f < rules.asts.size(); ++f) {
    for (const Test& t : rules.asts[f].tests) {
      auto error = [&](uint32_t pos, std::string msg) {
        out.push_back(Diagnostic{Severity::kError, f, pos, std::move(msg)});
      };
      if (!test_names.insert(t.name).second) {
        out.push_back(
            Diagnostic{Severity::kWarning, f, t.pos, "test \"" + t.name + "\" is defined twice"});
      }
      for (size_t g = 0; g < t.given.size(); ++g) {
        simdjson::dom::element el;
        auto err = parser.parse(t.given[g]).get(el);
        if (err) {
          error(t.given_pos[g],
                std::string("this event is not valid JSON: ") + simdjson::error_message(err));
        } else if (el.type() != simdjson::dom::element_type::OBJECT) {
          error(t.given_pos[g], "an event under 'given' must be a JSON object");
        }
      }
      for (const Expect& e : t.expects) {
        const Rule* rule = find_rule(e.rule);
        if (!rule) {
          error(e.pos, "expect names unknown rule '" + e.rule + "'");
          continue;
        }
        if (e.kind == Expect::Kind::kCount && e.count == 0) {
          error(e.pos, "'expect 0 " + e.rule + "' is written 'expect none " + e.rule + "'");
        }
        std::set<std::string> emitted, seen;
        for (const EmitField& ef : rule->emit) emitted.insert(ef.name);
        for (const ExpectField& ef : e.fields) {
          if (!emitted.count(ef.name)) {
            error(ef.pos, "rule '" + e.rule + "' has no emit field '" + ef.name + "'");
          }
          if (!seen.insert(ef.name).second)
            error(ef.pos, "field '" + ef.name + "' is written twice");
          simdjson::dom::element el;
          if (parser.parse(ef.json).get(el)) error(ef.pos, "the expected value is not valid JSON");
        }
      }
    }
  }
}

}  // namespace strix::ql
