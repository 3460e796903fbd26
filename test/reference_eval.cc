// Reference evaluator (see reference_eval.h).
#include "test/reference_eval.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/json_text.h"

namespace strix::test {

using namespace ql;

V FromJson(simdjson::dom::element el) {
  V v;
  switch (el.type()) {
    case simdjson::dom::element_type::STRING:
      v.k = V::kStr;
      v.s = std::string(el.get_string().value());
      break;
    case simdjson::dom::element_type::INT64:
      v.k = V::kNum;
      v.n = double(el.get_int64().value());
      break;
    case simdjson::dom::element_type::UINT64:
      v.k = V::kNum;
      v.n = double(el.get_uint64().value());
      break;
    case simdjson::dom::element_type::DOUBLE:
      v.k = V::kNum;
      v.n = el.get_double().value();
      break;
    case simdjson::dom::element_type::BOOL:
      v.k = V::kBool;
      v.b = el.get_bool().value();
      break;
    case simdjson::dom::element_type::NULL_VALUE:
      v.k = V::kNull;
      break;
    case simdjson::dom::element_type::ARRAY:
      v.k = V::kArr;
      v.n = double(el.get_array().value().size());
      v.s = simdjson::minify(el);
      break;
    case simdjson::dom::element_type::OBJECT:
      v.k = V::kObj;
      v.n = double(el.get_object().value().size());
      v.s = simdjson::minify(el);
      break;
  }
  return v;
}

V Lookup(simdjson::dom::element root, std::span<const std::string> path) {
  simdjson::dom::element cur = root;
  for (const std::string& seg : path) {
    if (cur.type() != simdjson::dom::element_type::OBJECT) return V();
    // First occurrence of the key, scanning in order.
    bool found = false;
    simdjson::dom::object obj = cur.get_object().value();
    for (auto f : obj) {
      if (f.key == seg) {
        cur = f.value;
        found = true;
        break;
      }
    }
    if (!found) return V();
  }
  return FromJson(cur);
}

namespace {

std::string Lit(const Expr& e, V& v) {
  switch (e.lit) {
    case LiteralKind::kNull:
      v.k = V::kNull;
      break;
    case LiteralKind::kBool:
      v.k = V::kBool;
      v.b = e.boolean;
      break;
    case LiteralKind::kNumber:
      v.k = V::kNum;
      v.n = e.number;
      break;
    case LiteralKind::kString:
      v.k = V::kStr;
      v.s = e.text;
      break;
  }
  return "";
}

}  // namespace

V Eval::Val(ExprId id) {
  const Expr& e = a.exprs[id];
  V v;
  switch (e.kind) {
    case ExprKind::kLiteral:
      Lit(e, v);
      return v;
    case ExprKind::kPath:
      if (e.alias_term >= 0) {
        const auto& evs = bind->by_term[static_cast<size_t>(e.alias_term)];
        if (evs.empty()) return V();
        return Lookup(evs.front(), std::vector<std::string>(e.path.begin() + 1, e.path.end()));
      }
      return Lookup(root, e.path);
    case ExprKind::kLookup:
      return tables ? tables->Lookup(std::string(e.text), Val(e.kids[0]), e.path) : V();
    case ExprKind::kCall: {
      if (e.alias_term >= 0) return Call(e);
      V x = Val(e.kids[0]);
      if (e.text == "lower" || e.text == "upper") {
        if (x.k != V::kStr) return V();
        for (char& c : x.s) {
          if (e.text == "lower" && c >= 'A' && c <= 'Z') c = char(c + 32);
          if (e.text == "upper" && c >= 'a' && c <= 'z') c = char(c - 32);
        }
        return x;
      }
      if (e.text == "len") {
        if (x.k == V::kStr) {
          v.k = V::kNum;
          v.n = double(CountCodePoints(x.s));
        }
        if (x.k == V::kArr) {
          v.k = V::kNum;
          v.n = x.n;
        }
        return v;
      }
      if (x.k == V::kNum) {
        v.k = V::kNum;
        v.n = std::fabs(x.n);
      }
      return v;
    }
    case ExprKind::kNeg: {
      V x = Val(e.kids[0]);
      if (x.k == V::kNum) {
        v.k = V::kNum;
        v.n = -x.n;
      }
      return v;
    }
    case ExprKind::kArith: {
      V x = Val(e.kids[0]), y = Val(e.kids[1]);
      if (x.k != V::kNum || y.k != V::kNum) return v;
      double r;
      switch (e.op) {
        case Op::kAdd:
          r = x.n + y.n;
          break;
        case Op::kSub:
          r = x.n - y.n;
          break;
        case Op::kMul:
          r = x.n * y.n;
          break;
        default:
          if (y.n == 0) return v;
          r = x.n / y.n;
      }
      if (!std::isfinite(r)) return v;
      v.k = V::kNum;
      v.n = r;
      return v;
    }
    default:
      v.k = V::kBool;
      v.b = Truth(id);
      return v;
  }
}

// The characters (code points) of UTF-8 text, each as its bytes.
static std::vector<std::string> Chars(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

// `like` by dynamic programming over characters: can pattern[..i) match text[..j)?
static bool RefGlob(const std::string& pattern, const std::string& text) {
  std::vector<std::string> p = Chars(pattern), t = Chars(text);
  std::vector<std::vector<bool>> m(p.size() + 1, std::vector<bool>(t.size() + 1, false));
  m[0][0] = true;
  for (size_t i = 1; i <= p.size(); ++i) {
    for (size_t j = 0; j <= t.size(); ++j) {
      if (p[i - 1] == "*") {
        m[i][j] = m[i - 1][j] || (j > 0 && m[i][j - 1]);
      } else if (j > 0) {
        m[i][j] = m[i - 1][j - 1] && (p[i - 1] == "?" || p[i - 1] == t[j - 1]);
      }
    }
  }
  return m[p.size()][t.size()];
}

// An address as 4 or 16 bytes (inet_pton; an IPv6 zone after '%' is dropped).
static bool RefAddress(std::string s, std::vector<uint8_t>& out) {
  s = s.substr(0, s.find('%'));
  uint8_t buf[16];
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), buf) != 1) return false;
    out.assign(buf, buf + 4);
  } else {
    if (inet_pton(AF_INET6, s.c_str(), buf) != 1) return false;
    out.assign(buf, buf + 16);
  }
  return true;
}

// Whether the address's first `prefix` bits are the network's (and the families agree).
static bool RefInNetwork(const std::vector<uint8_t>& addr, const std::string& network) {
  size_t slash = network.find('/');
  std::vector<uint8_t> net;
  if (!RefAddress(network.substr(0, slash), net) || net.size() != addr.size()) return false;
  size_t prefix =
      slash == std::string::npos ? net.size() * 8 : std::stoul(network.substr(slash + 1));
  for (size_t bit = 0; bit < prefix; ++bit) {
    int shift = 7 - int(bit % 8);
    if (((addr[bit / 8] >> shift) & 1) != ((net[bit / 8] >> shift) & 1)) return false;
  }
  return true;
}

// -1, 0, 1, or 2 when not comparable.
int Eval::Cmp(const V& x, const V& y) {
  if (x.k == V::kNum && y.k == V::kNum) return x.n < y.n ? -1 : x.n > y.n ? 1 : 0;
  if (x.k == V::kStr && y.k == V::kStr) return x.s < y.s ? -1 : x.s > y.s ? 1 : 0;
  return 2;
}

bool Eval::Truth(ExprId id) {
  const Expr& e = a.exprs[id];
  switch (e.kind) {
    case ExprKind::kCompare:
    case ExprKind::kIn:
    case ExprKind::kStrTest:
    case ExprKind::kMatch:
    case ExprKind::kStrSet:
    case ExprKind::kLike:
    case ExprKind::kInCidr:
    case ExprKind::kIsNull:
      if (NoPrev() && ReadsPrev(id)) return true;  // prev() on the first repetition
      break;
    default:
      break;
  }
  switch (e.kind) {
    case ExprKind::kAnd:
      for (ExprId k : e.kids)
        if (!Truth(k)) return false;
      return true;
    case ExprKind::kOr:
      for (ExprId k : e.kids)
        if (Truth(k)) return true;
      return false;
    case ExprKind::kNot:
      return !Truth(e.kids[0]);
    case ExprKind::kExists: {
      const Expr& p = a.exprs[e.kids[0]];
      if (p.alias_term >= 0) {
        const auto& evs = bind->by_term[static_cast<size_t>(p.alias_term)];
        return !evs.empty() &&
               Lookup(evs.front(), std::vector<std::string>(p.path.begin() + 1, p.path.end())).k !=
                   V::kMissing;
      }
      return Lookup(root, p.path).k != V::kMissing;
    }
    case ExprKind::kCompare: {
      V x = Val(e.kids[0]), y = Val(e.kids[1]);
      if (e.op == Op::kEq || e.op == Op::kNe) {
        if (x.k != y.k || !Scalar(x)) return false;
        bool eq = x.k == V::kNum ? x.n == y.n : x.k == V::kStr ? x.s == y.s : x.b == y.b;
        return e.op == Op::kEq ? eq : !eq;
      }
      int c = Cmp(x, y);
      if (c == 2) return false;
      return e.op == Op::kLt ? c < 0 : e.op == Op::kLe ? c <= 0 : e.op == Op::kGt ? c > 0 : c >= 0;
    }
    case ExprKind::kIn: {
      V x = Val(e.kids[0]);
      const Expr& rhs = a.exprs[e.kids[1]];
      if (rhs.kind == ExprKind::kRange) {
        V lo, hi;
        Lit(a.exprs[rhs.kids[0]], lo);
        Lit(a.exprs[rhs.kids[1]], hi);
        int c1 = Cmp(lo, x), c2 = Cmp(x, hi);
        if (c1 == 2 || c2 == 2) return false;
        bool in = c1 <= 0 && c2 <= 0;
        return e.negated ? !in : in;
      }
      if (!Scalar(x)) return false;
      bool same_kind = rhs.kids.empty(), member = false;
      for (ExprId k : rhs.kids) {
        V y;
        Lit(a.exprs[k], y);
        if (y.k != x.k) continue;
        same_kind = true;
        if ((x.k == V::kNum && x.n == y.n) || (x.k == V::kStr && x.s == y.s) ||
            (x.k == V::kBool && x.b == y.b)) {
          member = true;
        }
      }
      if (!same_kind) return false;
      return e.negated ? !member : member;
    }
    case ExprKind::kStrTest: {
      V x = Val(e.kids[0]), y = Val(e.kids[1]);
      if (x.k != V::kStr || y.k != V::kStr) return false;
      if (e.op == Op::kContains) return x.s.find(y.s) != std::string::npos;
      if (e.op == Op::kStartsWith) return x.s.compare(0, y.s.size(), y.s) == 0;
      return x.s.size() >= y.s.size() && x.s.compare(x.s.size() - y.s.size(), y.s.size(), y.s) == 0;
    }
    case ExprKind::kStrSet: {
      V x = Val(e.kids[0]);
      if (x.k != V::kStr) return false;
      const Expr& list = a.exprs[e.kids[1]];
      for (ExprId k : list.kids) {
        const std::string lit(a.exprs[k].text);
        bool hit =
            e.op == Op::kContains ? x.s.find(lit) != std::string::npos
            : e.op == Op::kStartsWith
                ? x.s.rfind(lit, 0) == 0
                : x.s.size() >= lit.size() && std::equal(lit.rbegin(), lit.rend(), x.s.rbegin());
        if (hit != e.set_all) return hit;  // any: the first hit decides; all: the first miss
      }
      return e.set_all;
    }
    case ExprKind::kLike: {
      V x = Val(e.kids[0]);
      return x.k == V::kStr && RefGlob(std::string(a.exprs[e.kids[1]].text), x.s);
    }
    case ExprKind::kInCidr: {
      V x = Val(e.kids[0]);
      if (x.k != V::kStr) return false;
      std::vector<uint8_t> addr;
      if (!RefAddress(x.s, addr)) return false;
      bool in = false;
      for (ExprId k : a.exprs[e.kids[1]].kids)
        in = in || RefInNetwork(addr, std::string(a.exprs[k].text));
      return e.negated ? !in : in;
    }
    case ExprKind::kIsNull: {
      V x = Val(e.kids[0]);
      bool null = x.k == V::kMissing || x.k == V::kNull;
      return e.negated ? !null : null;
    }
    case ExprKind::kMatch: {
      V x = Val(e.kids[0]);
      if (x.k != V::kStr) return false;
      std::string flags;
      for (char f : e.flags())
        if (flags.find(f) == std::string::npos) flags += f;
      RE2 re(flags.empty() ? std::string(e.text) : "(?" + flags + ")" + std::string(e.text));
      bool m = RE2::PartialMatch(x.s, re);
      return e.negated ? !m : m;
    }
    default: {
      V v = Val(id);
      return v.k == V::kBool && v.b;
    }
  }
}

bool Eval::NoPrev() {
  return !bind || bind->prev_term < 0 ||
         bind->by_term[static_cast<size_t>(bind->prev_term)].empty();
}

bool Eval::ReadsPrev(ExprId id) {
  const Expr& e = a.exprs[id];
  if (e.kind == ExprKind::kCall && e.text == "prev") return true;
  for (ExprId k : e.kids) {
    if (ReadsPrev(k)) return true;
  }
  return false;
}

// Aggregates, first/last/prev over a list alias, computed from the bound events each time.
V Eval::Call(const Expr& e) {
  const Expr& arg = a.exprs[e.kids[0]];
  const auto& evs = bind->by_term[static_cast<size_t>(e.alias_term)];
  V v;
  if (e.text == "first" || e.text == "last" || e.text == "prev") {
    if (evs.empty()) return v;
    return Lookup(e.text == "first" ? evs.front() : evs.back(), e.path);
  }
  if (e.text == "count") {
    v.k = V::kNum;
    v.n = double(evs.size());
    return v;
  }
  std::vector<std::string> path(arg.path.begin() + 1, arg.path.end());
  if (e.text == "distinct") {
    std::set<std::string> seen;
    for (auto ev : evs) {
      V x = Lookup(ev, path);
      if (x.k == V::kMissing) continue;
      std::string t = std::to_string(int(x.k)) + ":";
      AppendV(t, x);
      seen.insert(t);
    }
    v.k = V::kNum;
    v.n = double(seen.size());
    return v;
  }
  std::vector<double> nums;
  for (auto ev : evs) {
    V x = Lookup(ev, path);
    if (x.k == V::kNum) nums.push_back(x.n);
  }
  if (e.text == "sum") {
    v.k = V::kNum;
    for (double d : nums) v.n += d;
    return v;
  }
  if (nums.empty()) return v;
  v.k = V::kNum;
  if (e.text == "avg") {
    for (double d : nums) v.n += d;
    v.n /= double(nums.size());
  } else if (e.text == "min") {
    v.n = nums[0];
    for (double d : nums) v.n = std::min(v.n, d);
  } else {
    v.n = nums[0];
    for (double d : nums) v.n = std::max(v.n, d);
  }
  return v;
}

void AppendV(std::string& o, const V& v) {
  switch (v.k) {
    case V::kMissing:
    case V::kNull:
      o += "null";
      break;
    case V::kBool:
      o += v.b ? "true" : "false";
      break;
    case V::kNum:
      AppendJsonNumber(o, v.n);
      break;
    case V::kStr:
      AppendJsonString(o, v.s);
      break;
    default:
      o += v.s;
  }
}

// ---- tables ----

bool RefTables::Holds(size_t table, const ql::Filter& f, simdjson::dom::element root) const {
  V type = strix::test::Lookup(root, std::vector<std::string>{"type"});
  if (!f.any && (type.k != V::kStr || type.s != f.type)) return false;
  if (f.where == ql::kNoExpr) return true;
  Eval ev{rules_.asts[rules_.tables[table].file], root, nullptr, this};
  return ev.Truth(f.where);
}

void RefTables::Apply(simdjson::dom::element root, const std::string& line) {
  for (size_t t = 0; t < rules_.tables.size(); ++t) {
    const ql::Table& tb = rules_.table(t);
    auto key_of = [&](const std::vector<std::string>& path, std::string& out) {
      V k = strix::test::Lookup(root, path);
      if (k.k == V::kMissing || k.k == V::kNull) return false;
      out.clear();
      AppendV(out, k);
      return true;
    };
    std::string key;
    if (tb.has_delete && Holds(t, tb.del, root)) {
      if (key_of(tb.del.has_keys ? tb.del.keys[0].path : tb.key.path, key))
        rows_[tb.name].erase(key);
    } else if (Holds(t, tb.from, root)) {
      if (key_of(tb.key.path, key)) rows_[tb.name][key] = line;
    }
  }
}

V RefTables::Lookup(const std::string& name, const V& key,
                    std::span<const std::string> path) const {
  if (key.k == V::kMissing || key.k == V::kNull) return V();
  std::string text;
  AppendV(text, key);
  auto t = rows_.find(name);
  if (t == rows_.end()) return V();
  auto r = t->second.find(text);
  if (r == t->second.end()) return V();
  const ql::Table* tb = nullptr;
  for (size_t i = 0; i < rules_.tables.size(); ++i) {
    if (rules_.table(i).name == name) tb = &rules_.table(i);
  }
  std::vector<std::string> full = tb->row;
  full.insert(full.end(), path.begin(), path.end());
  if (full.empty()) {  // the whole changelog event, as it came in
    V v;
    v.k = V::kObj;
    v.s = r->second;
    return v;
  }
  simdjson::dom::element row;
  if (parser_.parse(r->second).get(row)) return V();
  return strix::test::Lookup(row, full);
}

}  // namespace strix::test
