// Key inference (see key_inference.h): reads the checked AST of one sequence.
#include "engine/key_inference.h"

namespace strix::engine {

namespace {

// The top-level conjuncts of `id` (an `and` chain), in order.
void Conjuncts(const ql::Ast& ast, ql::ExprId id, std::vector<ql::ExprId>& out) {
  const ql::Expr& e = ast.exprs[id];
  if (e.kind == ql::ExprKind::kAnd) {
    for (ql::ExprId k : e.kids) Conjuncts(ast, k, out);
    return;
  }
  out.push_back(id);
}

// When `id` is `P == x.P` or `x.P == P` with x the alias of an earlier term in `single`
// (terms that bind one event and carry the equality themselves, or the first term): P.
std::optional<std::vector<std::string>> JoinPath(const ql::Ast& ast, ql::ExprId id, size_t term,
                                                 const std::vector<bool>& single) {
  const ql::Expr& e = ast.exprs[id];
  if (e.kind != ql::ExprKind::kCompare || e.op != ql::Op::kEq || e.kids.size() != 2)
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    const ql::Expr& own = ast.exprs[e.kids[static_cast<size_t>(side)]];
    const ql::Expr& other = ast.exprs[e.kids[static_cast<size_t>(1 - side)]];
    if (own.kind != ql::ExprKind::kPath || own.alias_term >= 0 || own.path.empty()) continue;
    if (other.kind != ql::ExprKind::kPath || other.alias_term < 0) continue;
    const auto x = static_cast<size_t>(other.alias_term);
    if (x >= term || !single[x] || other.path.size() != own.path.size() + 1) continue;
    if (!std::equal(own.path.begin(), own.path.end(), other.path.begin() + 1)) continue;
    return std::vector<std::string>(own.path.begin(), own.path.end());
  }
  return std::nullopt;
}

// single[k]: term k binds one event (and, past the first, its P equals the first event's).
std::vector<bool> SingleTerms(const ql::Sequence& q) {
  std::vector<bool> single(q.terms.size(), false);
  for (size_t k = 0; k < q.terms.size(); ++k) single[k] = !q.terms[k].filter.quant.written;
  return single;
}

}  // namespace

std::vector<std::vector<ql::ExprId>> ConjunctsBesideKey(const ql::Ast& ast, const ql::Sequence& q,
                                                        const std::vector<std::string>& key) {
  const std::vector<bool> single = SingleTerms(q);
  std::vector<std::vector<ql::ExprId>> rest(q.terms.size());
  for (size_t k = 1; k < q.terms.size(); ++k) {
    const ql::Filter& f = q.terms[k].filter;
    if (f.where == ql::kNoExpr) continue;
    std::vector<ql::ExprId> conj;
    Conjuncts(ast, f.where, conj);
    for (ql::ExprId c : conj) {
      const std::optional<std::vector<std::string>> p = JoinPath(ast, c, k, single);
      if (!p || *p != key) rest[k].push_back(c);
    }
  }
  return rest;
}

std::optional<std::vector<std::string>> InferSequenceKey(const ql::Ast& ast,
                                                         const ql::Sequence& q) {
  if (q.policy != ql::Policy::kEvery || q.has_keys || !q.keys.empty() || q.until ||
      !q.groups.empty() || q.terms.size() < 2)
    return std::nullopt;
  for (const ql::Term& t : q.terms) {
    if (t.negated || t.group >= 0 || t.filter.has_keys) return std::nullopt;
  }
  // Term k's equality may name an earlier term x only (JoinPath), whose own equality was
  // required before k is reached: so single[x] is known up front.
  const std::vector<bool> single = SingleTerms(q);
  if (!single[0]) return std::nullopt;
  std::optional<std::vector<std::string>> key;
  for (size_t k = 1; k < q.terms.size(); ++k) {
    const ql::Filter& f = q.terms[k].filter;
    if (f.where == ql::kNoExpr) return std::nullopt;
    std::vector<ql::ExprId> conj;
    Conjuncts(ast, f.where, conj);
    bool found = false;
    for (ql::ExprId c : conj) {
      std::optional<std::vector<std::string>> p = JoinPath(ast, c, k, single);
      if (!p || (key && *p != *key)) continue;
      key = std::move(p);
      found = true;
      break;
    }
    if (!found) return std::nullopt;
  }
  return key;
}

}  // namespace strix::engine
