// Access planning: how a rule's condition enters the condition index. Stage: engine/compiler
// (between compiling a condition and building the index). Interface: PlanAccess(),
// AccessPredicates(), EqKey(), DescribeAtom().
// Three plans: a conjunction is anchored on its cheapest indexable part (the rest is the
// residual, tested per candidate); a conjunction of two or more exact parts with no cheap
// anchor (no equality or prefix: every part a range, a literal or a set) is counted (every part
// enters the index, and the rule is a candidate once all of them hit; index/condition_index.h);
// a disjunction enters once per alternative. A rule with nothing indexable goes on its type's
// always-check list. Costs weigh equalities by how many rules share their value (EqKey).
// Covered by test/engine_test.cc, test/index_test.cc and test/differential_test.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/program.h"
#include "index/access_predicate.h"

namespace strix::engine {

// How condition `node` enters the index: its atoms (several = any of them), or for a counted
// conjunction its predicates (each an OR of exact atoms; all must hit); and the conjuncts they
// do not decide exactly (a regex prefilter, a conjunct beside the chosen one). Equality, `in`,
// ranges with numeric bounds and contains/startswith/endswith (up to
// LiteralMatcher::kMaxLiteral bytes) are exact: once the index offers the rule through them,
// they are not tested again.
struct AccessPlan {
  std::vector<index::Atom> atoms;
  std::vector<NodeId> residual;                   // empty: the entries decide the whole condition
  std::vector<std::vector<index::Atom>> counted;  // non-empty: a counted conjunction
};
// An anchor at least this costly (a range, a regex: AtomCost) makes a conjunction with two or
// more exact parts counted instead; when every exact part is a string literal test, from
// kCountingFromLiterals (a startswith or endswith anchor): the literal matcher scans each field
// for all of its literals at once, so counting their hits costs an increment per occurrence,
// where an anchor would test the others one by one on every candidate (measured on Sigma rules:
// perf/results/2026-11-30-sigma.txt).
constexpr double kCountingFrom = 4;
constexpr double kCountingFromLiterals = 3;
// nullopt when nothing is indexable (always-check); no entries when the condition never holds.
// `counting` false: anchored plans only (the parts of a disjunction).
std::optional<AccessPlan> PlanAccess(const Program& p, NodeId node, bool counting = true);
// The atoms of the anchored plan (equality statistics).
std::optional<std::vector<index::Atom>> AccessPredicates(const Program& p, NodeId node);
// The key under which Program::eq_frequency counts the rules holding an equality atom.
std::string EqKey(const index::Atom& a);

// "amount in [50000, 60000]" and the like, for explain.
std::string DescribeAtom(const Program& p, const index::Atom& a);
std::string DescribeField(const FieldSpec& f);

}  // namespace strix::engine
