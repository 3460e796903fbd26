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

struct Edge {
  std::string from, to, label;
  bool dashed = false;
};

struct RuleView {
  std::string header;
  std::vector<std::string> entries;
  bool counted = false;  // the entries are a counted conjunction: all must hit
  std::string residual;
  std::vector<std::string> notes;
  std::vector<std::string> states;  // automaton states (sequences), for dot
  std::vector<Edge> edges;
};

void IndexEntries(const Program& p, bool any_type, const std::string& type, NodeId cond,
                  RuleView& v, const index::ConditionIndex* idx = nullptr, uint32_t term = 0) {
  v.entries.push_back(any_type ? "type       any" : "type       " + type);
  auto plan = cond == kNoNode ? std::nullopt : PlanAccess(p, cond);
  if (!plan) {
    v.entries.push_back("always-check list of " + (any_type ? std::string("any") : type));
  } else if (!plan->counted.empty()) {
    // A counted conjunction: a candidate once every one of these has hit.
    v.counted = true;
    v.entries.push_back("counted    " + std::to_string(plan->counted.size()) +
                        (idx && idx->InRangeBitmap(term)
                             ? " ranges, in a range bitmap (an event marks the rules its values "
                               "miss, per field and value cell):"
                         : idx && idx->InNarrowRanges(term)
                             ? " ranges, through the narrowest (an event reads the ranges of "
                               "about its width near its value, then tests the next narrowest "
                               "and the rest):"
                             : " predicates (any atom of a line hits it):"));
    for (const std::vector<index::Atom>& pred : plan->counted) {
      std::string any;
      for (const index::Atom& a : pred) any += (any.empty() ? "" : " | ") + DescribeAtom(p, a);
      v.entries.push_back("  " + any);
    }
  } else if (plan->atoms.empty()) {
    v.entries.push_back("none: the condition can never hold");
  } else {
    for (const index::Atom& a : plan->atoms) v.entries.push_back(DescribeAtom(p, a));
  }
}

// A compiled condition as the rule wrote it (Program::node_expr, kept for explain); the
// conjunctions the compiler made (residual conjuncts, where and having) are joined here.
std::string NodeText(const ql::Ast& ast, const Program& p, NodeId id) {
  if (id == kNoNode) return "true";
  if (id < p.node_expr.size() && p.node_expr[id] != ql::kNoExpr) {
    return ql::DumpExpr(ast, p.node_expr[id]);
  }
  const CNode& n = p.nodes[id];
  if (n.kind == CKind::kStrTest && n.nkids == 2) {  // one literal of a string set
    const char* op = n.op == ql::Op::kContains     ? " contains "
                     : n.op == ql::Op::kStartsWith ? " startswith "
                                                   : " endswith ";
    return "(" + NodeText(ast, p, p.Kid(n, 0)) + op + NodeText(ast, p, p.Kid(n, 1)) + ")";
  }
  const char* join = n.kind == CKind::kOr ? " or " : " and ";
  std::string o = "(";
  for (uint32_t i = 0; i < n.nkids; ++i) {
    o += (i ? join : "") + NodeText(ast, p, p.Kid(n, i));
  }
  return o + ")";
}

// What a rule's complex events carry: suppression and the emit fields.
void OutputNotes(const CompiledRule& cr, RuleView& v) {
  if (cr.suppress_ms) v.notes.push_back("suppress: " + FormatDuration(*cr.suppress_ms));
  if (!cr.emit_names.empty()) {
    std::string e;
    for (const std::string& n : cr.emit_names) e += (e.empty() ? "" : ", ") + n;
    v.notes.push_back("emit: " + e);
  }
}

std::string Quant(const SeqTerm& t) {
  if (!t.list) return "";
  std::string hi = t.max == kUnbounded ? "" : std::to_string(t.max);
  if (t.min == t.max) return "{" + hi + "}";
  return "{" + std::to_string(t.min) + "," + hi + "}";
}

// A sequence's automaton: states are the positive terms; edges are the start, the loops of
// quantified terms, the hand-overs (past terms with minimum 0), absence guards and completion.
RuleView SequenceView(const ql::CheckedRules& rules, const Program& p, size_t i) {
  const ql::Rule& r = rules.rule(i);
  const ql::Ast& ast = rules.ast_of(i);
  const CompiledRule& cr = p.rules[i];
  const Automaton& a = p.automata[static_cast<size_t>(cr.automaton)];
  const ql::Sequence& q = r.sequence;
  RuleView v;
  v.header = "rule " + r.name + " (sequence)";
  if (const SeqGroup* g = a.GroupOf(0)) {  // a leading group: every branch's first type
    for (uint32_t s : g->starts) {
      const SeqFilter& f = a.terms[s].filter;
      IndexEntries(p, f.any_type, f.type, kNoNode, v);
    }
    v.residual = "the first terms of the branches, tested by the automaton";
  } else {
    const SeqFilter& first = a.terms[0].filter;
    IndexEntries(p, first.any_type, first.type, first.condition, v, &p.start_index,
                 static_cast<uint32_t>(i));
    v.residual = q.terms[0].filter.where != ql::kNoExpr ? ql::DumpExpr(ast, q.terms[0].filter.where)
                                                        : "true";
  }
  auto name = [&](size_t t) {
    return cr.aliases[t].empty() ? "term" + std::to_string(t + 1) : cr.aliases[t];
  };
  auto filter = [&](size_t t) { return ql::DumpFilter(ast, q.terms[t].filter); };
  std::string key;
  for (uint32_t s : a.keysets[0]) key += (key.empty() ? "" : ", ") + DescribeField(p.fields[s]);
  v.notes.push_back("partition: " + (key.empty() ? std::string("none (the whole stream)") : key));
  if (!a.inferred_key.empty()) {
    const std::string by = DescribeField(p.fields[a.inferred_key[0]]);
    v.notes.push_back("matches kept by " + by + " (every later term requires " + by +
                      " equal to an earlier event's): an event meets only the matches of its " +
                      by + "; output, suppression and --max-partial-matches as without it");
  }
  v.notes.push_back(std::string("policy: ") +
                    (a.policy == SeqPolicy::kStrict  ? "strict (contiguous)"
                     : a.policy == SeqPolicy::kEvery ? "every (skip-till-any-match: runs split)"
                                                     : "skip-till-next-match (default)"));
  if (a.within_ms) {
    v.notes.push_back("window " + FormatDuration(*a.within_ms) + ": no event after first time + " +
                      FormatDuration(*a.within_ms) +
                      "; a timer frees the match when the watermark passes it");
  }
  v.notes.push_back("automaton:");
  v.states.push_back("start");
  // A step is a term or an all(...) group; a group is one state named by its terms.
  auto step_name = [&](size_t t) {
    const SeqGroup* g = a.GroupOf(static_cast<uint32_t>(t));
    if (!g) return name(t);
    std::string n = "all(";
    for (uint32_t k = g->first; k < g->end; ++k) {
      n += k == g->first ? "" : (a.terms[k].branch != a.terms[k - 1].branch ? ", " : " ");
      n += name(k);
    }
    return n + ")";
  };
  auto entry = [&](size_t t) {  // the filters that enter step t
    const SeqGroup* g = a.GroupOf(static_cast<uint32_t>(t));
    if (!g) return filter(t);
    std::string f;
    for (uint32_t s : g->starts) f += (f.empty() ? "" : " | ") + filter(s);
    return f;
  };
  v.notes.push_back("  start --[" + entry(0) + "]--> " + step_name(0));
  v.edges.push_back({"start", step_name(0), entry(0)});
  for (size_t t = 0; t < a.terms.size(); t = a.StepEnd(static_cast<uint32_t>(t))) {
    const SeqTerm& st = a.terms[t];
    if (st.negated) continue;
    const SeqGroup* g = a.GroupOf(static_cast<uint32_t>(t));
    const std::string sn = step_name(t);
    v.states.push_back(sn);
    std::string min_text = std::to_string(st.min) + " event(s)";
    if (g) {
      v.notes.push_back("  state " + sn + ": complete when every branch has its minimum");
      for (size_t b = 0; b < g->starts.size(); ++b) {
        std::string line = "    branch " + std::to_string(b + 1) + ":";
        for (uint32_t k = g->starts[b]; k < g->BranchEnd(b); ++k) {
          line += (k == g->starts[b] ? " " : " -> ") + name(k) + ": " + filter(k);
        }
        v.notes.push_back(line);
      }
      v.notes.push_back(
          "    an event goes to the first branch (in written order) that can take it");
      v.edges.push_back({sn, sn, "a branch takes the event"});
      min_text = "its minimum";
    } else {
      std::string line = "  state " + sn + ": " + filter(t);
      if (st.list) {
        line += "   min " + std::to_string(st.min) + ", max " +
                (st.max == kUnbounded ? std::string("unbounded") : std::to_string(st.max));
      }
      v.notes.push_back(line);
      if (st.max > 1) {
        v.notes.push_back("    loop: another " + st.filter.type + Quant(st) +
                          " event while count < max" +
                          (st.list ? " (prev(" + name(t) + ") is the last one)" : ""));
        v.edges.push_back({sn, sn, "count < max"});
      }
    }
    const uint32_t next = a.StepEnd(static_cast<uint32_t>(t));
    for (size_t k = next; k < a.terms.size(); ++k) {
      if (!a.terms[k].negated) break;
      std::string absent = "not " + filter(k);
      v.notes.push_back("    absence: " + absent + " discards the match once " + sn + " has " +
                        min_text);
      v.edges.push_back({sn, "discarded", absent, true});
    }
    for (size_t k = next; k <= a.last_positive; k = a.StepEnd(static_cast<uint32_t>(k))) {
      if (a.terms[k].negated) continue;
      v.notes.push_back("    hand-over: " + entry(k) + " --> " + step_name(k) + " (when " + sn +
                        " has " + (g ? "its minimum" : ">= " + std::to_string(st.min)) + ")");
      v.edges.push_back({sn, step_name(k), entry(k)});
      if (a.terms[k].min > 0) break;
    }
    if (t == a.last_step) {
      std::string how = a.trailing_not ? "completes at first time + window if no absence event came"
                                       : "completes when it has " + min_text;
      if (a.having != kNoNode) how += " and having holds";
      v.notes.push_back("    " + how);
      v.edges.push_back({sn, "complete", a.trailing_not ? "deadline" : "min reached"});
    }
  }
  if (q.until) {
    v.notes.push_back("until " + ql::DumpFilter(ast, *q.until) +
                      ": discards the partition's partial matches");
  }
  if (r.having != ql::kNoExpr) v.notes.push_back("having: " + ql::DumpExpr(ast, r.having));
  if (!a.aggregates.empty()) {
    v.notes.push_back("aggregates kept incrementally per partial match: " +
                      std::to_string(a.aggregates.size()));
  }
  OutputNotes(cr, v);
  return v;
}

RuleView View(const ql::CheckedRules& rules, const Program& p, size_t i) {
  const ql::Rule& r = rules.rule(i);
  if (r.is_sequence) return SequenceView(rules, p, i);
  const ql::Ast& ast = rules.ast_of(i);
  const CompiledRule& cr = p.rules[i];
  RuleView v;
  v.header = "rule " + r.name + " (single event)";
  IndexEntries(p, cr.any_type, cr.type, cr.condition, v, &p.index, static_cast<uint32_t>(i));
  if (!p.node_expr.empty()) {
    v.residual = NodeText(ast, p, p.checks[i].residual);
  } else {  // compiled without keep_index_choices: the whole condition
    std::string res;
    if (r.filter.where != ql::kNoExpr) res = ql::DumpExpr(ast, r.filter.where);
    if (r.having != ql::kNoExpr) res += (res.empty() ? "" : " and ") + ql::DumpExpr(ast, r.having);
    v.residual = res.empty() ? "true" : res;
  }
  if (cr.has_keys) {
    std::string k;
    for (uint32_t s : cr.key_slots) k += (k.empty() ? "" : ", ") + DescribeField(p.fields[s]);
    v.notes.push_back("key: " + k + " (an event without it does not match)");
  }
  OutputNotes(cr, v);
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
        out += v.counted ? "  index entries (an event reaches the rule once all of them hit):\n"
                         : "  index entries (an event reaches the rule through any of them):\n";
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
    if (!v.states.empty()) {
      out += "  subgraph cluster_" + rid + " {\n    label=" + DotQuote(v.header) + ";\n";
      std::vector<std::string> nodes = v.states;
      nodes.push_back("complete");
      nodes.push_back("discarded");
      for (const std::string& n : nodes) {
        // Quoted: a group's state is named by its terms, `all(b, c d)`.
        out += "    " + DotQuote(rid + "_" + n) + " [shape=" +
               (n == "complete"    ? "doublecircle"
                : n == "discarded" ? "octagon"
                                   : "circle") +
               ", label=" + DotQuote(n) + "];\n";
      }
      out += "  }\n  " + rid + " -> " + rid + "_start;\n";
      for (const Edge& e : v.edges) {
        out += "  " + DotQuote(rid + "_" + e.from) + " -> " + DotQuote(rid + "_" + e.to) +
               " [label=" + DotQuote(e.label) + (e.dashed ? ", style=dashed" : "") + "];\n";
      }
    }
  }
  if (format == ExplainFormat::kDot) out += "}\n";
  return found || only_rule.empty();
}

}  // namespace strix::engine
