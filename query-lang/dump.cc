// Canonical AST printer (see dump.h). Recursion is bounded by kMaxNesting / kMaxExprDepth.
#include "query-lang/dump.h"

#include <cctype>

#include "common/json_text.h"
#include "common/time.h"
#include "query-lang/parse.h"

namespace strix::ql {
namespace {

bool PlainName(std::string_view s) {
  if (s.empty() || IsReserved(s)) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0])) && s[0] != '_') return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// Appends a name as written in a rule: plain, or in backticks when it is not a plain name.
void AppendName(std::string& o, std::string_view s, bool force_ticks = false) {
  if (!force_ticks && PlainName(s)) {
    o += s;
    return;
  }
  o += '`';
  o += s;
  o += '`';
}

std::string Name(const std::string& s) {
  std::string o;
  AppendName(o, s);
  return o;
}

// The `.seg.seg` after a call or a table row.
void AppendMembers(std::string& o, std::span<const std::string> path) {
  for (const std::string& s : path) {
    o += '.';
    AppendName(o, s);
  }
}

void AppendPath(std::string& o, std::span<const std::string> path, bool head_backticked) {
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) o += '.';
    AppendName(o, path[i], i == 0 && head_backticked);
  }
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
  // (left OP right), the operator's text in up to three pieces
  auto infix = [&](const char* op, const char* op2 = "", const char* op3 = "") {
    o += '(';
    Out(a, e.kids[0], o);
    o += op;
    o += op2;
    o += op3;
    Out(a, e.kids[1], o);
    o += ')';
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
      AppendPath(o, e.path, e.head_backticked);
      break;
    case ExprKind::kList:
      o += "[";
      join(", ");
      o += "]";
      break;
    case ExprKind::kCall:
      o += e.text;
      o += '(';
      join(", ");
      o += ')';
      AppendMembers(o, e.path);
      break;
    case ExprKind::kNeg:
      o += "(-";
      Out(a, e.kids[0], o);
      o += ")";
      break;
    case ExprKind::kArith:
    case ExprKind::kCompare:
    case ExprKind::kStrTest:
      infix(" ", OpText(e.op), " ");
      break;
    case ExprKind::kIn:
      infix(e.negated ? " not in " : " in ");
      break;
    case ExprKind::kStrSet:
      infix(" ", OpText(e.op), e.set_all ? " all " : " any ");
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
      AppendName(o, e.text);
      o += '[';
      Out(a, e.kids[0], o);
      o += ']';
      AppendMembers(o, e.path);
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

void AppendKeys(std::string& o, const std::vector<KeyPath>& keys) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) o += ", ";
    AppendPath(o, keys[i].path, false);
  }
}

void AppendQuant(std::string& o, const Quantifier& q) {
  if (!q.written) return;
  o += '{';
  o += std::to_string(q.min);
  if (!q.max) {
    o += ',';
  } else if (*q.max != q.min) {
    o += ',';
    o += std::to_string(*q.max);
  }
  o += '}';
}

void AppendFilter(std::string& o, const Ast& ast, const Filter& f) {
  if (f.any) {
    o += "any";
  } else {
    AppendName(o, f.type);
  }
  AppendQuant(o, f.quant);
  if (f.has_keys) {
    o += " by ";
    AppendKeys(o, f.keys);
  }
  if (f.where != kNoExpr) {
    o += " where ";
    Out(ast, f.where, o);
  }
}

}  // namespace

std::string DumpRegex(std::string_view pattern, std::string_view flags) {
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

std::string DumpPath(std::span<const std::string> path, bool head_backticked) {
  std::string o;
  AppendPath(o, path, head_backticked);
  return o;
}

std::string DumpExpr(const Ast& ast, ExprId id) {
  std::string o;
  Out(ast, id, o);
  return o;
}

std::string DumpFilter(const Ast& ast, const Filter& f) {
  std::string o;
  AppendFilter(o, ast, f);
  return o;
}

std::string DumpRule(const Ast& ast, const Rule& r) {
  std::string o;
  o.reserve(256);
  DumpRuleTo(ast, r, o);
  return o;
}

void DumpRuleTo(const Ast& ast, const Rule& r, std::string& o) {
  o.clear();
  o += "rule ";
  o += r.name;
  o += " on ";
  if (!r.is_sequence) {
    AppendFilter(o, ast, r.filter);
  } else {
    const Sequence& q = r.sequence;
    o += "sequence";
    if (q.has_keys) {
      o += " by ";
      AppendKeys(o, q.keys);
    }
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
      AppendFilter(o, ast, t.filter);
      if (g && i + 1 == g->end) o += ")";
    }
    if (q.until) {
      o += " until ";
      AppendFilter(o, ast, *q.until);
    }
  }
  if (r.having != kNoExpr) {
    o += " having ";
    Out(ast, r.having, o);
  }
  if (r.suppress_ms) o += " suppress " + FormatDuration(*r.suppress_ms);
  if (r.has_emit) {
    o += " emit {";
    for (size_t i = 0; i < r.emit.size(); ++i) {
      if (i) o += ", ";
      AppendName(o, r.emit[i].name);
      o += ": ";
      Out(ast, r.emit[i].value, o);
    }
    o += "}";
  }
  o += "\n";
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
