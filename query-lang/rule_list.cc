// `strix rules`: the rules of the loaded files, described (see rule_list.h).
#include "query-lang/rule_list.h"

#include <algorithm>

#include "common/json_text.h"
#include "common/time.h"

namespace strix::ql {
namespace {

std::string Dotted(const KeyPath& k) {
  std::string s;
  for (const std::string& seg : k.path) s += (s.empty() ? "" : ".") + seg;
  return s;
}

void AddType(RuleInfo& info, const Filter& f) {
  std::string t = f.any ? "any" : f.type;
  if (std::find(info.types.begin(), info.types.end(), t) == info.types.end())
    info.types.push_back(t);
}

}  // namespace

std::vector<RuleInfo> ListRules(const CheckedRules& rules) {
  std::vector<RuleInfo> out;
  for (size_t i = 0; i < rules.rules.size(); ++i) {
    const Rule& r = rules.rule(i);
    const SourceFile& file = rules.files[rules.rules[i].file];
    RuleInfo info;
    info.name = r.name;
    info.sequence = r.is_sequence;
    if (r.is_sequence) {
      for (const Term& t : r.sequence.terms) AddType(info, t.filter);
      if (r.sequence.until) AddType(info, *r.sequence.until);
      for (const KeyPath& k : r.sequence.keys) info.key.push_back(Dotted(k));
      if (!r.sequence.has_keys && !r.sequence.terms.empty()) {
        // Keys on the terms (`a: A by x  b: B by y`): the first term's, as the partition key.
        for (const KeyPath& k : r.sequence.terms.front().filter.keys) info.key.push_back(Dotted(k));
      }
      info.window_ms = r.sequence.within_ms;
    } else {
      AddType(info, r.filter);
      for (const KeyPath& k : r.filter.keys) info.key.push_back(Dotted(k));
    }
    info.suppress_ms = r.suppress_ms;
    info.file = file.name;
    LineCol lc = LocateOffset(file.text, r.pos);
    info.line = lc.line;
    info.column = lc.column;
    out.push_back(std::move(info));
  }
  return out;
}

std::string FormatRuleList(const std::vector<RuleInfo>& rules, bool json) {
  std::string out;
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
  };
  if (json) {
    out += "[";
    for (size_t i = 0; i < rules.size(); ++i) {
      const RuleInfo& r = rules[i];
      auto strings = [&](const std::vector<std::string>& v) {
        out += "[";
        for (size_t j = 0; j < v.size(); ++j) {
          if (j) out += ",";
          AppendJsonString(out, v[j]);
        }
        out += "]";
      };
      auto number = [&](const std::optional<int64_t>& n) {
        out += n ? std::to_string(*n) : "null";
      };
      out += i ? ",\n " : "\n ";
      out += "{\"name\":";
      AppendJsonString(out, r.name);
      out += ",\"kind\":";
      out += r.sequence ? "\"sequence\"" : "\"single\"";
      out += ",\"types\":";
      strings(r.types);
      out += ",\"key\":";
      strings(r.key);
      out += ",\"window_ms\":";
      number(r.window_ms);
      out += ",\"suppress_ms\":";
      number(r.suppress_ms);
      out += ",\"file\":";
      AppendJsonString(out, r.file);
      out +=
          ",\"line\":" + std::to_string(r.line) + ",\"column\":" + std::to_string(r.column) + "}";
    }
    out += rules.empty() ? "]\n" : "\n]\n";
    return out;
  }
  // Columns padded to their widest entry.
  std::vector<std::vector<std::string>> rows;
  for (const RuleInfo& r : rules) {
    rows.push_back({r.name, r.sequence ? "sequence" : "single", join(r.types),
                    r.key.empty() ? "-" : "by " + join(r.key),
                    r.window_ms ? "within " + FormatDuration(*r.window_ms) : "-",
                    r.suppress_ms ? "suppress " + FormatDuration(*r.suppress_ms) : "-",
                    r.file + ":" + std::to_string(r.line)});
  }
  std::vector<size_t> width(7, 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace strix::ql
