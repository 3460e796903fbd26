// Reference matcher (see reference_matcher.h): a direct tree walk over the checked AST.
#include "test/reference_matcher.h"

#include "common/json_text.h"
#include "test/reference_eval.h"

namespace strix::test {

using namespace ql;

std::vector<RefMatch> ReferenceMatch(const ql::CheckedRules& rules, const std::string& json,
                                     RefTables* tables) {
  std::vector<RefMatch> out;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root) || root.type() != simdjson::dom::element_type::OBJECT)
    return out;
  V type = Lookup(root, std::vector<std::string>{"type"});
  for (size_t i = 0; i < rules.rules.size(); ++i) {
    const Rule& r = rules.rule(i);
    if (r.is_sequence) continue;
    if (!r.filter.any && (type.k != V::kStr || type.s != r.filter.type)) continue;
    Eval ev{rules.ast_of(i), root, nullptr, tables};
    std::vector<V> key;
    bool keyed = true;
    for (const KeyPath& k : r.filter.keys) {
      V v = Lookup(root, k.path);
      if (v.k == V::kMissing || v.k == V::kNull) keyed = false;
      key.push_back(v);
    }
    if (!keyed) continue;
    if (r.filter.where != kNoExpr && !ev.Truth(r.filter.where)) continue;
    if (r.having != kNoExpr && !ev.Truth(r.having)) continue;
    RefMatch m{i, "", "{"};
    if (key.empty()) {
      m.key = "null";
    } else if (key.size() == 1) {
      AppendV(m.key, key[0]);
    } else {
      m.key = "[";
      for (size_t k = 0; k < key.size(); ++k) {
        if (k) m.key += ",";
        AppendV(m.key, key[k]);
      }
      m.key += "]";
    }
    for (size_t f = 0; f < r.emit.size(); ++f) {
      if (f) m.fields += ",";
      AppendJsonString(m.fields, r.emit[f].name);
      m.fields += ":";
      AppendV(m.fields, ev.Val(r.emit[f].value));
    }
    m.fields += "}";
    out.push_back(std::move(m));
  }
  if (tables) tables->Apply(root, json);
  return out;
}

}  // namespace strix::test
