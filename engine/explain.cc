// explain output (see explain.h).
#include "engine/explain.h"

#include "common/json_text.h"
#include "common/time.h"
#include "engine/compile.h"
#include "query-lang/dump.h"

namespace strix::engine {
namespace {

std::string DotQuote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o.push_back('\\');
    if (c == '\n') {
      o += "\\l";
      continue;
    }
    o.push_back(c);
  }
  return o + "\"";
}

struct RuleView {
  std::string header;
  std::vector<std::string> entries;
  std::string residual;
  std::vector<std::string> notes;
};

RuleView View(const ql::CheckedRules& rules, const Program& p, size_t i) {
  const ql::Rule& r = rules.rule(i);
  const ql::Ast& ast = rules.ast_of(i);
  const CompiledRule& cr = p.rules[i];
  RuleView v;
  if (r.is_sequence) {
    v.header = "rule " + r.name + " (sequence)";
    v.notes.push_back("pattern: sequence of " + std::to_string(r.sequence.terms.size()) +
                      " terms");
    for (const ql::Term& t : r.sequence.terms) {
      v.notes.push_back(std::string("  term: ") + (t.negated ? "not " : "") +
                        (t.alias.empty() ? "" : t.alias + ": ") + ql::DumpFilter(ast, t.filter));
    }
    v.notes.push_back("automaton: not compiled yet (sequence runtime is a later issue)");
    return v;
  }
  v.header = "rule " + r.name + " (single event)";
  v.entries.push_back(cr.any_type ? "type       any" : "type       " + cr.type);
  auto atoms = cr.condition == kNoNode ? std::nullopt : AccessPredicates(p, cr.condition);
  if (!atoms) {
    v.entries.push_back("always-check list of " + (cr.any_type ? std::string("any") : cr.type));
  } else if (atoms->empty()) {
    v.entries.push_back("none: the condition can never hold");
  } else {
    for (const index::Atom& a : *atoms) v.entries.push_back(DescribeAtom(p, a));
  }
  std::string res;
  if (r.filter.where != ql::kNoExpr) res = ql::DumpExpr(ast, r.filter.where);
  if (r.having != ql::kNoExpr) res += (res.empty() ? "" : " and ") + ql::DumpExpr(ast, r.having);
  v.residual = res.empty() ? "true" : res;
  if (cr.has_keys) {
    std::string k;
    for (uint32_t s : cr.key_slots) k += (k.empty() ? "" : ", ") + DescribeField(p.fields[s]);
    v.notes.push_back("key: " + k + " (an event without it does not match)");
  }
  if (cr.suppress_ms) v.notes.push_back("suppress: " + FormatDuration(*cr.suppress_ms));
  if (!cr.emit_names.empty()) {
    std::string e;
    for (const std::string& n : cr.emit_names) e += (e.empty() ? "" : ", ") + n;
    v.notes.push_back("emit: " + e);
  }
  return v;
}

}  // namespace

bool Explain(const ql::CheckedRules& rules, const Program& p, const std::string& only_rule,
             ExplainFormat format, std::string& out) {
  bool found = false;
  if (format == ExplainFormat::kDot) out += "digraph strix {\n  rankdir=LR;\n  node [shape=box];\n";
  for (size_t i = 0; i < rules.rules.size(); ++i) {
    if (!only_rule.empty() && rules.rule(i).name != only_rule) continue;
    found = true;
    RuleView v = View(rules, p, i);
    if (format == ExplainFormat::kText) {
      out += v.header + "\n";
      if (!v.entries.empty()) {
        out += "  index entries (an event reaches the rule through any of them):\n";
        for (const std::string& e : v.entries) out += "    " + e + "\n";
        out += "  residual: " + v.residual + "\n";
      }
      for (const std::string& n : v.notes) out += "  " + n + "\n";
      out += "\n";
      continue;
    }
    std::string rid = "rule" + std::to_string(i);
    std::string label = v.header + "\n";
    if (!v.residual.empty()) label += "residual: " + v.residual + "\n";
    for (const std::string& n : v.notes) label += n + "\n";
    out += "  " + rid + " [label=" + DotQuote(label) + "];\n";
    for (size_t k = 0; k < v.entries.size(); ++k) {
      std::string eid = rid + "_e" + std::to_string(k);
      out += "  " + eid + " [shape=ellipse, label=" + DotQuote(v.entries[k]) + "];\n";
      out += "  " + eid + " -> " + rid + ";\n";
    }
  }
  if (format == ExplainFormat::kDot) out += "}\n";
  return found || only_rule.empty();
}

}  // namespace strix::engine
