// Evaluator of compiled conditions (see evaluate.h).
#include "engine/evaluate.h"

#include <algorithm>
#include <cmath>

#include "common/glob.h"
#include "common/json_text.h"
#include "common/network.h"
#include "engine/table_store.h"

namespace strix::engine {

bool CidrSet::Contains(const IpAddress& a) const {
  const auto& ranges = a.v6 ? v6 : v4;
  // The last range starting at or before the address.
  auto it =
      std::upper_bound(ranges.begin(), ranges.end(), a.bits,
                       [](Uint128 x, const std::pair<Uint128, Uint128>& r) { return x < r.first; });
  return it != ranges.begin() && a.bits <= std::prev(it)->second;
}

namespace {

bool InSet(const ConstSet& s, const Value& v, bool negated) {
  bool member;
  switch (v.kind) {
    case ValueKind::kNumber:
      if (s.numbers.empty() && !s.empty()) return false;  // wrong type
      member = std::binary_search(s.numbers.begin(), s.numbers.end(), v.number);
      break;
    case ValueKind::kString:
      if (s.strings.empty() && !s.empty()) return false;
      member = std::binary_search(s.strings.begin(), s.strings.end(), v.text);
      break;
    case ValueKind::kBool:
      if (!s.has_true && !s.has_false && !s.empty()) return false;
      member = v.boolean ? s.has_true : s.has_false;
      break;
    default:
      return false;  // missing, null, arrays, objects
  }
  return negated ? !member : member;
}

std::string_view CaseMap(const Value& v, bool lower, EvalScratch& s) {
  std::string out(v.text);
  for (char& c : out) {
    if (lower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!lower && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  s.strings.push_back(std::move(out));
  return s.strings.back();
}

// The operand of a test, read in place when it is a field or a constant (the usual case),
// computed into `tmp` otherwise: no 32-byte Value returned through memory per operand.
const Value& Operand(const Program& p, NodeId id, const Event& e, EvalScratch& s, Value& tmp) {
  const CNode& n = p.nodes[id];
  if (n.kind == CKind::kSlot) return e.slots[n.ref];
  if (n.kind == CKind::kConst) return p.Constant(n);
  tmp = Calc(p, id, e, s);
  return tmp;
}

}  // namespace

Value Calc(const Program& p, NodeId id, const Event& e, EvalScratch& s) noexcept {
  const CNode& n = p.nodes[id];
  switch (n.kind) {
    case CKind::kConst:
      return p.Constant(n);
    case CKind::kSlot:
      return e.slots[n.ref];
    case CKind::kLookup:
      if (!s.tables) return Value();
      return s.tables->Lookup(n.ref, Calc(p, p.Kid(n, 0), e, s), n.aux, &s.memo);
    case CKind::kAliasSlot:
    case CKind::kFirstSlot:
    case CKind::kLastSlot:
    case CKind::kPrevSlot: {
      if (!s.match) return Value();
      return n.kind == CKind::kPrevSlot   ? s.match->Prev(n.ref)
             : n.kind == CKind::kLastSlot ? s.match->Last(n.aux, n.ref)
                                          : s.match->First(n.aux, n.ref);
    }
    case CKind::kAggregate:
      return s.match ? s.match->Aggregate(n.ref, n.fn) : Value();
    case CKind::kLower:
    case CKind::kUpper: {
      Value v = Calc(p, p.Kid(n, 0), e, s);
      if (!v.is_string()) return Value();
      return Value::String(CaseMap(v, n.kind == CKind::kLower, s));
    }
    case CKind::kLen: {
      Value v = Calc(p, p.Kid(n, 0), e, s);
      if (v.is_string()) return Value::Number(static_cast<double>(CountCodePoints(v.text)));
      if (v.kind == ValueKind::kArray) return Value::Number(v.number);
      return Value();
    }
    case CKind::kAbs: {
      Value v = Calc(p, p.Kid(n, 0), e, s);
      return v.is_number() ? Value::Number(std::fabs(v.number)) : Value();
    }
    case CKind::kNeg: {
      Value v = Calc(p, p.Kid(n, 0), e, s);
      return v.is_number() ? Value::Number(-v.number) : Value();
    }
    case CKind::kArith: {
      Value a = Calc(p, p.Kid(n, 0), e, s);
      Value b = Calc(p, p.Kid(n, 1), e, s);
      if (!a.is_number() || !b.is_number()) return Value();
      double r;
      switch (n.op) {
        case ql::Op::kAdd:
          r = a.number + b.number;
          break;
        case ql::Op::kSub:
          r = a.number - b.number;
          break;
        case ql::Op::kMul:
          r = a.number * b.number;
          break;
        default:
          if (b.number == 0) return Value();
          r = a.number / b.number;
      }
      return std::isfinite(r) ? Value::Number(r) : Value();
    }
    default:
      return Value::Bool(Test(p, id, e, s));
  }
}

bool Test(const Program& p, NodeId id, const Event& e, EvalScratch& s) noexcept {
  const CNode& n = p.nodes[id];
  // LANGUAGE.md 3.2: a comparison with prev(f) is true on the term's first repetition.
  if (n.uses_prev && (!s.match || !s.match->HasPrev())) return true;
  switch (n.kind) {
    case CKind::kCompare: {
      Value ta, tb;
      const Value& a = Operand(p, p.Kid(n, 0), e, s, ta);
      const Value& b = Operand(p, p.Kid(n, 1), e, s, tb);
      if (n.op == ql::Op::kEq || n.op == ql::Op::kNe) {
        bool comparable =
            a.kind == b.kind && (a.kind == ValueKind::kNumber || a.kind == ValueKind::kString ||
                                 a.kind == ValueKind::kBool);
        if (!comparable) return false;
        return ValuesEqual(a, b) == (n.op == ql::Op::kEq);
      }
      int c = CompareValues(a, b);
      if (c == 2) return false;
      switch (n.op) {
        case ql::Op::kLt:
          return c < 0;
        case ql::Op::kLe:
          return c <= 0;
        case ql::Op::kGt:
          return c > 0;
        default:
          return c >= 0;
      }
    }
    case CKind::kInSet: {
      Value tmp;
      return InSet(p.sets[n.ref], Operand(p, p.Kid(n, 0), e, s, tmp), n.negated);
    }
    case CKind::kInRange: {
      Value tmp;
      const Value& v = Operand(p, p.Kid(n, 0), e, s, tmp);
      const ConstRange& r = p.ranges[n.ref];
      int lo = CompareValues(r.lo, v), hi = CompareValues(v, r.hi);
      if (lo == 2 || hi == 2) return false;
      bool inside = lo <= 0 && hi <= 0;
      return n.negated ? !inside : inside;
    }
    case CKind::kStrTest: {
      Value ta, tb;
      const Value& a = Operand(p, p.Kid(n, 0), e, s, ta);
      const Value& b = Operand(p, p.Kid(n, 1), e, s, tb);
      if (!a.is_string() || !b.is_string()) return false;
      switch (n.op) {
        case ql::Op::kContains:
          return a.text.find(b.text) != std::string_view::npos;
        case ql::Op::kStartsWith:
          return a.text.substr(0, b.text.size()) == b.text;
        default:
          return a.text.size() >= b.text.size() &&
                 a.text.substr(a.text.size() - b.text.size()) == b.text;
      }
    }
    case CKind::kMatch: {
      Value tmp;
      const Value& v = Operand(p, p.Kid(n, 0), e, s, tmp);
      if (!v.is_string()) return false;
      bool m = RE2::PartialMatch(v.text, *p.regexes[n.ref]);
      return n.negated ? !m : m;
    }
    case CKind::kLike: {
      Value tmp;
      const Value& v = Operand(p, p.Kid(n, 0), e, s, tmp);
      return v.is_string() && GlobMatch(p.globs[n.ref], v.text);
    }
    case CKind::kInCidr: {
      Value tmp;
      const Value& v = Operand(p, p.Kid(n, 0), e, s, tmp);
      if (!v.is_string()) return false;  // not an address: false, and `not in` too
      auto a = ParseIpAddress(v.text);
      if (!a) return false;
      return p.cidrs[n.ref].Contains(*a) != n.negated;
    }
    case CKind::kIsNull: {
      Value tmp;
      const Value& v = Operand(p, p.Kid(n, 0), e, s, tmp);
      bool null = v.kind == ValueKind::kMissing || v.kind == ValueKind::kNull;
      return null != n.negated;
    }
    case CKind::kExists:
      return !e.slots[n.ref].missing();
    case CKind::kAliasExists: {
      return s.match && !s.match->First(n.aux, n.ref).missing();
    }
    case CKind::kNot:
      return !Test(p, p.Kid(n, 0), e, s);
    case CKind::kAnd:
      for (uint32_t i = 0; i < n.nkids; ++i) {
        if (!Test(p, p.Kid(n, i), e, s)) return false;
      }
      return true;
    case CKind::kOr:
      for (uint32_t i = 0; i < n.nkids; ++i) {
        if (Test(p, p.Kid(n, i), e, s)) return true;
      }
      return false;
    default: {
      Value v = Calc(p, id, e, s);
      return v.kind == ValueKind::kBool && v.boolean;
    }
  }
}

}  // namespace strix::engine
