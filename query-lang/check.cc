// The checker (see check.h): name resolution, let expansion, alias and type checks,
// compile errors and warnings. Walks are iterative where input size is unbounded (let
// expansion, depth measurement); the type check recurses only after the depth is bounded.
#include "query-lang/check.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>

#include "common/network.h"
#include "common/suggest.h"
#include "common/time.h"
#include "query-lang/check_tests.h"
#include "query-lang/never_true.h"
#include "query-lang/parse.h"

namespace strix::ql {

std::string CheckedRules::FormatDiagnostics() const {
  std::string out;
  for (const Diagnostic& d : diags) out += FormatDiagnostic(d, files);
  return out;
}

namespace {

constexpr size_t kMaxSequenceTerms = 65535;
// Aggregates of fields (sum, avg, min, max, distinct) in one sequence rule: a partial match
// counts its aggregated inputs in 16 bits, and the compiler finds an input among the others
// by a scan; far past what a rule needs.
constexpr size_t kMaxAggregateCalls = 10000;

enum class Ty : uint8_t { kCond, kBool, kNum, kStr, kNull, kAny, kList, kRange, kBad };

bool IsCondition(Ty t) {
  return t == Ty::kCond || t == Ty::kBool || t == Ty::kBad;
}
bool IsValue(Ty t) {
  return t != Ty::kCond && t != Ty::kList && t != Ty::kRange;
}

struct Scope {
  bool sequence = false;
  bool permissive = false;  // a let body checked on its own: aliases and aggregates unknown
  const Sequence* seq = nullptr;
  int term = -1;            // the term whose condition is checked; -1 elsewhere
  bool bare_fields = true;  // false in having/emit of a sequence
  bool aliases = true;      // false in `until`
};

class Checker {
 public:
  Checker(CheckedRules& out, const LoadOptions& options) : out_(out), options_(options) {}

  void Run() {
    for (uint32_t f = 0; f < out_.files.size(); ++f) {
      out_.asts.emplace_back();
      ParseFile(out_.files[f].text, f, out_.asts[f], out_.diags);
    }
    CollectNames();
    ResolveLets();
    for (uint32_t f = 0; f < out_.asts.size(); ++f) {
      Ast& ast = out_.asts[f];
      for (uint32_t t = 0; t < ast.tables.size(); ++t) {
        CheckTable(f, ast.tables[t]);
        out_.tables.push_back(RuleRef{f, t});
      }
      for (uint32_t r = 0; r < ast.rules.size(); ++r) {
        CheckRule(f, ast.rules[r]);
        out_.rules.push_back(RuleRef{f, r});
      }
    }
    CheckTests(out_, out_.diags);
    Finish();
  }

 private:
  struct LetInfo {
    uint32_t file = 0;
    uint32_t index = 0;
    int state = 0;  // 0 new, 1 on the DFS stack, 2 resolved
    bool bad = false;
    size_t size = 0;  // expression nodes of the expanded body
  };

  // ---- diagnostics ----

  void Report(Severity sev, uint32_t file, const Expr* node, uint32_t pos, std::string msg) {
    if (node && node->origin_file >= 0) file = static_cast<uint32_t>(node->origin_file);
    out_.diags.push_back(Diagnostic{sev, file, pos, std::move(msg)});
  }
  void Error(uint32_t file, uint32_t pos, std::string msg) {
    Report(Severity::kError, file, nullptr, pos, std::move(msg));
  }
  void ErrorAt(ExprId id, std::string msg) {
    const Expr& e = ast().exprs[id];
    if (e.let_use() >= 0) {  // the let as a whole is wrong here: the mistake is at the use
      const ExprRare& use = *e.rare;
      const Let& let = out_.asts[size_t(use.let_file)].lets[size_t(use.let_index)];
      Diagnostic d{Severity::kError, file_, uint32_t(use.let_use), std::move(msg)};
      d.note = "'" + let.name + "' is defined here";
      d.note_file = uint32_t(use.let_file);
      d.note_offset = let.pos;
      out_.diags.push_back(std::move(d));
      return;
    }
    Report(Severity::kError, file_, &e, e.pos, std::move(msg));
  }
  void Warn(uint32_t file, uint32_t pos, std::string msg) {
    out_.diags.push_back(Diagnostic{Severity::kWarning, file, pos, std::move(msg)});
  }

  void Finish() {
    auto key = [](const Diagnostic& d) {
      return std::make_tuple(d.file, d.offset, static_cast<int>(d.severity), d.message);
    };
    std::stable_sort(out_.diags.begin(), out_.diags.end(),
                     [&](const Diagnostic& a, const Diagnostic& b) {
                       return std::tie(a.file, a.offset) < std::tie(b.file, b.offset);
                     });
    out_.diags.erase(
        std::unique(out_.diags.begin(), out_.diags.end(),
                    [&](const Diagnostic& a, const Diagnostic& b) { return key(a) == key(b); }),
        out_.diags.end());
    for (const Diagnostic& d : out_.diags) {
      (d.severity == Severity::kError ? out_.errors : out_.warnings)++;
    }
  }

  std::string Where(uint32_t file, uint32_t pos) {
    LineCol lc = LocateOffset(out_.files[file].text, pos);
    return out_.files[file].name + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
  }

  Ast& ast() { return out_.asts[file_]; }

  // ---- names and lets ----

  void CollectNames() {
    std::unordered_map<std::string, std::pair<uint32_t, uint32_t>> seen;  // name -> file, pos
    auto define = [&](const std::string& name, uint32_t f, uint32_t pos, const char* what) {
      auto [it, fresh] = seen.emplace(name, std::make_pair(f, pos));
      if (!fresh) {
        Error(f, pos,
              std::string(what) + " '" + name + "' is already defined at " +
                  Where(it->second.first, it->second.second));
      }
      return fresh;
    };
    for (uint32_t f = 0; f < out_.asts.size(); ++f) {
      Ast& a = out_.asts[f];
      for (auto [kind, idx] : a.order) {
        if (kind == Ast::ItemKind::kLet) {
          if (define(a.lets[idx].name, f, a.lets[idx].pos, "let")) {
            lets_[a.lets[idx].name] = LetInfo{f, idx};
          }
        } else if (kind == Ast::ItemKind::kRule) {
          define(a.rules[idx].name, f, a.rules[idx].pos, "rule");
        } else if (kind == Ast::ItemKind::kTable) {
          if (define(a.tables[idx].name, f, a.tables[idx].pos, "table"))
            table_names_.insert(a.tables[idx].name);
        }
      }
    }
  }

  const LetInfo* FindLet(const Expr& e) const {
    if (e.kind != ExprKind::kPath || e.path.size() != 1 || e.head_backticked) return nullptr;
    auto it = lets_.find(e.path[0]);
    return it == lets_.end() ? nullptr : &it->second;
  }

  // Names of lets referenced under `root` in file `f`.
  std::vector<std::string> LetRefs(uint32_t f, ExprId root) {
    std::vector<std::string> refs;
    std::vector<ExprId> stack{root};
    const Ast& a = out_.asts[f];
    while (!stack.empty()) {
      ExprId id = stack.back();
      stack.pop_back();
      const Expr& e = a.exprs[id];
      if (FindLet(e)) refs.push_back(e.path[0]);
      for (ExprId k : e.kids) stack.push_back(k);
    }
    return refs;
  }

  // Depth-first over let dependencies with an explicit stack; expands each let after the
  // lets it uses, so one level of copying suffices.
  void ResolveLets() {
    for (auto& [name, info] : lets_) {
      if (info.state != 0) continue;
      struct Frame {
        std::string name;
        std::vector<std::string> refs;
        size_t next = 0;
      };
      std::vector<Frame> stack;
      auto push = [&](const std::string& n) {
        LetInfo& li = lets_[n];
        li.state = 1;
        const Let& let = out_.asts[li.file].lets[li.index];
        stack.push_back(Frame{n, LetRefs(li.file, let.value)});
      };
      push(name);
      while (!stack.empty()) {
        Frame& fr = stack.back();
        if (fr.next < fr.refs.size()) {
          const std::string dep = fr.refs[fr.next++];
          LetInfo& di = lets_[dep];
          if (di.state == 0) {
            push(dep);
          } else if (di.state == 1) {
            std::string cycle = dep;
            bool on = false;
            for (const Frame& f : stack) {
              if (f.name == dep) on = true;
              if (on && f.name != dep) cycle += " -> " + f.name;
            }
            cycle += " -> " + dep;
            LetInfo& li = lets_[fr.name];
            Error(li.file, out_.asts[li.file].lets[li.index].pos,
                  "let '" + fr.name + "' is defined in terms of itself (" + cycle + ")");
            for (Frame& f : stack) lets_[f.name].bad = true;
          }
          continue;
        }
        LetInfo& li = lets_[fr.name];
        li.state = 2;
        if (!li.bad) {
          for (const std::string& r : fr.refs) li.bad = li.bad || lets_[r].bad;
        }
        if (!li.bad) {
          ExprId body = out_.asts[li.file].lets[li.index].value;
          li.bad = !Expand(li.file, body);
          li.size = li.bad ? 0 : Size(li.file, body);
        }
        stack.pop_back();
      }
    }
    // Check each let body on its own (permissive: it may use aliases of the rules it lands in).
    for (auto& [name, info] : lets_) {
      if (info.bad) continue;
      file_ = info.file;
      Scope s;
      s.permissive = true;
      CheckExpr(out_.asts[info.file].lets[info.index].value, s);
    }
  }

  // Nodes of the tree under `root`, counted without recursion.
  size_t Size(uint32_t f, ExprId root) const {
    size_t n = 0;
    std::vector<ExprId> stack{root};
    while (!stack.empty()) {
      ExprId id = stack.back();
      stack.pop_back();
      ++n;
      for (ExprId k : out_.asts[f].exprs[id].kids) stack.push_back(k);
    }
    return n;
  }

  // Replaces let names under `root` (in file f) by copies of their (expanded) bodies. False
  // (with an error at the use) when the copies would pass kMaxExpandedNodes: lets that use
  // lets can grow exponentially (`let c2 = c1 or c1`), and every copy costs memory.
  bool Expand(uint32_t f, ExprId root) {
    if (lets_.empty()) return true;  // nothing to expand (most generated rule sets)
    bool ok = true;
    std::vector<ExprId> stack{root};
    while (!stack.empty()) {
      ExprId id = stack.back();
      stack.pop_back();
      const LetInfo* li = FindLet(out_.asts[f].exprs[id]);
      if (li && !li->bad && expanded_nodes_ + li->size > kMaxExpandedNodes) {
        const Expr& e = out_.asts[f].exprs[id];
        Report(Severity::kError, f, &e, e.pos,
               "'" + e.path[0] + "' expands to " + std::to_string(li->size) +
                   " expression nodes, past the limit of " + std::to_string(kMaxExpandedNodes) +
                   " for all expanded lets together (lets nested or reused too much)");
        ok = false;
        for (auto& [name, info] : lets_) info.bad = true;  // report the limit once
      }
      if (li) {
        if (li->bad) {
          Expr& e = out_.asts[f].exprs[id];
          Expr t;  // `true` in its place, so that checking goes on
          t.lit = LiteralKind::kBool;
          t.boolean = true;
          t.pos = e.pos;
          e = std::move(t);
          continue;
        }
        expanded_nodes_ += li->size;
        ExprId copy = CopyTree(f, li->file, out_.asts[li->file].lets[li->index].value);
        uint32_t use = out_.asts[f].exprs[id].pos;
        out_.asts[f].exprs[id] = out_.asts[f].exprs[copy];
        Expr& root = out_.asts[f].exprs[id];
        ExprRare rare = root.rare ? *root.rare : ExprRare{};
        rare.let_use = int32_t(use);  // a let of a let: the outermost use counts
        rare.let_file = int32_t(li->file);
        rare.let_index = int32_t(li->index);
        root.rare = out_.asts[f].store.Rare(std::move(rare));
        continue;  // a let body is already expanded
      }
      for (ExprId k : out_.asts[f].exprs[id].kids) stack.push_back(k);
    }
    return ok;
  }

  ExprId CopyTree(uint32_t dst_file, uint32_t src_file, ExprId root) {
    Ast& dst = out_.asts[dst_file];
    auto clone = [&](ExprId s) {
      Expr e = out_.asts[src_file].exprs[s];
      e.kids = dst.store.Kids(e.kids);  // its own, rewritten below
      if (src_file != dst_file) {       // nothing of dst points into another file's store
        if (e.origin_file < 0) e.origin_file = static_cast<int32_t>(src_file);
        e.text = dst.store.Text(e.text);
        e.path = dst.store.Path(e.path);
        if (e.rare) e.rare = dst.store.Rare(*e.rare);
      }
      return dst.Add(std::move(e));
    };
    ExprId new_root = clone(root);
    std::vector<ExprId> stack{new_root};
    while (!stack.empty()) {
      ExprId d = stack.back();
      stack.pop_back();
      for (size_t k = 0; k < dst.exprs[d].kids.size(); ++k) {
        ExprId n = clone(dst.exprs[d].kids[k]);
        dst.exprs[d].kids[k] = n;
        stack.push_back(n);
      }
    }
    return new_root;
  }

  // Tree depth, measured without recursion.
  int Depth(ExprId root) {
    const auto& exprs = ast().exprs;
    int max_depth = 0;
    std::vector<std::pair<ExprId, int>>& stack = depth_stack_;  // reused: no allocation a call
    stack.clear();
    stack.push_back({root, 1});
    while (!stack.empty()) {
      auto [id, d] = stack.back();
      stack.pop_back();
      max_depth = std::max(max_depth, d);
      if (d > kMaxExprDepth) break;
      for (ExprId k : exprs[id].kids) stack.push_back({k, d + 1});
    }
    return max_depth;
  }

  // ---- rules ----

  bool CheckCondition(ExprId root, const Scope& s, const char* where) {
    if (root == kNoExpr) return true;
    Expand(file_, root);
    if (Depth(root) > kMaxExprDepth) {
      too_deep_.push_back(root);
      ErrorAt(root, "expression nested too deeply (more than " + std::to_string(kMaxExprDepth) +
                        " levels)");
      return false;
    }
    Ty t = CheckExpr(root, s);
    if (!IsCondition(t)) {
      ErrorAt(root, std::string("expected a condition after '") + where + "', found a value");
      return false;
    }
    WarnMinusInName(root);
    return true;
  }

  void CheckRule(uint32_t f, Rule& r) {
    file_ = f;
    too_deep_.clear();
    if (r.clause_dupes > 0) {
      Error(f, r.dupe_pos, "rule '" + r.name + "' has this clause more than once");
    }
    Scope s;
    if (!r.is_sequence) {
      if (r.filter.quant.written) {
        Error(f, r.filter.type_pos, "a quantifier only follows a type in a sequence term");
      }
      CheckCondition(r.filter.where, s, "where");
      CheckCondition(r.having, s, "having");
      CheckEmit(r, s);
      WarnNeverFires(r);
      return;
    }
    Sequence& q = r.sequence;
    s.sequence = true;
    s.seq = &q;
    aggregate_calls_ = 0;
    if (q.within_ms && *q.within_ms <= 0)
      Error(f, q.within_pos, "'within' needs a positive duration");
    if (q.terms.size() > kMaxSequenceTerms) {  // a bound event names its term in 16 bits
      Error(f, q.pos,
            "a sequence has at most " + std::to_string(kMaxSequenceTerms) +
                " terms; this one has " + std::to_string(q.terms.size()));
      return;
    }
    std::unordered_map<std::string, uint32_t> aliases;
    for (size_t i = 0; i < q.terms.size(); ++i) {
      Term& t = q.terms[i];
      const Quantifier& qt = t.filter.quant;
      if (t.negated) {
        if (i == 0) Error(f, t.pos, "a sequence cannot start with 'not'");
        if (qt.written) Error(f, t.filter.type_pos, "'not' takes no quantifier");
        if (t.group >= 0)
          Error(f, t.pos, "'not' cannot stand inside all(...); put it before or after the group");
      } else {
        if (t.group >= 0 && qt.min == 0) {
          Error(f, t.filter.type_pos,
                "a term inside all(...) needs a minimum of at least 1 (an optional term has no "
                "place in 'all of these')");
        }
        if (t.group == 0 && q.groups[0].first == 0 && t.filter.has_keys &&
            std::find(q.groups[0].starts.begin(), q.groups[0].starts.end(), i) !=
                q.groups[0].starts.end()) {
          Error(f, t.filter.keys[0].pos,
                "the terms that start a leading all(...) take the sequence's key; put 'by' on "
                "the sequence instead");
        }
        if (qt.max && *qt.max == 0) {
          Error(f, t.filter.type_pos, "a quantifier needs a maximum of at least 1");
        } else if (qt.max && *qt.max < qt.min) {
          Error(f, t.filter.type_pos, "the quantifier's maximum is below its minimum");
        }
        if (i == 0 && qt.min == 0) {
          Error(f, t.filter.type_pos, "the first term must have a minimum of at least 1");
        }
      }
      if (!t.alias.empty()) {
        auto [it, fresh] = aliases.emplace(t.alias, t.alias_pos);
        if (!fresh) Error(f, t.alias_pos, "alias '" + t.alias + "' is already used in this rule");
      }
      CheckTermKey(f, q, t.filter);
      Scope ts = s;
      ts.term = static_cast<int>(i);
      CheckCondition(t.filter.where, ts, "where");
    }
    for (const Group& g : q.groups) {
      if (g.alias.empty()) continue;
      auto [it, fresh] = aliases.emplace(g.alias, g.alias_pos);
      if (!fresh) Error(f, g.alias_pos, "alias '" + g.alias + "' is already used in this rule");
    }
    if (!q.terms.empty()) {
      const Term& last = q.terms.back();
      if (last.negated && !q.within_ms) {
        Error(f, last.pos, "a trailing 'not' needs 'within'");
      }
      if (!last.negated && last.filter.quant.written && last.filter.quant.min == 0) {
        Warn(f, last.filter.type_pos,
             "a trailing term with minimum 0 never waits for an event; the match completes "
             "without it");
      }
    }
    if (q.until) {
      if (q.until->quant.written) Error(f, q.until->type_pos, "'until' takes no quantifier");
      CheckTermKey(f, q, *q.until);
      Scope us = s;
      us.aliases = false;
      CheckCondition(q.until->where, us, "where");
    }
    if (!q.within_ms && !q.until) {
      Warn(f, q.pos, "sequence without 'within' or 'until': its partial matches can live for ever");
    }
    Scope hs = s;
    hs.bare_fields = false;
    CheckCondition(r.having, hs, "having");
    CheckEmit(r, hs);
    if (aggregate_calls_ > kMaxAggregateCalls) {
      Error(f, q.pos,
            "a sequence rule has at most " + std::to_string(kMaxAggregateCalls) +
                " aggregates of fields (sum, avg, min, max, distinct); this one has " +
                std::to_string(aggregate_calls_));
    }
    WarnNeverFires(r);
  }

  // A table item (LANGUAGE.md 7): filters of one event each, keys as paths.
  void CheckTable(uint32_t f, Table& t) {
    file_ = f;
    Scope s;
    for (Filter* flt : {&t.from, t.has_delete ? &t.del : nullptr}) {
      if (!flt) continue;
      const char* clause = flt == &t.from ? "from" : "delete on";
      if (flt->quant.written)
        Error(f, flt->type_pos, std::string("'") + clause + "' takes no quantifier");
      CheckCondition(flt->where, s, "where");
    }
    if (t.from.has_keys)
      Error(f, t.from.keys[0].pos,
            "the key of table '" + t.name + "' is its 'by'; 'from' takes none");
    if (t.has_delete && t.del.keys.size() > 1)
      Error(f, t.del.keys[1].pos, "a table's key is one path; 'delete on ... by' takes one");
  }

  void CheckEmit(Rule& r, const Scope& s) {
    std::set<std::string> names;
    for (EmitField& ef : r.emit) {
      if (!names.insert(ef.name).second) {
        Error(file_, ef.pos, "emit field '" + ef.name + "' is written twice");
      }
      Expand(file_, ef.value);
      if (Depth(ef.value) > kMaxExprDepth) {
        ErrorAt(ef.value, "expression nested too deeply");
        continue;
      }
      Ty t = CheckExpr(ef.value, s);
      if (t == Ty::kList || t == Ty::kRange) ErrorAt(ef.value, "a list cannot be emitted");
    }
  }

  // Constant truth of a condition, where it is evident without data.
  std::optional<bool> ConstTruth(ExprId id) {
    const Expr& e = ast().exprs[id];
    switch (e.kind) {
      case ExprKind::kLiteral:
        if (e.lit == LiteralKind::kBool) return e.boolean;
        return std::nullopt;
      case ExprKind::kNot: {
        auto v = ConstTruth(e.kids[0]);
        if (v) return !*v;
        return std::nullopt;
      }
      case ExprKind::kAnd: {
        bool all = true;
        for (ExprId k : e.kids) {
          auto v = ConstTruth(k);
          if (v && !*v) return false;
          if (!v) all = false;
        }
        if (all) return true;
        return std::nullopt;
      }
      case ExprKind::kOr: {
        bool all = true;
        for (ExprId k : e.kids) {
          auto v = ConstTruth(k);
          if (v && *v) return true;
          if (!v) all = false;
        }
        if (all) return false;
        return std::nullopt;
      }
      case ExprKind::kIn: {
        const Expr& rhs = ast().exprs[e.kids[1]];
        bool empty = false;
        if (rhs.kind == ExprKind::kList) empty = rhs.kids.empty();
        if (rhs.kind == ExprKind::kRange) {
          const Expr& lo = ast().exprs[rhs.kids[0]];
          const Expr& hi = ast().exprs[rhs.kids[1]];
          if (lo.lit == LiteralKind::kNumber && hi.lit == LiteralKind::kNumber) {
            empty = lo.number > hi.number;
          } else if (lo.lit == LiteralKind::kString && hi.lit == LiteralKind::kString) {
            empty = lo.text > hi.text;
          }
        }
        if (empty) return e.negated ? std::nullopt : std::optional<bool>(false);
        return std::nullopt;
      }
      default:
        return std::nullopt;
    }
  }

  void WarnNeverFires(const Rule& r) {
    // nullopt: may be true; else the field whose tests contradict each other ("" if none).
    auto never = [&](ExprId id, const Filter* f) -> std::optional<std::string> {
      // Every condition passed here went through CheckCondition first.
      if (std::find(too_deep_.begin(), too_deep_.end(), id) != too_deep_.end()) return std::nullopt;
      if (id != kNoExpr) {
        auto v = ConstTruth(id);
        if (v && !*v) return "";
      }
      std::optional<std::string> type;
      if (f && !f->any && !f->type.empty()) type = f->type;
      if (id == kNoExpr && !type) return std::nullopt;
      return NeverTrue(ast(), id, type, options_.type_field);
    };
    std::optional<std::string> why = r.having != kNoExpr ? never(r.having, nullptr) : std::nullopt;
    if (!r.is_sequence) {
      if (!why) why = never(r.filter.where, &r.filter);
    } else {
      for (const Term& t : r.sequence.terms) {
        if (!why && !t.negated && t.filter.quant.min > 0) why = never(t.filter.where, &t.filter);
      }
    }
    if (!why) return;
    Warn(file_, r.pos,
         "rule '" + r.name + "' can never fire: " +
             (why->empty() ? std::string("a condition is always false")
                           : "its tests of '" + *why +
                                 "' contradict each other (no value passes "
                                 "them all)"));
  }

  // `user-agent` without backticks is `user` minus `agent`: two fields that are rarely both
  // numbers. Said when a subtraction of two bare names is written without spaces.
  void WarnMinusInName(ExprId root) {
    if (root == kNoExpr) return;
    const std::string& text = out_.files[file_].text;
    std::vector<ExprId>& stack = walk_stack_;  // reused: no allocation a call
    stack.assign(1, root);
    while (!stack.empty()) {
      ExprId id = stack.back();
      stack.pop_back();
      const Expr& e = ast().exprs[id];
      for (ExprId k : e.kids) stack.push_back(k);
      if (e.kind != ExprKind::kArith || e.op != Op::kSub || e.origin_file >= 0) continue;
      const Expr& l = ast().exprs[e.kids[0]];
      const Expr& r = ast().exprs[e.kids[1]];
      auto bare = [](const Expr& x) {
        return x.kind == ExprKind::kPath && x.path.size() == 1 && !x.head_backticked &&
               x.alias_term < 0;
      };
      if (!bare(l) || !bare(r)) continue;
      size_t minus = l.pos + l.path[0].size();
      if (minus >= text.size() || text[minus] != '-' || r.pos != minus + 1) continue;
      std::string name = l.path[0] + "-" + r.path[0];
      Warn(file_, l.pos,
           "'" + name + "' is read as '" + l.path[0] + "' minus '" + r.path[0] +
               "'; a field named so is written `" + name + "`");
    }
  }

  // ---- expressions ----

  // A term's (or until's) own key is compared with the partition's: the header `by`, else the
  // first term's. Keys of other sizes never equal it, so the term could never take an event.
  void CheckTermKey(uint32_t f, const Sequence& q, const Filter& tf) {
    if (!tf.has_keys || tf.keys.empty()) return;
    const Filter& first = q.terms[0].filter;
    if (&tf == &first && !q.has_keys) return;  // the first term's key is the partition key
    const auto& part = q.has_keys ? q.keys : first.keys;
    if (!q.has_keys && !first.has_keys) {
      Error(f, tf.keys[0].pos,
            "this term has a key but the sequence has none (put 'by' on the sequence or its "
            "first term)");
    } else if (tf.keys.size() != part.size()) {
      Error(f, tf.keys[0].pos,
            "this key has " + std::to_string(tf.keys.size()) + " field" +
                (tf.keys.size() == 1 ? "" : "s") + " but the sequence key (" +
                (q.has_keys ? "the header 'by'" : "the first term's 'by'") + ") has " +
                std::to_string(part.size()) + "; a key of another size never matches");
    }
  }

  // Index of the term whose alias is `name`, or -1. The alias of all(...) group g is "term"
  // terms.size() + g: a list of the group's events (Expr::alias_term, the automaton alike).
  int AliasTerm(const Scope& s, const std::string& name) const {
    if (!s.sequence || !s.seq) return -1;
    for (size_t i = 0; i < s.seq->terms.size(); ++i) {
      if (!s.seq->terms[i].negated && s.seq->terms[i].alias == name) return static_cast<int>(i);
    }
    for (size_t g = 0; g < s.seq->groups.size(); ++g) {
      if (s.seq->groups[g].alias == name) return static_cast<int>(s.seq->terms.size() + g);
    }
    return -1;
  }
  bool IsListTerm(const Scope& s, int t) const {
    if (static_cast<size_t>(t) >= s.seq->terms.size()) return true;  // a group's alias
    const Quantifier& q = s.seq->terms[static_cast<size_t>(t)].filter.quant;
    return q.written;  // any written quantifier, {1} and {1,1} included (LANGUAGE.md 3.2)
  }
  std::string ListAliasHint(const std::string& a) const {
    return "alias '" + a + "' is a list (quantified); use count(" + a + "), sum(" + a +
           ".x), first(" + a + ").x or last(" + a + ").x";
  }

  // Checks that the alias term `t` may be used from the current scope.
  bool AliasVisible(ExprId id, const Scope& s, int t, const std::string& a) {
    if (!s.aliases) {
      ErrorAt(id, "'until' cannot refer to alias '" + a + "'");
      return false;
    }
    const size_t nterms = s.seq->terms.size();
    if (static_cast<size_t>(t) >= nterms) {  // a group's alias: complete after its last term
      const Group& g = s.seq->groups[static_cast<size_t>(t) - nterms];
      if (s.term >= 0 && static_cast<uint32_t>(s.term) < g.end) {
        ErrorAt(id, "alias '" + a + "' of all(...) is used before the group is complete");
        return false;
      }
      return true;
    }
    if (s.term >= 0 && t >= s.term) {
      ErrorAt(id, "alias '" + a + "' is used before the term that binds it");
      return false;
    }
    if (s.term >= 0) {
      const Term& user = s.seq->terms[static_cast<size_t>(s.term)];
      const Term& bound = s.seq->terms[static_cast<size_t>(t)];
      if (user.group >= 0 && user.group == bound.group && user.branch != bound.branch) {
        ErrorAt(id, "alias '" + a +
                        "' is bound in another branch of all(...); the branches are matched in "
                        "any order, so its event may not have come yet");
        return false;
      }
    }
    return true;
  }

  Ty CheckPath(ExprId id, const Scope& s) {
    Expr& e = ast().exprs[id];
    int t = e.head_backticked ? -1 : AliasTerm(s, e.path[0]);
    if (t >= 0) {
      std::string a = e.path[0];
      if (!AliasVisible(id, s, t, a)) return Ty::kBad;
      if (IsListTerm(s, t)) {
        ErrorAt(id, ListAliasHint(a));
        return Ty::kBad;
      }
      if (e.path.size() == 1) {
        ErrorAt(id, "alias '" + a + "' is an event; use one of its fields (" + a + ".x)");
        return Ty::kBad;
      }
      ast().exprs[id].alias_term = t;
      return Ty::kAny;
    }
    if (s.sequence && !s.bare_fields) {
      ErrorAt(id, "field '" + e.path[0] +
                      "' has no event here: in 'having' and 'emit' of a sequence, reach fields "
                      "through an alias (a.x)");
      return Ty::kBad;
    }
    return Ty::kAny;
  }

  // The alias argument of an aggregate, first/last or prev: returns its term or -1.
  int AliasArg(ExprId call, const Scope& s, bool want_field) {
    Expr& c = ast().exprs[call];
    const std::string fn(c.text);
    if (c.kids.size() != 1) {
      ErrorAt(call, "'" + fn + "' takes one argument");
      return -1;
    }
    const Expr& arg = ast().exprs[c.kids[0]];
    int t = (arg.kind == ExprKind::kPath && !arg.head_backticked) ? AliasTerm(s, arg.path[0]) : -1;
    if (t < 0) {
      ErrorAt(c.kids[0],
              "'" + fn + "' works over a list alias, as in " + fn + (want_field ? "(f.x)" : "(f)"));
      return -1;
    }
    if (want_field != (arg.path.size() > 1)) {
      ErrorAt(c.kids[0], want_field ? "'" + fn + "' needs a field of the alias, as in " + fn + "(" +
                                          arg.path[0] + ".x)"
                                    : "'" + fn + "' takes the alias alone, as in " + fn + "(" +
                                          arg.path[0] + ")");
      return -1;
    }
    return t;
  }

  Ty CheckCall(ExprId id, const Scope& s) {
    Expr& c = ast().exprs[id];
    const std::string fn(c.text);
    static const std::set<std::string> kScalar = {"lower", "upper", "len", "abs"};
    static const std::set<std::string> kAggregate = {"count", "sum", "avg",
                                                     "min",   "max", "distinct"};
    if (kScalar.count(fn)) {
      if (c.kids.size() != 1) {
        ErrorAt(id, "'" + fn + "' takes one argument");
        return Ty::kBad;
      }
      if (!c.path.empty()) {
        ErrorAt(id, "the value of '" + fn + "' has no fields");
        return Ty::kBad;
      }
      Ty a = CheckExpr(c.kids[0], s);
      if (a == Ty::kBad) return Ty::kBad;
      if (!IsValue(a) && !(fn == "len" && a == Ty::kList)) {
        ErrorAt(c.kids[0], "'" + fn + "' needs a value");
        return Ty::kBad;
      }
      return (fn == "lower" || fn == "upper") ? Ty::kStr : Ty::kNum;
    }
    bool agg = kAggregate.count(fn) > 0;
    bool firstlast = fn == "first" || fn == "last";
    bool prev = fn == "prev";
    if (!agg && !firstlast && !prev) {
      static const std::vector<std::string> kAll = {"lower", "upper", "len",     "abs", "count",
                                                    "sum",   "avg",   "min",     "max", "first",
                                                    "last",  "prev",  "distinct"};
      // Common names from other languages first, then spelling.
      static const std::map<std::string, std::string> kAlias = {
          {"length", "len"},      {"size", "len"},      {"strlen", "len"},
          {"tolower", "lower"},   {"toupper", "upper"}, {"lowercase", "lower"},
          {"uppercase", "upper"}, {"average", "avg"},   {"mean", "avg"},
          {"total", "sum"}};
      auto alias = kAlias.find(fn);
      std::string near = alias != kAlias.end() ? alias->second : Suggest(fn, kAll);
      ErrorAt(id, "unknown function '" + fn + "'" +
                      (near.empty() ? "" : "; did you mean '" + near + "'?"));
      return Ty::kBad;
    }
    if (s.permissive) return Ty::kAny;
    if (!s.sequence) {
      ErrorAt(id, "'" + fn + "' works over a list alias and exists only in sequence rules");
      return Ty::kBad;
    }
    int t = AliasArg(id, s, agg && fn != "count");
    if (t < 0) return Ty::kBad;
    if (agg && fn != "count") ++aggregate_calls_;
    const std::string a = ast().exprs[c.kids[0]].path[0];
    if (prev) {
      if (s.term < 0 || t != s.term || !IsListTerm(s, t)) {
        ErrorAt(id, "prev(" + a + ") works only inside the condition of the quantified term '" + a +
                        "' itself");
        return Ty::kBad;
      }
    } else {
      if (!AliasVisible(id, s, t, a)) return Ty::kBad;
      if (!IsListTerm(s, t)) {
        ErrorAt(id, "'" + fn + "' works over a list alias, and '" + a +
                        "' binds a single event; use " + a + ".x");
        return Ty::kBad;
      }
    }
    if ((firstlast || prev) && c.path.empty()) {
      ErrorAt(id, fn + "(" + a + ") is an event; use one of its fields (" + fn + "(" + a + ").x)");
      return Ty::kBad;
    }
    if (agg && !c.path.empty()) {
      ErrorAt(id, "the value of '" + fn + "' has no fields");
      return Ty::kBad;
    }
    ast().exprs[id].alias_term = t;
    ast().exprs[c.kids[0]].alias_term = t;
    return agg ? Ty::kNum : Ty::kAny;
  }

  Ty CheckValue(ExprId id, const Scope& s, const char* role) {
    Ty t = CheckExpr(id, s);
    if (t == Ty::kBad) return t;
    if (t == Ty::kCond) {
      ErrorAt(id, std::string("expected a value ") + role + ", found a condition");
      return Ty::kBad;
    }
    if (t == Ty::kList || t == Ty::kRange) {
      ErrorAt(id, std::string("expected a value ") + role + ", found a list");
      return Ty::kBad;
    }
    return t;
  }

  bool IsConstant(const Expr& e) const { return e.kind == ExprKind::kLiteral; }

  Ty CheckExpr(ExprId id, const Scope& s) {
    Expr& e = ast().exprs[id];
    switch (e.kind) {
      case ExprKind::kLiteral:
        switch (e.lit) {
          case LiteralKind::kBool:
            return Ty::kBool;
          case LiteralKind::kNull:
            return Ty::kNull;
          case LiteralKind::kNumber:
            return Ty::kNum;
          case LiteralKind::kString:
            return Ty::kStr;
        }
        return Ty::kAny;
      case ExprKind::kPath:
        return s.permissive ? Ty::kAny : CheckPath(id, s);
      case ExprKind::kList: {
        const std::span<const ExprId> kids = e.kids;  // e may move: Expand adds nodes
        for (ExprId k : kids) {
          if (!IsConstant(ast().exprs[k])) {
            ErrorAt(k, "list elements must be constants (strings, numbers, true, false)");
            return Ty::kBad;
          }
        }
        return Ty::kList;
      }
      case ExprKind::kCall:
        return CheckCall(id, s);
      case ExprKind::kNeg: {
        Ty t = CheckValue(e.kids[0], s, "after '-'");
        if (t == Ty::kStr || t == Ty::kBool || t == Ty::kNull) {
          ErrorAt(id, "'-' needs a number");
          return Ty::kBad;
        }
        return t == Ty::kBad ? t : Ty::kNum;
      }
      case ExprKind::kArith: {
        ExprId a = e.kids[0], b = e.kids[1];
        Ty ta = CheckValue(a, s, "in arithmetic"), tb = CheckValue(b, s, "in arithmetic");
        if (ta == Ty::kBad || tb == Ty::kBad) return Ty::kBad;
        for (auto [k, t] : {std::pair{a, ta}, std::pair{b, tb}}) {
          if (t == Ty::kStr || t == Ty::kBool || t == Ty::kNull) {
            ErrorAt(k, "arithmetic needs numbers");
            return Ty::kBad;
          }
        }
        return Ty::kNum;
      }
      case ExprKind::kCompare: {
        ExprId a = e.kids[0], b = e.kids[1];
        Ty ta = CheckValue(a, s, "to compare"), tb = CheckValue(b, s, "to compare");
        return (ta == Ty::kBad || tb == Ty::kBad) ? Ty::kBad : Ty::kCond;
      }
      case ExprKind::kIn: {
        ExprId a = e.kids[0], b = e.kids[1];
        Ty ta = CheckValue(a, s, "before 'in'");
        const Expr& rhs = ast().exprs[b];
        if (rhs.kind == ExprKind::kRange) {
          const Expr& lo = ast().exprs[rhs.kids[0]];
          const Expr& hi = ast().exprs[rhs.kids[1]];
          bool nums = lo.kind == ExprKind::kLiteral && hi.kind == ExprKind::kLiteral &&
                      lo.lit == LiteralKind::kNumber && hi.lit == LiteralKind::kNumber;
          bool strs = lo.kind == ExprKind::kLiteral && hi.kind == ExprKind::kLiteral &&
                      lo.lit == LiteralKind::kString && hi.lit == LiteralKind::kString;
          if (!nums && !strs) {
            ErrorAt(b, "a range needs two constant numbers (or two strings): lo..hi");
            return Ty::kBad;
          }
          return ta == Ty::kBad ? ta : Ty::kCond;
        }
        if (rhs.kind != ExprKind::kList) {
          ErrorAt(b, "'in' needs a list [a, b], the name of a list, or a range lo..hi");
          return Ty::kBad;
        }
        Ty tb = CheckExpr(b, s);
        return (ta == Ty::kBad || tb == Ty::kBad) ? Ty::kBad : Ty::kCond;
      }
      case ExprKind::kRange:
        ErrorAt(id, "a range lo..hi can only follow 'in'");
        return Ty::kBad;
      case ExprKind::kStrTest: {
        ExprId a = e.kids[0], b = e.kids[1];
        Ty ta = CheckValue(a, s, "to test"), tb = CheckValue(b, s, "to test");
        if (tb == Ty::kNum || tb == Ty::kBool || tb == Ty::kNull) {
          ErrorAt(b, "string operators need a string");
          return Ty::kBad;
        }
        return (ta == Ty::kBad || tb == Ty::kBad) ? Ty::kBad : Ty::kCond;
      }
      case ExprKind::kStrSet:
      case ExprKind::kInCidr: {
        const bool cidr = e.kind == ExprKind::kInCidr;
        ExprId a = e.kids[0], b = e.kids[1];
        Ty ta = CheckValue(a, s, cidr ? "before 'in cidr'" : "to test");
        const Expr& rhs = ast().exprs[b];
        const char* what = cidr ? "'in cidr' needs a list of networks [\"10.0.0.0/8\", ...]"
                                : "a string set needs a list of strings [\"a\", \"b\"]";
        if (rhs.kind != ExprKind::kList) {
          ErrorAt(b, what);
          return Ty::kBad;
        }
        const std::span<const ExprId> kids = rhs.kids;
        bool bad = false;
        if (kids.empty()) {
          ErrorAt(b, cidr ? "'in cidr' needs at least one network"
                          : "a string set needs at least one string");
          bad = true;
        }
        for (ExprId k : kids) {
          const Expr& el = ast().exprs[k];
          if (el.kind != ExprKind::kLiteral || el.lit != LiteralKind::kString) {
            ErrorAt(k, what);
            bad = true;
            continue;
          }
          std::string why;
          if (cidr && !ParseIpNetwork(el.text, &why)) {
            ErrorAt(k, "bad network: " + why);
            bad = true;
          }
        }
        return (ta == Ty::kBad || bad) ? Ty::kBad : Ty::kCond;
      }
      case ExprKind::kLike: {
        Ty ta = CheckValue(e.kids[0], s, "before 'like'");
        const Expr& rhs = ast().exprs[e.kids[1]];
        if (rhs.kind != ExprKind::kLiteral || rhs.lit != LiteralKind::kString) {
          ErrorAt(e.kids[1], "'like' needs a glob in a string (x like \"*.exe\")");
          return Ty::kBad;
        }
        return ta == Ty::kBad ? ta : Ty::kCond;
      }
      case ExprKind::kLookup: {
        const std::string table(e.text);
        if (!table_names_.count(table)) {
          std::vector<std::string> known(table_names_.begin(), table_names_.end());
          std::string near = Suggest(table, known);
          ErrorAt(id, "unknown table '" + table + "'" +
                          (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
          return Ty::kBad;
        }
        Ty tk = CheckValue(e.kids[0], s, "as a table key");
        return tk == Ty::kBad ? tk : Ty::kAny;
      }
      case ExprKind::kIsNull: {
        Ty ta = CheckValue(e.kids[0], s, e.negated ? "before 'is not null'" : "before 'is null'");
        return ta == Ty::kBad ? ta : Ty::kCond;
      }
      case ExprKind::kMatch: {
        Ty ta = CheckValue(e.kids[0], s, "to match");
        RE2::Options opts;
        opts.set_log_errors(false);
        RE2 re(Re2Pattern(e), opts);
        if (!re.ok()) {
          ErrorAt(id, "bad regular expression: " + re.error());
          return Ty::kBad;
        }
        return ta == Ty::kBad ? ta : Ty::kCond;
      }
      case ExprKind::kExists: {
        const Expr& p = ast().exprs[e.kids[0]];
        if (!s.permissive && s.sequence) {
          int t = p.head_backticked ? -1 : AliasTerm(s, p.path[0]);
          if (t >= 0 || !s.bare_fields)
            return CheckPath(e.kids[0], s) == Ty::kBad ? Ty::kBad : Ty::kCond;
        }
        return Ty::kCond;
      }
      case ExprKind::kNot:
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        const std::span<const ExprId> kids = e.kids;  // e may move: Expand adds nodes
        bool bad = false;
        for (ExprId k : kids) {
          Ty t = CheckExpr(k, s);
          if (t == Ty::kBad) {
            bad = true;
          } else if (!IsCondition(t)) {
            ErrorAt(k, "expected a condition, found a value");
            bad = true;
          }
        }
        return bad ? Ty::kBad : Ty::kCond;
      }
    }
    return Ty::kAny;
  }

  CheckedRules& out_;
  std::unordered_map<std::string, LetInfo> lets_;
  std::set<std::string> table_names_;
  size_t expanded_nodes_ = 0;   // nodes copied by let expansion so far
  size_t aggregate_calls_ = 0;  // aggregates of fields in the sequence rule being checked
  std::vector<std::pair<ExprId, int>> depth_stack_;  // Depth's work list
  std::vector<ExprId> walk_stack_;                   // WarnMinusInName's work list
  // The conditions of the rule being checked that CheckCondition found nested too deeply
  // (WarnNeverFires leaves them alone rather than measure their depth again).
  std::vector<ExprId> too_deep_;
  const LoadOptions& options_;
  uint32_t file_ = 0;
};

}  // namespace

std::string Re2Pattern(const Expr& match) {
  std::string flags;
  for (char f : match.flags()) {
    if (flags.find(f) == std::string::npos) flags.push_back(f);
  }
  return flags.empty() ? std::string(match.text) : "(?" + flags + ")" + std::string(match.text);
}

CheckedRules LoadRules(std::vector<SourceFile> files, const LoadOptions& options) {
  CheckedRules out;
  out.files = std::move(files);
  Checker(out, options).Run();
  return out;
}

}  // namespace strix::ql
