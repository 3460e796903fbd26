// Access planning: how a rule's condition enters the condition index (see access_plan.h).
#include "engine/access_plan.h"

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <cmath>
#include <limits>

#include "common/glob.h"
#include "common/json_text.h"
#include "common/network.h"
#include "index/condition_index.h"
#include "index/literal_matcher.h"
#include "query-lang/dump.h"

namespace strix::engine {

using index::Atom;
using index::AtomKind;
using ql::Op;

// The program-wide count of rules whose condition holds this equality (see EqKey).
std::string EqKey(const Atom& a) {
  std::string k = std::to_string(a.slot) + ":" + std::to_string(int(a.value_kind)) + ":";
  if (a.value_kind == ValueKind::kNumber) {
    AppendJsonNumber(k, a.number);
  } else if (a.value_kind == ValueKind::kBool) {
    k += a.boolean ? "t" : "f";
  } else {
    k += a.text;
  }
  return k;
}

namespace {

// Probing cost of an atom: the kind's base cost, and for equalities the number of rules that
// share the value (an equality that 50 rules hold brings 50 candidates; a unique one, one).
double AtomCost(const Program& p, const Atom& a) {
  double c = a.cost();
  if (a.kind == AtomKind::kEq && !p.eq_frequency.empty()) {
    auto it = p.eq_frequency.find(EqKey(a));
    if (it != p.eq_frequency.end() && it->second > 1) c += 0.5 * std::log2(double(it->second));
  }
  return c;
}

bool IsLiteral(AtomKind k) {
  return k == AtomKind::kContains || k == AtomKind::kStartsWith || k == AtomKind::kEndsWith;
}

double Cost(const Program& p, const std::vector<Atom>& atoms) {
  double c = 0;
  for (const Atom& a : atoms) c += AtomCost(p, a);
  return c;
}

// Bounds of `slot OP c`; false when it is not a numeric comparison.
bool RangeOf(Op op, double c, Atom& a) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  a.kind = AtomKind::kRange;
  switch (op) {
    case Op::kLt:
      a.lo = -kInf, a.hi = c, a.hi_open = true;
      return true;
    case Op::kLe:
      a.lo = -kInf, a.hi = c;
      return true;
    case Op::kGt:
      a.lo = c, a.hi = kInf, a.lo_open = true;
      return true;
    case Op::kGe:
      a.lo = c, a.hi = kInf;
      return true;
    default:
      return false;
  }
}

Op Flip(Op op) {
  switch (op) {
    case Op::kLt:
      return Op::kGt;
    case Op::kLe:
      return Op::kGe;
    case Op::kGt:
      return Op::kLt;
    case Op::kGe:
      return Op::kLe;
    default:
      return op;
  }
}

// The fewest aligned networks whose union is [lo, hi] (a merged range of one family).
std::vector<IpNetwork> CoveringNetworks(bool v6, Uint128 lo, Uint128 hi) {
  std::vector<IpNetwork> out;
  const int width = v6 ? 128 : 32;
  const Uint128 top = FamilyTop(v6);
  while (true) {
    // The largest block that starts at lo, is aligned to its size and ends by hi.
    int prefix = width;
    while (prefix > 0) {
      const int bits = width - prefix + 1;  // the size of the block one bit shorter
      if (bits == 128) {
        if (lo == 0 && hi == top) prefix = 0;
        break;
      }
      const Uint128 size = Uint128(1) << bits;
      if ((lo & (size - 1)) != 0 || lo + (size - 1) > hi) break;
      --prefix;
    }
    IpNetwork n;
    n.v6 = v6;
    n.prefix = static_cast<uint8_t>(prefix);
    n.lo = lo;
    n.hi = lo | (~NetworkMask(v6, n.prefix) & top);
    out.push_back(n);
    if (n.hi >= hi) break;
    lo = n.hi + 1;
  }
  return out;
}

// `slot like pattern` (node `id`): an equality when the pattern has no wildcard; a literal
// test that decides alone for `lit*`, `*lit` and `*lit*` (stars in a row are one star);
// otherwise the longest literal run (anchored ones first) narrows and the glob runs again.
// No literal at all: not indexable.
std::optional<AccessPlan> PlanGlob(uint32_t slot, std::string_view pattern, NodeId id) {
  GlobLiterals g = SplitGlob(pattern);
  Atom a;
  a.slot = slot;
  if (g.exact) {
    a.kind = AtomKind::kEq;
    a.value_kind = ValueKind::kString;
    a.text = g.prefix;
    return AccessPlan{{a}, {}};
  }
  size_t first = pattern.find_first_not_of('*'), last = pattern.find_last_not_of('*');
  if (first != std::string_view::npos && pattern.find('?') == std::string_view::npos) {
    std::string_view body = pattern.substr(first, last + 1 - first);
    if (body.find('*') == std::string_view::npos &&
        body.size() <= index::LiteralMatcher::kMaxLiteral) {
      const bool lead = first > 0, trail = last + 1 < pattern.size();
      a.kind = lead && trail ? AtomKind::kContains
               : lead        ? AtomKind::kEndsWith
                             : AtomKind::kStartsWith;
      a.text = std::string(body);
      return AccessPlan{{a}, {}};
    }
  }
  const std::string* best = nullptr;
  AtomKind kind = AtomKind::kContains;
  auto consider = [&](const std::string& lit, AtomKind k) {
    if (!lit.empty() && (!best || lit.size() > best->size())) best = &lit, kind = k;
  };
  consider(g.prefix, AtomKind::kStartsWith);
  consider(g.suffix, AtomKind::kEndsWith);
  for (const std::string& lit : g.inner) consider(lit, AtomKind::kContains);
  if (!best) return std::nullopt;
  a.kind = kind;
  a.text = *best;
  return AccessPlan{{a}, {id}};
}

}  // namespace

std::optional<AccessPlan> PlanAccess(const Program& p, NodeId id, bool counting) {
  const CNode& n = p.nodes[id];
  auto slot_of = [&](NodeId k) -> std::optional<uint32_t> {
    const CNode& kn = p.nodes[k];
    if (kn.kind == CKind::kSlot) return kn.ref;  // fields of the event itself only
    return std::nullopt;
  };
  switch (n.kind) {
    case CKind::kConst:
      if (p.Constant(n).kind == ValueKind::kBool && !p.Constant(n).boolean) {
        return AccessPlan{};  // never holds: no entry at all
      }
      return std::nullopt;
    case CKind::kCompare: {
      NodeId l = p.Kid(n, 0), r = p.Kid(n, 1);
      Op op = n.op;
      if (!slot_of(l) && slot_of(r)) {
        std::swap(l, r);
        op = Flip(op);
      }
      auto slot = slot_of(l);
      const CNode& c = p.nodes[r];
      if (!slot || c.kind != CKind::kConst) return std::nullopt;
      Atom a;
      a.slot = *slot;
      if (op == Op::kEq) {
        a.kind = AtomKind::kEq;
        a.value_kind = p.Constant(c).kind;
        if (p.Constant(c).kind == ValueKind::kNumber) {
          a.number = p.Constant(c).number;
        } else if (p.Constant(c).kind == ValueKind::kString) {
          a.text = std::string(p.Constant(c).text);
        } else if (p.Constant(c).kind == ValueKind::kBool) {
          a.boolean = p.Constant(c).boolean;
        } else {
          return AccessPlan{};  // == null never holds
        }
        return AccessPlan{{a}, {}};
      }
      if (p.Constant(c).is_number() && RangeOf(op, p.Constant(c).number, a))
        return AccessPlan{{a}, {}};
      return std::nullopt;
    }
    case CKind::kInSet: {
      auto slot = slot_of(p.Kid(n, 0));
      if (!slot || n.negated) return std::nullopt;
      const ConstSet& s = p.sets[n.ref];
      AccessPlan plan;
      std::vector<Atom>& out = plan.atoms;
      for (double d : s.numbers) {
        Atom a;
        a.slot = *slot;
        a.value_kind = ValueKind::kNumber;
        a.number = d;
        out.push_back(a);
      }
      for (std::string_view t : s.strings) {
        Atom a;
        a.slot = *slot;
        a.value_kind = ValueKind::kString;
        a.text = std::string(t);
        out.push_back(a);
      }
      for (bool b : {true, false}) {
        if (b ? s.has_true : s.has_false) {
          Atom a;
          a.slot = *slot;
          a.value_kind = ValueKind::kBool;
          a.boolean = b;
          out.push_back(a);
        }
      }
      return plan;
    }
    case CKind::kInRange: {
      auto slot = slot_of(p.Kid(n, 0));
      const ConstRange& r = p.ranges[n.ref];
      if (!slot || n.negated || !r.lo.is_number()) return std::nullopt;
      if (r.lo.number > r.hi.number) return AccessPlan{};
      Atom a;
      a.kind = AtomKind::kRange;
      a.slot = *slot;
      a.lo = r.lo.number;
      a.hi = r.hi.number;
      // Exact when both bounds are numbers (the stab tests both).
      if (!r.hi.is_number()) return AccessPlan{{a}, {id}};
      return AccessPlan{{a}, {}};
    }
    case CKind::kStrTest: {
      auto slot = slot_of(p.Kid(n, 0));
      const CNode& c = p.nodes[p.Kid(n, 1)];
      if (!slot || c.kind != CKind::kConst || !p.Constant(c).is_string()) return std::nullopt;
      Atom a;
      a.slot = *slot;
      a.kind = n.op == Op::kContains     ? AtomKind::kContains
               : n.op == Op::kStartsWith ? AtomKind::kStartsWith
                                         : AtomKind::kEndsWith;
      a.text = std::string(p.Constant(c).text);
      // The literal filters are exact up to kMaxLiteral bytes; a longer literal is tested again.
      if (a.text.size() > index::LiteralMatcher::kMaxLiteral) return AccessPlan{{a}, {id}};
      return AccessPlan{{a}, {}};
    }
    case CKind::kLike: {
      auto slot = slot_of(p.Kid(n, 0));
      if (!slot) return std::nullopt;
      return PlanGlob(*slot, p.globs[n.ref], id);
    }
    case CKind::kInCidr: {
      auto slot = slot_of(p.Kid(n, 0));
      if (!slot || n.negated) return std::nullopt;
      AccessPlan plan;  // no networks: no entry, it never holds
      const CidrSet& set = p.cidrs[n.ref];
      for (const auto* ranges : {&set.v4, &set.v6}) {
        for (const auto& [lo, hi] : *ranges) {
          // A merged range is a union of networks: enter the largest aligned blocks of it.
          for (const IpNetwork& net : CoveringNetworks(ranges == &set.v6, lo, hi)) {
            Atom a;
            a.kind = AtomKind::kCidr;
            a.slot = *slot;
            a.network = net;
            plan.atoms.push_back(a);
          }
        }
      }
      return plan;
    }
    case CKind::kIsNull: {
      auto slot = slot_of(p.Kid(n, 0));
      if (!slot || !n.negated) return std::nullopt;  // `is null` holds for missing fields
      Atom a;
      a.kind = AtomKind::kPresent;
      a.slot = *slot;
      return AccessPlan{{a}, {}};
    }
    case CKind::kMatch: {
      auto slot = slot_of(p.Kid(n, 0));
      if (!slot || n.negated) return std::nullopt;
      Atom a;
      a.kind = AtomKind::kRegex;
      a.slot = *slot;
      a.text = p.regexes[n.ref]->pattern();
      return AccessPlan{{a}, {id}};  // the prefilter over-approximates: the regex runs
    }
    case CKind::kAnd: {
      boost::container::small_vector<std::optional<AccessPlan>, 8> kids(n.nkids);
      bool found = false;  // kids[chosen] is the cheapest plan (the first of equal cost)
      uint32_t chosen = 0;
      double best_cost = 0;
      size_t exact = 0;
      for (uint32_t i = 0; i < n.nkids; ++i) {
        kids[i] = PlanAccess(p, p.Kid(n, i), /*counting=*/false);
        const std::optional<AccessPlan>& k = kids[i];
        if (!k) continue;
        if (!k->atoms.empty() && k->residual.empty()) ++exact;
        const double cost = Cost(p, k->atoms);
        if (!found || cost < best_cost) {
          found = true;
          chosen = i;
          best_cost = cost;
        }
      }
      if (!found) return std::nullopt;
      // Counting (see access_plan.h): two or more exact conjuncts and no cheap anchor.
      bool literals = counting && exact >= 2;  // (looked at only where counting may be chosen)
      for (size_t i = 0; literals && i < kids.size(); ++i) {
        const std::optional<AccessPlan>& k = kids[i];
        if (!k || k->atoms.empty() || !k->residual.empty()) continue;
        for (const Atom& a : k->atoms) literals = literals && IsLiteral(a.kind);
      }
      const double from = literals ? kCountingFromLiterals : kCountingFrom;
      if (counting && exact >= 2 && best_cost >= from) {
        AccessPlan plan;
        plan.counted.reserve(exact);
        for (uint32_t i = 0; i < n.nkids; ++i) {
          std::optional<AccessPlan>& k = kids[i];
          if (k && !k->atoms.empty() && k->residual.empty() &&
              plan.counted.size() < index::ConditionIndex::kMaxCounted) {
            plan.counted.push_back(std::move(k->atoms));
          } else {
            plan.residual.push_back(p.Kid(n, i));
          }
        }
        return plan;
      }
      AccessPlan best = std::move(*kids[chosen]);
      for (uint32_t i = 0; i < n.nkids; ++i) {
        if (i != chosen) best.residual.push_back(p.Kid(n, i));
      }
      return best;
    }
    case CKind::kOr: {
      AccessPlan all;
      bool exact = true;
      for (uint32_t i = 0; i < n.nkids; ++i) {
        auto k = PlanAccess(p, p.Kid(n, i), /*counting=*/false);  // a union needs atoms
        if (!k) return std::nullopt;
        all.atoms.insert(all.atoms.end(), k->atoms.begin(), k->atoms.end());
        exact = exact && k->residual.empty();
      }
      // The union of exact entries is the disjunction itself; otherwise it all runs again.
      if (!exact) all.residual.push_back(id);
      return all;
    }
    default:
      return std::nullopt;
  }
}

std::optional<std::vector<Atom>> AccessPredicates(const Program& p, NodeId id) {
  auto plan = PlanAccess(p, id, /*counting=*/false);
  if (!plan) return std::nullopt;
  return std::move(plan->atoms);
}

std::string DescribeField(const FieldSpec& f) {
  std::string path = ql::DumpPath(f.path);
  if (f.transform == Transform::kLower) return "lower(" + path + ")";
  if (f.transform == Transform::kUpper) return "upper(" + path + ")";
  return path;
}

std::string DescribeAtom(const Program& p, const Atom& a) {
  std::string field = DescribeField(p.fields[a.slot]);
  std::string v;
  switch (a.kind) {
    case AtomKind::kEq:
      if (a.value_kind == ValueKind::kNumber) {
        AppendJsonNumber(v, a.number);
      } else if (a.value_kind == ValueKind::kBool) {
        v = a.boolean ? "true" : "false";
      } else {
        AppendJsonString(v, a.text);
      }
      return "equality   " + field + " == " + v;
    case AtomKind::kRange: {
      std::string lo, hi;
      if (std::isinf(a.lo))
        lo = "-inf";
      else
        AppendJsonNumber(lo, a.lo);
      if (std::isinf(a.hi))
        hi = "+inf";
      else
        AppendJsonNumber(hi, a.hi);
      return "range      " + field + " in " + (a.lo_open || std::isinf(a.lo) ? "(" : "[") + lo +
             ", " + hi + (a.hi_open || std::isinf(a.hi) ? ")" : "]");
    }
    case AtomKind::kRegex:
      return "regex set  " + field + " =~ " + ql::DumpRegex(a.text, "");
    case AtomKind::kContains:
      AppendJsonString(v, a.text);
      return "literal    " + field + " contains " + v;
    case AtomKind::kStartsWith:
      AppendJsonString(v, a.text);
      return "literal    " + field + " startswith " + v;
    case AtomKind::kEndsWith:
      AppendJsonString(v, a.text);
      return "literal    " + field + " endswith " + v;
    case AtomKind::kCidr:
      return "network    " + field + " in cidr " + FormatIpNetwork(a.network);
    case AtomKind::kPresent:
      return "present    " + field + " is not null";
  }
  return "?";
}

}  // namespace strix::engine
