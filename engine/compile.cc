// The compiler (see compile.h): expressions to CNodes, fields to slots, rules to index entries.
// Recursion over expressions is bounded by the checker's kMaxExprDepth.
#include "engine/compile.h"

#include <algorithm>
#include <atomic>
#include <boost/container/small_vector.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <unordered_map>

#include "common/hash.h"
#include "common/json_text.h"
#include "engine/key_inference.h"
#include "index/literal_matcher.h"
#include "query-lang/dump.h"

namespace strix::engine {

std::vector<std::string> SplitPath(std::string_view dotted) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    out.emplace_back(
        dotted.substr(start, dot == std::string_view::npos ? dotted.npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

namespace {

using ql::Expr;
using ql::ExprKind;
using ql::Op;

class Compiler {
 public:
  Compiler(Program& p, const ql::Ast& ast, std::unordered_map<std::string, uint32_t>& slot_of)
      : p_(p), ast_(ast), slot_of_(slot_of) {}

  uint32_t Slot(const FieldSpec& f) {
    auto it = slot_of_.find(Key(f));
    if (it != slot_of_.end()) return it->second;
    uint32_t s = static_cast<uint32_t>(p_.fields.size());
    p_.fields.push_back(f);
    slot_of_.emplace(Key(f), s);
    return s;
  }

  NodeId Add(CNode n, std::initializer_list<NodeId> kids = {}) {
    return Add(n, std::span<const NodeId>(kids.begin(), kids.size()));
  }
  NodeId Add(CNode n, std::span<const NodeId> kids) {
    n.kid = static_cast<uint32_t>(p_.kids.size());
    n.nkids = static_cast<uint32_t>(kids.size());
    p_.kids.insert(p_.kids.end(), kids.begin(), kids.end());
    p_.nodes.push_back(n);
    return static_cast<NodeId>(p_.nodes.size() - 1);
  }

  Value Const(const Expr& e) {
    switch (e.lit) {
      case ql::LiteralKind::kNull:
        return Value::Null();
      case ql::LiteralKind::kBool:
        return Value::Bool(e.boolean);
      case ql::LiteralKind::kNumber:
        return Value::Number(e.number);
      case ql::LiteralKind::kString:
        return Value::String(p_.Keep(e.text));
    }
    return Value();
  }

  // Compiles an expression; remembers which expression each node came from (explain).
  NodeId Compile(ql::ExprId id) {
    NodeId n = CompileExpr(id);
    if (p_.node_expr.size() <= n) p_.node_expr.resize(n + 1, ql::kNoExpr);
    p_.node_expr[n] = id;
    return n;
  }

 private:
  NodeId CompileExpr(ql::ExprId id) {
    const Expr& e = ast_.exprs[id];
    CNode n;
    switch (e.kind) {
      case ExprKind::kLiteral:
        n.kind = CKind::kConst;
        n.ref = static_cast<uint32_t>(p_.constants.size());
        p_.constants.push_back(Const(e));
        return Add(n);
      case ExprKind::kPath:
        return AddField(e, Transform::kNone);
      case ExprKind::kCall: {
        const Expr& arg = ast_.exprs[e.kids[0]];
        if ((e.text == "lower" || e.text == "upper") && arg.kind == ExprKind::kPath) {
          // served like a field, by the decoder
          return AddField(arg, e.text == "lower" ? Transform::kLower : Transform::kUpper);
        }
        if (e.alias_term >= 0) return CompileAliasCall(e);
        n.kind = e.text == "lower"   ? CKind::kLower
                 : e.text == "upper" ? CKind::kUpper
                 : e.text == "len"   ? CKind::kLen
                                     : CKind::kAbs;
        return Add(n, {Compile(e.kids[0])});
      }
      case ExprKind::kNeg:
        n.kind = CKind::kNeg;
        return Add(n, {Compile(e.kids[0])});
      case ExprKind::kArith:
      case ExprKind::kCompare:
      case ExprKind::kStrTest:
        n.kind = e.kind == ExprKind::kArith     ? CKind::kArith
                 : e.kind == ExprKind::kCompare ? CKind::kCompare
                                                : CKind::kStrTest;
        n.op = e.op;
        return AddTest(n, {Compile(e.kids[0]), Compile(e.kids[1])});
      case ExprKind::kIn: {
        n.negated = e.negated;
        const Expr& rhs = ast_.exprs[e.kids[1]];
        if (rhs.kind == ExprKind::kRange) {
          n.kind = CKind::kInRange;
          n.ref = static_cast<uint32_t>(p_.ranges.size());
          p_.ranges.push_back(
              ConstRange{Const(ast_.exprs[rhs.kids[0]]), Const(ast_.exprs[rhs.kids[1]])});
        } else {
          n.kind = CKind::kInSet;
          n.ref = static_cast<uint32_t>(p_.sets.size());
          ConstSet set;
          for (ql::ExprId k : rhs.kids) {
            Value v = Const(ast_.exprs[k]);
            if (v.is_number()) set.numbers.push_back(v.number);
            if (v.is_string()) set.strings.push_back(v.text);
            if (v.kind == ValueKind::kBool) (v.boolean ? set.has_true : set.has_false) = true;
          }
          std::sort(set.numbers.begin(), set.numbers.end());
          set.numbers.erase(std::unique(set.numbers.begin(), set.numbers.end()), set.numbers.end());
          std::sort(set.strings.begin(), set.strings.end());
          set.strings.erase(std::unique(set.strings.begin(), set.strings.end()), set.strings.end());
          p_.sets.push_back(std::move(set));
        }
        return AddTest(n, {Compile(e.kids[0])});
      }
      case ExprKind::kMatch: {
        n.kind = CKind::kMatch;
        n.negated = e.negated;
        std::string pattern = ql::Re2Pattern(e);
        RE2::Options opts;
        opts.set_log_errors(false);
        n.ref = static_cast<uint32_t>(p_.regexes.size());
        p_.regexes.push_back(std::make_unique<RE2>(pattern, opts));
        return AddTest(n, {Compile(e.kids[0])});
      }
      case ExprKind::kExists: {
        const Expr& arg = ast_.exprs[e.kids[0]];
        n.kind = arg.alias_term >= 0 ? CKind::kAliasExists : CKind::kExists;
        n.ref = Slot(FieldSpec{FieldPath(arg), Transform::kNone});
        n.aux = arg.alias_term >= 0 ? static_cast<uint32_t>(arg.alias_term) : 0;
        return Add(n);
      }
      case ExprKind::kStrSet: {
        // One test per literal under an or (any) or an and (all): the access planner enters
        // each literal in the index, and an or of exact entries needs no residual.
        std::vector<NodeId> tests = SetTests(e);
        if (tests.size() == 1) return tests[0];
        n.kind = e.set_all ? CKind::kAnd : CKind::kOr;
        return Add(n, std::span<const NodeId>(tests));
      }
      case ExprKind::kLike:
        n.kind = CKind::kLike;
        n.ref = static_cast<uint32_t>(p_.globs.size());
        p_.globs.push_back(p_.Keep(ast_.exprs[e.kids[1]].text));
        return AddTest(n, {Compile(e.kids[0])});
      case ExprKind::kInCidr: {
        n.kind = CKind::kInCidr;
        n.negated = e.negated;
        n.ref = static_cast<uint32_t>(p_.cidrs.size());
        p_.cidrs.push_back(MakeCidrSet(ast_.exprs[e.kids[1]]));
        return AddTest(n, {Compile(e.kids[0])});
      }
      case ExprKind::kLookup: {
        n.kind = CKind::kLookup;
        for (uint32_t t = 0; t < p_.tables.size(); ++t) {
          if (p_.tables[t].name == e.text) n.ref = t;  // the checker saw that it exists
        }
        TableSpec& spec = p_.tables[n.ref];
        auto it = std::find_if(spec.members.begin(), spec.members.end(),
                               [&](const auto& m) { return std::ranges::equal(m, e.path); });
        n.aux = static_cast<uint32_t>(it - spec.members.begin());
        if (it == spec.members.end()) {
          std::vector<std::string> full = spec.row;
          full.insert(full.end(), e.path.begin(), e.path.end());
          spec.members.emplace_back(e.path.begin(), e.path.end());
          spec.member_slots.push_back(full.empty() ? kWholeEvent : Slot(FieldSpec{full}));
        }
        return Add(n, {Compile(e.kids[0])});
      }
      case ExprKind::kIsNull:
        n.kind = CKind::kIsNull;
        n.negated = e.negated;
        return AddTest(n, {Compile(e.kids[0])});
      case ExprKind::kNot:
        n.kind = CKind::kNot;
        return Add(n, {Compile(e.kids[0])});
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        n.kind = e.kind == ExprKind::kAnd ? CKind::kAnd : CKind::kOr;
        // Flatten nested nodes of the same kind: (a and b) and c -> and(a, b, c).
        boost::container::small_vector<NodeId, 8> kids;
        boost::container::small_vector<ql::ExprId, 8> stack(e.kids.rbegin(), e.kids.rend());
        while (!stack.empty()) {
          ql::ExprId k = stack.back();
          stack.pop_back();
          const Expr& ke = ast_.exprs[k];
          if (ke.kind == e.kind) {
            stack.insert(stack.end(), ke.kids.rbegin(), ke.kids.rend());
          } else if (ke.kind == ExprKind::kStrSet && ke.set_all == (e.kind == ExprKind::kAnd)) {
            // `contains all` under an and (`any` under an or): its tests join the conjunction,
            // so that the planner can count them with the others.
            for (NodeId t : SetTests(ke)) kids.push_back(t);
          } else {
            kids.push_back(Compile(k));
          }
        }
        return Add(n, std::span<const NodeId>(kids.data(), kids.size()));
      }
      case ExprKind::kList:
      case ExprKind::kRange:
        break;  // only under `in`, handled there
    }
    n.kind = CKind::kConst;
    return Add(n);
  }

 private:
  // The tests of a string set, one per literal (the checker saw to it that there is one).
  std::vector<NodeId> SetTests(const Expr& e) {
    NodeId subject = Compile(e.kids[0]);
    std::vector<NodeId> tests;
    for (ql::ExprId k : ast_.exprs[e.kids[1]].kids) {
      CNode t;
      t.kind = CKind::kStrTest;
      t.op = e.op;
      tests.push_back(AddTest(t, {subject, Compile(k)}));
    }
    return tests;
  }

  // The networks of a checked `in cidr` list, merged per family.
  CidrSet MakeCidrSet(const Expr& list) const {
    CidrSet set;
    for (ql::ExprId k : list.kids) {
      auto net = ParseIpNetwork(ast_.exprs[k].text);
      if (net) (net->v6 ? set.v6 : set.v4).emplace_back(net->lo, net->hi);
    }
    for (auto* ranges : {&set.v4, &set.v6}) {
      std::sort(ranges->begin(), ranges->end());
      std::vector<std::pair<Uint128, Uint128>> merged;
      for (const auto& r : *ranges) {
        if (!merged.empty() &&
            (merged.back().second >= r.first || merged.back().second + 1 == r.first)) {
          merged.back().second = std::max(merged.back().second, r.second);
        } else {
          merged.push_back(r);
        }
      }
      *ranges = std::move(merged);
    }
    return set;
  }

  // The field path an expression reads: an alias path loses its alias segment.
  static std::vector<std::string> FieldPath(const Expr& e) {
    return std::vector<std::string>(e.path.begin() + (e.alias_term < 0 ? 0 : 1), e.path.end());
  }

  // Slot(FieldSpec{FieldPath(e), t}) without building the spec for a field seen before (a
  // rule set tests the same few fields over and over).
  uint32_t FieldSlot(const Expr& e, Transform t) {
    // FieldPath(e): an alias path without its alias segment.
    MakeKey(key_, t, e.path.data() + (e.alias_term < 0 ? 0 : 1), e.path.data() + e.path.size());
    auto it = slot_of_.find(key_);
    if (it != slot_of_.end()) return it->second;
    return Slot(FieldSpec{FieldPath(e), t});
  }

  NodeId AddField(const Expr& e, Transform t) {
    CNode n;
    n.kind = e.alias_term >= 0 ? CKind::kAliasSlot : CKind::kSlot;
    n.ref = FieldSlot(e, t);
    n.aux = e.alias_term >= 0 ? static_cast<uint32_t>(e.alias_term) : 0;
    return Add(n);
  }

  bool HasPrev(NodeId id) const {
    const CNode& n = p_.nodes[id];
    if (n.kind == CKind::kPrevSlot) return true;
    for (uint32_t i = 0; i < n.nkids; ++i) {
      if (HasPrev(p_.Kid(n, i))) return true;
    }
    return false;
  }

  // A test node; marked when an operand reads prev() (true on the first repetition).
  NodeId AddTest(CNode n, std::initializer_list<NodeId> kids) {
    for (NodeId k : kids) n.uses_prev = n.uses_prev || HasPrev(k);
    return Add(n, kids);
  }

  // first(f).x, last(f).x, prev(f).x and the aggregates, over term `alias_term`.
  NodeId CompileAliasCall(const Expr& e) {
    const Expr& arg = ast_.exprs[e.kids[0]];
    CNode n;
    n.aux = static_cast<uint32_t>(e.alias_term);
    if (e.text == "first" || e.text == "last" || e.text == "prev") {
      n.kind = e.text == "first"  ? CKind::kFirstSlot
               : e.text == "last" ? CKind::kLastSlot
                                  : CKind::kPrevSlot;
      n.ref = Slot(FieldSpec{{e.path.begin(), e.path.end()}, Transform::kNone});
      return Add(n);
    }
    n.kind = CKind::kAggregate;
    static const std::map<std::string, AggFn> kFns = {
        {"count", AggFn::kCount}, {"sum", AggFn::kSum}, {"avg", AggFn::kAvg},
        {"min", AggFn::kMin},     {"max", AggFn::kMax}, {"distinct", AggFn::kDistinct}};
    n.fn = kFns.at(std::string(e.text));
    if (n.fn == AggFn::kCount) {
      n.ref = n.aux;  // count() reads the term's bound events
      return Add(n);
    }
    AggInput in;
    in.term = n.aux;
    in.slot = Slot(FieldSpec{FieldPath(arg), Transform::kNone});
    n.ref = AggregateInput(in, n.fn == AggFn::kDistinct);
    return Add(n);
  }

  uint32_t AggregateInput(const AggInput& in, bool distinct) {
    std::vector<AggInput>& all = automaton_->aggregates;
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].term == in.term && all[i].slot == in.slot) {
        all[i].distinct = all[i].distinct || distinct;
        return static_cast<uint32_t>(i);
      }
    }
    all.push_back(in);
    all.back().distinct = distinct;
    return static_cast<uint32_t>(all.size() - 1);
  }

 public:
  Automaton* automaton_ = nullptr;  // the sequence being compiled, for aggregates

  // Whether the expression reads the partial match (bound events, aggregates, prev()).
  // Iterative: conditions can be deep.
  bool ReadsMatch(NodeId root) const {
    std::vector<NodeId> todo{root};
    while (!todo.empty()) {
      const CNode& n = p_.nodes[todo.back()];
      todo.pop_back();
      if (n.kind >= CKind::kAliasSlot || n.uses_prev) return true;
      for (uint32_t i = 0; i < n.nkids; ++i) todo.push_back(p_.Kid(n, i));
    }
    return false;
  }

 private:
  // A field's key in slot_of_: the transform, then each path segment after a NUL.
  static void MakeKey(std::string& k, Transform t, const std::string* seg, const std::string* end) {
    k.assign(1, static_cast<char>('0' + static_cast<int>(t)));
    for (; seg != end; ++seg) {
      k += '\0';
      k += *seg;
    }
  }
  static std::string Key(const FieldSpec& f) {
    std::string k;
    MakeKey(k, f.transform, f.path.data(), f.path.data() + f.path.size());
    return k;
  }

  Program& p_;
  const ql::Ast& ast_;
  std::unordered_map<std::string, uint32_t>& slot_of_;
  std::string key_;  // FieldSlot's scratch key
};

// The slots read back from stored events (Program::stored_slots): every node that reads a
// bound event (whichever rule it belongs to), every aggregate input and key of the automata.
std::vector<uint32_t> StoredSlots(const Program& p) {
  std::vector<uint32_t> out = {kIdSlot};
  if (p.automata.empty()) return out;
  for (const CNode& n : p.nodes) {
    if (n.kind == CKind::kAliasSlot || n.kind == CKind::kFirstSlot || n.kind == CKind::kLastSlot ||
        n.kind == CKind::kPrevSlot) {
      out.push_back(n.ref);
    }
  }
  for (const Automaton& a : p.automata) {
    for (const auto& keys : a.keysets) out.insert(out.end(), keys.begin(), keys.end());
    for (const AggInput& in : a.aggregates) out.push_back(in.slot);
    out.insert(out.end(), a.inferred_key.begin(), a.inferred_key.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

using index::Atom;
using index::AtomKind;

Result<std::unique_ptr<Program>> Compile(const ql::CheckedRules& rules,
                                         const CompileOptions& opts) {
  if (!rules.ok()) return Status::Error("the rules have errors");
  auto prog = std::make_unique<Program>();
  static std::atomic<uint64_t> next_serial{1};
  prog->serial = next_serial++;
  Program& p = *prog;
  // Room for the large arrays at once, from the expressions' count (a node per expression
  // at most, beside a few per rule; a range takes three expressions or more): growing them
  // by doubling would write each twice, and with 100k rules the pages first written are
  // much of the compile time. Room reserved and never written costs address space only.
  {
    size_t exprs = 0;
    for (const ql::Ast& a : rules.asts) exprs += a.exprs.size();
    const size_t nodes = exprs + 4 * rules.rules.size() + 16;
    p.nodes.reserve(nodes);
    p.node_expr.reserve(nodes);
    p.kids.reserve(nodes);
    p.ranges.reserve(exprs / 3 + 1);
    p.rules.reserve(rules.rules.size());
  }
  std::unordered_map<std::string, uint32_t> slots;
  {
    static const ql::Ast kEmpty;
    Compiler c(p, kEmpty, slots);
    c.Slot(FieldSpec{opts.type_field, Transform::kNone});
    c.Slot(FieldSpec{opts.time_field, Transform::kNone});
    c.Slot(FieldSpec{opts.id_field, Transform::kNone});
  }
  if (p.fields.size() != 3)
    return Status::Error("--type-field, --time-field and --id-field must differ");
  {
    static const ql::Ast kEmpty;
    Compiler c(p, kEmpty, slots);
    for (const FieldSpec& f : opts.seed_fields) c.Slot(f);
  }
  // Tables before rules (their lookups name them), names before filters (a filter may look
  // another table up).
  for (size_t i = 0; i < rules.tables.size(); ++i) {
    TableSpec spec;
    spec.name = rules.table(i).name;
    spec.row = rules.table(i).row;
    p.tables.push_back(std::move(spec));
  }
  for (size_t i = 0; i < rules.tables.size(); ++i) {
    const ql::Table& t = rules.table(i);
    Compiler c(p, rules.asts[rules.tables[i].file], slots);
    auto filter = [&](const ql::Filter& f, const std::vector<std::string>& key) {
      TableFilter tf;
      tf.any_type = f.any;
      tf.type = f.type;
      tf.where = f.where != ql::kNoExpr ? c.Compile(f.where) : kNoNode;
      tf.key_slot = c.Slot(FieldSpec{key});
      return tf;
    };
    p.tables[i].from = filter(t.from, t.key.path);
    if (t.has_delete) {
      p.tables[i].has_delete = true;
      p.tables[i].del = filter(t.del, t.del.has_keys ? t.del.keys[0].path : t.key.path);
    }
  }
  index::ConditionIndexBuilder builder, starts;
  // Index entries are chosen after every rule is compiled, so that equalities can be weighed
  // by how many rules share their value (see AtomCost).
  struct Entry {
    index::ConditionIndexBuilder* builder;
    uint32_t bucket;
    NodeId cond;
    size_t rule;
  };
  std::vector<Entry> entries;
  auto enter = [&](index::ConditionIndexBuilder& b, uint32_t bucket, NodeId cond, size_t rule) {
    entries.push_back(Entry{&b, bucket, cond, rule});
  };
  std::string dump;  // a rule's text, for its identity
  for (size_t i = 0; i < rules.rules.size(); ++i) {
    const ql::Rule& r = rules.rule(i);
    const ql::Ast& ast = rules.ast_of(i);
    Compiler c(p, ast, slots);
    CompiledRule cr;
    cr.name = r.name;
    ql::DumpRuleTo(ast, r, dump);
    cr.identity = HashBytes(dump);
    cr.suppress_ms = r.suppress_ms;
    if (r.is_sequence) {
      cr.sequence = true;
      cr.automaton = static_cast<int32_t>(p.automata.size());
      p.automata.emplace_back();
      Automaton& a = p.automata.back();
      c.automaton_ = &a;
      const ql::Sequence& q = r.sequence;
      a.policy = q.policy == ql::Policy::kStrict  ? SeqPolicy::kStrict
                 : q.policy == ql::Policy::kEvery ? SeqPolicy::kEvery
                                                  : SeqPolicy::kNext;
      a.within_ms = q.within_ms;
      auto keyset = [&](const std::vector<ql::KeyPath>& keys) {
        std::vector<uint32_t> slots_of;
        for (const ql::KeyPath& k : keys) slots_of.push_back(c.Slot(FieldSpec{k.path}));
        for (size_t k = 0; k < a.keysets.size(); ++k) {
          if (a.keysets[k] == slots_of) return static_cast<uint32_t>(k);
        }
        a.keysets.push_back(std::move(slots_of));
        return static_cast<uint32_t>(a.keysets.size() - 1);
      };
      auto filter = [&](const ql::Filter& f) {
        SeqFilter sf;
        sf.any_type = f.any;
        sf.type = f.type;
        sf.keyset = keyset(f.has_keys ? f.keys : q.keys);
        sf.condition = f.where != ql::kNoExpr ? c.Compile(f.where) : kNoNode;
        sf.match_free = sf.condition == kNoNode || !c.ReadsMatch(sf.condition);
        if (f.any) a.any_type = true;
        if (!f.any && std::find(a.types.begin(), a.types.end(), f.type) == a.types.end()) {
          a.types.push_back(f.type);
        }
        return sf;
      };
      // Keyset 0 is the partition key: the first term's own `by`, else the header's.
      if (!q.terms.empty()) keyset(q.terms[0].filter.has_keys ? q.terms[0].filter.keys : q.keys);
      for (size_t t = 0; t < q.terms.size(); ++t) {
        const ql::Term& term = q.terms[t];
        SeqTerm st;
        st.negated = term.negated;
        const ql::Quantifier& qt = term.filter.quant;
        st.list = qt.written;  // {1} and {1,1} too: LANGUAGE.md 3.2
        st.min = qt.min;
        st.max = qt.max ? *qt.max : kUnbounded;
        st.filter = filter(term.filter);
        st.group = term.group;
        st.branch = static_cast<uint16_t>(term.branch);
        if (!term.negated) a.last_positive = static_cast<uint32_t>(t);
        a.terms.push_back(std::move(st));
        cr.aliases.push_back(term.alias);
      }
      for (const ql::Group& g : q.groups) {
        a.groups.push_back(SeqGroup{g.first, g.end, g.starts});
      }
      const SeqGroup* last_group = a.terms.empty() ? nullptr : a.GroupOf(a.last_positive);
      a.last_step = last_group ? last_group->first : a.last_positive;
      a.trailing_not = !a.terms.empty() && a.terms.back().negated;
      for (size_t k = 1; k < a.keysets.size(); ++k) {
        a.unkeyed_terms = a.unkeyed_terms || (a.keyed() && a.keysets[k].empty());
      }
      if (q.until) a.until = filter(*q.until);
      if (auto path = InferSequenceKey(ast, q)) {
        a.inferred_key.push_back(c.Slot(FieldSpec{*path}));
        const std::vector<std::vector<ql::ExprId>> rest = ConjunctsBesideKey(ast, q, *path);
        for (size_t t = 1; t < a.terms.size(); ++t) {
          SeqFilter& sf = a.terms[t].filter;
          sf.keyed = true;
          for (ql::ExprId x : rest[t]) {
            sf.keyed_rest.push_back(c.Compile(x));
            sf.keyed_match_free = sf.keyed_match_free && !c.ReadsMatch(sf.keyed_rest.back());
          }
        }
      }
      if (a.policy == SeqPolicy::kStrict) a.any_type = true;  // every event of the key counts
      a.having = r.having != ql::kNoExpr ? c.Compile(r.having) : kNoNode;
      cr.has_keys = a.keyed();
      for (const ql::EmitField& f : r.emit) {
        cr.emit_names.push_back(f.name);
        cr.emit_values.push_back(c.Compile(f.value));
      }
      // The first term's events reach the rule through the index, like a standing search.
      // A leading all(...) starts with the first term of any branch: each enters its type
      // unconditionally (one rule cannot hold several plans), the automaton tests the rest.
      if (const SeqGroup* g = a.GroupOf(0)) {
        for (uint32_t t : g->starts) {
          const SeqFilter& f = a.terms[t].filter;
          enter(starts, f.any_type ? starts.AnyBucket() : starts.Bucket(f.type), kNoNode, i);
        }
      } else {
        const SeqFilter& first = a.terms[0].filter;
        enter(starts, first.any_type ? starts.AnyBucket() : starts.Bucket(first.type),
              first.condition, i);
      }
      p.rules.push_back(std::move(cr));
      continue;
    }
    cr.any_type = r.filter.any;
    cr.type = r.filter.type;
    cr.has_keys = r.filter.has_keys;
    for (const ql::KeyPath& k : r.filter.keys) cr.key_slots.push_back(c.Slot(FieldSpec{k.path}));
    NodeId where = r.filter.where != ql::kNoExpr ? c.Compile(r.filter.where) : kNoNode;
    NodeId having = r.having != ql::kNoExpr ? c.Compile(r.having) : kNoNode;
    if (where != kNoNode && having != kNoNode) {
      CNode both;
      both.kind = CKind::kAnd;
      cr.condition = c.Add(both, {where, having});
    } else {
      cr.condition = where != kNoNode ? where : having;
    }
    for (const ql::EmitField& f : r.emit) {
      cr.emit_names.push_back(f.name);
      cr.emit_values.push_back(c.Compile(f.value));
    }
    enter(builder, cr.any_type ? builder.AnyBucket() : builder.Bucket(cr.type), cr.condition, i);
    p.rules.push_back(std::move(cr));
  }
  // Pass 1: how many rules hold each equality (as a conjunct at any depth).
  std::set<std::string> seen;
  std::vector<NodeId> stack;
  for (const Entry& e : entries) {
    if (e.cond == kNoNode) continue;
    seen.clear();
    stack.assign(1, e.cond);
    while (!stack.empty()) {
      NodeId id = stack.back();
      stack.pop_back();
      const CNode& n = p.nodes[id];
      if (n.kind == CKind::kAnd || n.kind == CKind::kOr) {
        for (uint32_t i = 0; i < n.nkids; ++i) stack.push_back(p.Kid(n, i));
      } else if (n.kind == CKind::kCompare || n.kind == CKind::kInSet) {
        auto atoms = AccessPredicates(p, id);
        if (atoms) {
          for (const Atom& a : *atoms) {
            if (a.kind == AtomKind::kEq) seen.insert(EqKey(a));
          }
        }
      }
    }
    for (const std::string& k : seen) ++p.eq_frequency[k];
  }
  // Pass 2: the entries, and what a single-event rule still tests once offered.
  p.checks.reserve(p.rules.size());
  for (const CompiledRule& cr : p.rules) {
    const bool keyed = !cr.key_slots.empty();
    const bool plain = !cr.sequence && !keyed && !cr.suppress_ms && cr.emit_values.empty();
    p.checks.push_back(RuleCheck{kNoNode, cr.sequence, keyed, plain});
  }
  for (const Entry& e : entries) {
    // A counted plan names its rule in 26 bits (index/condition_index.h): beyond, anchored.
    const bool counting = e.rule <= index::ConditionIndex::kTermMask;
    auto plan = e.cond == kNoNode ? std::nullopt : PlanAccess(p, e.cond, counting);
    const CompiledRule& cr = p.rules[e.rule];
    NodeId& residual = p.checks[e.rule].residual;
    if (!plan) {
      e.builder->AddAlways(e.bucket, static_cast<index::TermId>(e.rule));
      residual = cr.condition;
      continue;
    }
    if (!plan->counted.empty()) {
      e.builder->AddCounted(e.bucket, plan->counted, static_cast<index::TermId>(e.rule));
    } else {
      for (const index::Atom& a : plan->atoms)
        e.builder->Add(e.bucket, a, static_cast<index::TermId>(e.rule));
    }
    if (cr.sequence) continue;  // the first term's filter runs whole in the automaton
    if (plan->residual.size() == 1) {
      residual = plan->residual[0];
    } else if (plan->residual.size() > 1) {
      CNode both;
      both.kind = CKind::kAnd;
      both.kid = static_cast<uint32_t>(p.kids.size());
      both.nkids = static_cast<uint32_t>(plan->residual.size());
      p.kids.insert(p.kids.end(), plan->residual.begin(), plan->residual.end());
      p.nodes.push_back(both);
      residual = static_cast<NodeId>(p.nodes.size() - 1);
    }
  }
  p.stored_slots = StoredSlots(p);
  p.index = std::move(builder).Build(p.rules.size());
  p.start_index = std::move(starts).Build(p.rules.size());
  if (!opts.keep_index_choices) {
    std::unordered_map<std::string, uint32_t>().swap(p.eq_frequency);
    BigVector<ql::ExprId>().swap(p.node_expr);
  }
  return prog;
}

}  // namespace strix::engine
