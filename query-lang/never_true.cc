// Conditions that can never be true (see never_true.h).
#include "query-lang/never_true.h"

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <boost/icl/continuous_interval.hpp>
#include <limits>
#include <map>

namespace strix::ql {
namespace {

using Interval = boost::icl::continuous_interval<double>;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Sorted, without duplicates; most hold one string (a type, an equality): no allocation.
using StringSet = boost::container::small_vector<std::string, 2>;
using Exprs = boost::container::small_vector<ExprId, 16>;  // a conjunction's parts

// What a conjunction says about one field.
struct FieldTests {
  std::optional<Interval> numbers;   // it is a number in this range
  std::optional<StringSet> strings;  // it is one of these strings
};

// Per field key: what the conjunction so far says of it. A conjunction tests a few fields:
// they are kept in a short list searched in a row, and in an ordered map past kShort.
class Tests {
 public:
  FieldTests& operator[](const std::string& key) {
    if (big_.empty()) {
      for (auto& [k, t] : short_) {
        if (k == key) return t;
      }
      if (short_.size() < kShort) {
        return short_.emplace_back(key, FieldTests{}).second;
      }
      for (auto& [k, t] : short_) big_.emplace(std::move(k), std::move(t));
      short_.clear();
    }
    return big_[key];
  }
  // The least key (in byte order) whose tests `bad` says contradict; nullptr when none.
  template <typename Bad>
  const std::string* FirstBad(Bad bad) const {
    const std::string* first = nullptr;
    for (const auto& [k, t] : short_) {
      if (bad(t) && (!first || k < *first)) first = &k;
    }
    for (const auto& [k, t] : big_) {
      if (bad(t)) return &k;  // ordered: the first is the least
    }
    return first;
  }

 private:
  static constexpr size_t kShort = 16;
  boost::container::small_vector<std::pair<std::string, FieldTests>, 8> short_;
  std::map<std::string, FieldTests, std::less<>> big_;  // used instead of short_ when full
};

// A field's key in Tests: its segments, each ended by '\x1f'.
void MakeKey(std::string& key, std::span<const std::string> path) {
  key.clear();
  for (const std::string& seg : path) {
    key += seg;
    key += '\x1f';
  }
}

class Analysis {
 public:
  explicit Analysis(const Ast& ast) : a_(ast) {}

  // The field's key (MakeKey) into `key` when `id` is a plain field path (no alias, no
  // function); false otherwise.
  bool FieldKey(ExprId id, std::string& key) const {
    const Expr& e = a_.exprs[id];
    if (e.kind != ExprKind::kPath || e.alias_term >= 0 || e.path.empty()) return false;
    MakeKey(key, e.path);
    return true;
  }

  // Adds the constraint of a comparison or membership test to `tests`; false if it is none.
  // `key` is scratch space for the field's key.
  bool Constrain(ExprId id, Tests& tests, std::string& key) const {
    const Expr& e = a_.exprs[id];
    if (e.kind == ExprKind::kCompare && e.op != Op::kNe) {
      ExprId field = e.kids[0], value = e.kids[1];
      Op op = e.op;
      if (!FieldKey(field, key)) {  // constant on the left: mirror the comparison
        std::swap(field, value);
        op = op == Op::kLt   ? Op::kGt
             : op == Op::kGt ? Op::kLt
             : op == Op::kLe ? Op::kGe
             : op == Op::kGe ? Op::kLe
                             : op;
        if (!FieldKey(field, key)) return false;
      }
      const Expr& v = a_.exprs[value];
      if (v.kind != ExprKind::kLiteral) return false;
      if (v.lit == LiteralKind::kNumber) {
        double c = v.number;
        Interval iv = op == Op::kEq   ? Interval::closed(c, c)
                      : op == Op::kLt ? Interval::open(-kInf, c)
                      : op == Op::kLe ? Interval::left_open(-kInf, c)
                      : op == Op::kGt ? Interval::open(c, kInf)
                                      : Interval::right_open(c, kInf);
        Number(tests[key], iv);
        return true;
      }
      if (v.lit == LiteralKind::kString && op == Op::kEq) {
        Strings(tests[key], StringSet{std::string(v.text)});
        return true;
      }
      return false;
    }
    if (e.kind == ExprKind::kIn && !e.negated) {
      if (!FieldKey(e.kids[0], key)) return false;
      const Expr& rhs = a_.exprs[e.kids[1]];
      if (rhs.kind == ExprKind::kRange) {
        const Expr& lo = a_.exprs[rhs.kids[0]];
        const Expr& hi = a_.exprs[rhs.kids[1]];
        if (lo.lit != LiteralKind::kNumber || hi.lit != LiteralKind::kNumber) return false;
        Number(tests[key], lo.number <= hi.number ? Interval::closed(lo.number, hi.number)
                                                  : Interval::open(0, 0));
        return true;
      }
      if (rhs.kind == ExprKind::kList) {
        StringSet allowed;
        for (ExprId k : rhs.kids) {
          const Expr& x = a_.exprs[k];
          if (x.kind != ExprKind::kLiteral || x.lit != LiteralKind::kString) return false;
          allowed.emplace_back(x.text);
        }
        std::sort(allowed.begin(), allowed.end());
        allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
        Strings(tests[key], std::move(allowed));
        return true;
      }
    }
    return false;
  }

  static void Number(FieldTests& t, const Interval& iv) {
    t.numbers = t.numbers ? (*t.numbers & iv) : iv;
  }
  static void Strings(FieldTests& t, StringSet&& allowed) {  // `allowed` sorted, unique
    if (!t.strings) {
      t.strings = std::move(allowed);
      return;
    }
    StringSet both;
    std::set_intersection(t.strings->begin(), t.strings->end(), allowed.begin(), allowed.end(),
                          std::back_inserter(both));
    t.strings = std::move(both);
  }

  // Never true: the contradicting field's name ("" for other reasons), else nullopt.
  std::optional<std::string> Never(ExprId id, Tests tests, int depth) const {
    if (depth > 200) return std::nullopt;  // deep trees: no verdict rather than deep recursion
    Exprs conj;
    if (id != kNoExpr) Flatten(id, conj);
    Exprs rest;
    std::string key;
    for (ExprId k : conj) {
      if (!Constrain(k, tests, key)) rest.push_back(k);
    }
    const std::string* bad = tests.FirstBad([](const FieldTests& t) {
      bool empty_numbers = t.numbers && boost::icl::is_empty(*t.numbers);
      bool empty_strings = t.strings && t.strings->empty();
      bool both = t.numbers && t.strings;  // a string and a number at once
      return empty_numbers || empty_strings || both;
    });
    if (bad) {
      std::string name = *bad;
      for (char& c : name)
        if (c == '\x1f') c = '.';
      name.pop_back();
      return name;
    }
    for (ExprId k : rest) {
      const Expr& e = a_.exprs[k];
      if (e.kind == ExprKind::kLiteral && e.lit == LiteralKind::kBool && !e.boolean) return "";
      if (e.kind == ExprKind::kOr) {
        // Never, when every alternative is never (each with the facts gathered so far).
        std::optional<std::string> why = "";
        for (ExprId alt : e.kids) {
          auto n = Never(alt, tests, depth + 1);
          if (!n) {
            why = std::nullopt;
            break;
          }
          if (why->empty()) why = n;
        }
        if (why) return why;
      }
    }
    return std::nullopt;
  }

 private:
  void Flatten(ExprId id, Exprs& out) const {
    Exprs stack{id};
    while (!stack.empty()) {
      ExprId k = stack.back();
      stack.pop_back();
      const Expr& e = a_.exprs[k];
      if (e.kind == ExprKind::kAnd) {
        for (auto it = e.kids.rbegin(); it != e.kids.rend(); ++it) stack.push_back(*it);
      } else {
        out.push_back(k);
      }
    }
  }

  const Ast& a_;
};

}  // namespace

std::optional<std::string> NeverTrue(const Ast& ast, ExprId where,
                                     const std::optional<std::string>& event_type,
                                     const std::vector<std::string>& type_field) {
  Tests tests;
  if (event_type) {
    std::string key;
    MakeKey(key, type_field);
    tests[key].strings = StringSet{*event_type};
  }
  return Analysis(ast).Never(where, std::move(tests), 0);
}

}  // namespace strix::ql
