// Canonical AST printer (see dump.h). Recursion is bounded by kMaxNesting / kMaxExprDepth.
#include "query-lang/dump.h"

#include <cctype>

#include "common/json_text.h"
#include "common/time.h"
#include "query-lang/parse.h"

namespace strix::ql {
namespace {

bool PlainName(const std::string& s) {
  if (s.empty() || IsReserved(s)) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0])) && s[0] != '_') return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string Name(const std::string& s, bool force_ticks = false) {
  return (!force_ticks && PlainName(s)) ? s : "`" + s + "`";
}

const char* OpText(Op op) {
  switch (op) {
    case Op::kAdd:
      return "+";
    case Op::kSub:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kEq:
      return "==";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kContains:
      return "contains";
    case Op::kStartsWith:
      return "startswith";
    case Op::kEndsWith:
      return "endswith";
    case Op::kNone:
      return "?";
  }
  return "?";
}

void Out(const Ast& a, ExprId id, std::string& o) {
  const Expr& e = a.exprs[id];
  auto join = [&](const char* sep) {
    for (size_t i = 0; i < e.kids.size(); ++i) {
      if (i) o += sep;
      Out(a, e.kids[i], o);
    }
  };
  auto infix = [&](const std::string& op) {  // (left OP right)
    o += "(";
    Out(a, e.kids[0], o);
    o += op;
    Out(a, e.kids[1], o);
    o += ")";
  };
  switch (e.kind) {
    case ExprKind::kLiteral:
      switch (e.lit) {
        case LiteralKind::kNull:
          o += "null";
          break;
        case LiteralKind::kBool:
          o += e.boolean ? "true" : "false";
          break;
        case LiteralKind::kNumber:
          AppendJsonNumber(o, e.number);
          break;
        case LiteralKind::kString:
          AppendJsonString(o, e.text);
          break;
      }
      break;
    case ExprKind::kPath:
      o += DumpPath(e.path, e.head_backticked);
      break;
    case ExprKind::kList:
      o += "[";
      join(", ");
      o += "]";
      break;
    case ExprKind::kCall:
      o += e.text + "(";
      join(", ");
      o += ")";
      for (const std::string& s : e.path) o += "." + Name(s);
      break;
    case ExprKind::kNeg:
      o += "(-";
      Out(a, e.kids[0], o);
      o += ")";
      break;
    case ExprKind::kArith:
    case ExprKind::kCompare:
    case ExprKind::kStrTest:
      infix(std::string(" ") + OpText(e.op) + " ");
      break;
    case ExprKind::kIn:
      infix(e.negated ? " not in " : " in ");
      break;
    case ExprKind::kStrSet:
      infix(std::string(" ") + OpText(e.op) + (e.set_all ? " all " : " any "));
      break;
    case ExprKind::kLike:
      infix(" like ");
      break;
    case ExprKind::kInCidr:
      infix(e.negated ? " not in cidr " : " in cidr ");
      break;
    case ExprKind::kIsNull:
      o += "(";
      Out(a, e.kids[0], o);
      o += e.negated ? " is not null)" : " is null)";
      break;
    case ExprKind::kLookup:
      o += Name(e.text) + "[";
      Out(a, e.kids[0], o);
      o += "]";
      for (const std::string& s : e.path) o += "." + Name(s);
      break;
    case ExprKind::kRange:
      Out(a, e.kids[0], o);
      o += "..";
      Out(a, e.kids[1], o);
      break;
    case ExprKind::kMatch: {
      o += "(";
      Out(a, e.kids[0], o);
      o += e.negated ? " !~ " : " =~ ";
      o += DumpRegex(e.text, e.flags()) + ")";
      break;
    }
    case ExprKind::kExists:
      o += "(exists ";
      Out(a, e.kids[0], o);
      o += ")";
      break;
    case ExprKind::kNot:
      o += "(not ";
      Out(a, e.kids[0], o);
      o += ")";
      break;
    case ExprKind::kAnd:
      o += "(";
      join(" and ");
      o += ")";
      break;
    case ExprKind::kOr:
      o += "(";
      join(" or ");
      o += ")";
      break;
  }
}

std::string Keys(const std::vector<KeyPath>& keys) {
  std::string o;
  for (size_t i = 0; i < keys.size(); ++i) o += (i ? ", " : "") + DumpPath(keys[i].path);
  return o;
}

std::string Quant(const Quantifier& q) {
  if (!q.written) return "";
  std::string o = "{" + std::to_string(q.min);
  if (!q.max) {
    o += ",";
  } else if (*q.max != q.min) {
    o += "," + std::to_string(*q.max);
  }
  return o + "}";
}

}  // namespace

std::string DumpRegex(const std::string& pattern, std::string_view flags) {
  // The parser keeps every escape but `\/` as written, so a slash in the pattern always follows
  // an even run of backslashes and escaping it reads back the same pattern.
  std::string o = "/";
  for (char c : pattern) {
    if (c == '/') o += "\\";
    o.push_back(c);
  }
  o += "/";
  o += flags;
  return o;
}

std::string DumpPath(const std::vector<std::string>& path, bool head_backticked) {
  std::string o;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) o += ".";
    o += Name(path[i], i == 0 && head_backticked);
  }
  return o;
}

std::string DumpExpr(const Ast& ast, ExprId id) {
  std::string o;
  Out(ast, id, o);
  return o;
}

std::string DumpFilter(const Ast& ast, const Filter& f) {
  std::string o = f.any ? "any" : Name(f.type);
  o += Quant(f.quant);
  if (f.has_keys) o += " by " + Keys(f.keys);
  if (f.where != kNoExpr) o += " where " + DumpExpr(ast, f.where);
  return o;
}

std::string DumpRule(const Ast& ast, const Rule& r) {
  std::string o;
  o += "rule " + r.name + " on ";
  if (!r.is_sequence) {
    o += DumpFilter(ast, r.filter);
  } else {
    const Sequence& q = r.sequence;
    o += "sequence";
    if (q.has_keys) o += " by " + Keys(q.keys);
    if (q.within_ms) o += " within " + FormatDuration(*q.within_ms);
    if (q.policy == Policy::kStrict) o += " strict";
    if (q.policy == Policy::kEvery) o += " every";
    for (size_t i = 0; i < q.terms.size(); ++i) {
      const Term& t = q.terms[i];
      const Group* g = t.group >= 0 ? &q.groups[static_cast<size_t>(t.group)] : nullptr;
      if (g && i == g->first) {
        o += "  ";
        if (!g->alias.empty()) o += g->alias + ": ";
        o += "all(";
      } else if (g && t.branch != q.terms[i - 1].branch) {
        o += ",";
      }
      o += g && i == g->first ? "" : "  ";
      if (t.negated) o += "not ";
      if (!t.alias.empty()) o += t.alias + ": ";
      o += DumpFilter(ast, t.filter);
      if (g && i + 1 == g->end) o += ")";
    }
    if (q.until) o += " until " + DumpFilter(ast, *q.until);
  }
  if (r.having != kNoExpr) o += " having " + DumpExpr(ast, r.having);
  if (r.suppress_ms) o += " suppress " + FormatDuration(*r.suppress_ms);
  if (r.has_emit) {
    o += " emit {";
    for (size_t i = 0; i < r.emit.size(); ++i) {
      o += (i ? ", " : "") + Name(r.emit[i].name) + ": " + DumpExpr(ast, r.emit[i].value);
    }
    o += "}";
  }
  o += "\n";
  return o;
}

std::string DumpTable(const Ast& ast, const Table& t) {
  std::string o =
      "table " + t.name + " by " + DumpPath(t.key.path) + " from " + DumpFilter(ast, t.from);
  if (!t.row.empty()) o += " row " + DumpPath(t.row);
  if (t.has_delete) o += " delete on " + DumpFilter(ast, t.del);
  return o + "\n";
}

std::string Dump(const Ast& ast) {
  std::string o;
  for (auto [kind, idx] : ast.order) {
    if (kind == Ast::ItemKind::kTable) {
      o += DumpTable(ast, ast.tables[idx]);
    } else if (kind == Ast::ItemKind::kLet) {
      const Let& l = ast.lets[idx];
      o += "let " + l.name + " = " + DumpExpr(ast, l.value) + "\n";
    } else if (kind == Ast::ItemKind::kRule) {
      o += DumpRule(ast, ast.rules[idx]);
    } else {
      const Test& t = ast.tests[idx];
      std::string name;
      AppendJsonString(name, t.name);
      o += "test " + name + " given " + std::to_string(t.given.size()) + " events";
      for (const Expect& e : t.expects) {
        o += " expect ";
        if (e.kind == Expect::Kind::kNone) o += "none ";
        if (e.kind == Expect::Kind::kCount) o += std::to_string(e.count) + " ";
        o += e.rule;
        if (!e.fields.empty()) {
          o += " {";
          for (size_t i = 0; i < e.fields.size(); ++i) {
            o += (i ? ", " : "") + Name(e.fields[i].name) + ": " + e.fields[i].json;
          }
          o += "}";
        }
      }
      o += "\n";
    }
  }
  return o;
}

}  // namespace strix::ql
