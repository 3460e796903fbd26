// Spirit X3 definition of the strix grammar (EBNF in grammar.h).
// Stage: query-lang (parse). The only translation unit that includes Spirit X3.
// Rules build the Ast through semantic actions; the parse state (the Ast being filled,
// the text base for offsets, the nesting depth) travels in the X3 context.
// Covered by test/parser_test.cc.
#include "query-lang/grammar.h"

#include <boost/fusion/include/at_c.hpp>
#include <boost/spirit/home/x3.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "common/json_text.h"
#include "common/suggest.h"
#include "common/time.h"
#include "query-lang/parse.h"

namespace strix::ql {
namespace detail {

namespace x3 = boost::spirit::x3;
using boost::fusion::at_c;
using It = const char*;

struct State {
  Ast* ast = nullptr;
  const char* base = nullptr;
  int depth = 0;
};
struct state_tag;

template <class Ctx>
State& St(Ctx const& ctx) {
  return *x3::get<state_tag>(ctx);
}
template <class Ctx>
Ast& A(Ctx const& ctx) {
  return *St(ctx).ast;
}
template <class Ctx>
uint32_t Offset(Ctx const& ctx, It it) {
  return static_cast<uint32_t>(it - St(ctx).base);
}

// ---- lexical pieces ------------------------------------------------------------------

bool IdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Yields the byte offset of the next token (after skipping whitespace and comments).
struct PosParser : x3::parser<PosParser> {
  using attribute_type = uint32_t;
  static bool const has_attribute = true;
  template <class Iter, class Ctx, class RCtx, class Attr>
  bool parse(Iter& first, Iter const& last, Ctx const& ctx, RCtx&, Attr& attr) const {
    x3::skip_over(first, last, ctx);
    x3::traits::move_to(Offset(ctx, first), attr);
    return true;
  }
};
PosParser const pos{};

// A reserved word, ending at a non-identifier character.
struct Keyword : x3::parser<Keyword> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  const char* word;
  constexpr explicit Keyword(const char* w) : word(w) {}
  template <class Iter, class Ctx, class RCtx, class Attr>
  bool parse(Iter& first, Iter const& last, Ctx const& ctx, RCtx&, Attr&) const {
    x3::skip_over(first, last, ctx);
    Iter it = first;
    for (const char* w = word; *w; ++w, ++it) {
      if (it == last || *it != *w) return false;
    }
    if (it != last && IdentChar(*it)) return false;
    first = it;
    return true;
  }
};
inline Keyword kw(const char* w) {
  return Keyword(w);
}

// An identifier (ASCII letter or '_', then letters, digits, '_') that is not a reserved word:
// NAME. Scans the bytes once and assigns the text once, instead of a character parser
// appending byte by byte; a reserved word fails without moving `first`.
struct NameParser : x3::parser<NameParser> {
  using attribute_type = std::string;
  static bool const has_attribute = true;
  template <class Iter, class Ctx, class RCtx, class Attr>
  bool parse(Iter& first, Iter const& last, Ctx const& ctx, RCtx&, Attr& attr) const {
    x3::skip_over(first, last, ctx);
    Iter it = first;
    if (it == last) return false;
    char c = *it;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) return false;
    for (++it; it != last && IdentChar(*it); ++it) {
    }
    std::string_view word(first, static_cast<size_t>(it - first));
    if (IsReserved(word)) return false;
    x3::traits::move_to(std::string(word), attr);
    first = it;
    return true;
  }
};

// A balanced JSON value taken as raw text (test blocks). Iterative, so nesting is not
// limited by the stack; the JSON itself is validated later by the JSON decoder.
struct JsonRawParser : x3::parser<JsonRawParser> {
  using attribute_type = std::string;
  static bool const has_attribute = true;
  bool object_only;
  constexpr explicit JsonRawParser(bool obj) : object_only(obj) {}
  template <class Iter, class Ctx, class RCtx, class Attr>
  bool parse(Iter& first, Iter const& last, Ctx const& ctx, RCtx&, Attr& attr) const {
    x3::skip_over(first, last, ctx);
    Iter it = first;
    if (it == last) return false;
    if (object_only && *it != '{') return false;
    if (*it == '{' || *it == '[') {
      int depth = 0;
      while (it != last) {
        char c = *it;
        if (c == '"') {
          ++it;
          while (it != last && *it != '"' && *it != '\n') {
            if (*it == '\\' && it + 1 != last) ++it;
            ++it;
          }
          if (it == last || *it != '"') return false;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if (c == '}' || c == ']') {
          if (--depth == 0) {
            ++it;
            break;
          }
        } else if (c == '\n' && depth > 0 && object_only) {
          // events under `given` are one per line
          return false;
        }
        ++it;
      }
      if (depth != 0) return false;
    } else if (*it == '"') {
      ++it;
      while (it != last && *it != '"' && *it != '\n') {
        if (*it == '\\' && it + 1 != last) ++it;
        ++it;
      }
      if (it == last || *it != '"') return false;
      ++it;
    } else {
      while (it != last && (IdentChar(*it) || *it == '.' || *it == '-' || *it == '+')) ++it;
      if (it == first) return false;
    }
    x3::traits::move_to(std::string(first, it), attr);
    first = it;
    return true;
  }
};

}  // namespace detail
}  // namespace strix::ql

namespace boost::spirit::x3 {
template <>
struct get_info<strix::ql::detail::Keyword> {
  typedef std::string result_type;
  std::string operator()(strix::ql::detail::Keyword const& k) const {
    return std::string("'") + k.word + "'";
  }
};
// Name a failed expectation after what it expected, not after C++ types: an action is
// named by its subject, a sequence by its first token (the position marker is invisible).
template <typename Subject, typename Action>
struct get_info<action<Subject, Action>> {
  typedef std::string result_type;
  std::string operator()(action<Subject, Action> const& p) const { return what(p.subject); }
};
template <typename Left, typename Right>
struct get_info<sequence<Left, Right>> {
  typedef std::string result_type;
  std::string operator()(sequence<Left, Right> const& p) const {
    if constexpr (std::is_same_v<Left, strix::ql::detail::PosParser>) {
      return what(p.right);
    } else {
      return what(p.left);
    }
  }
};
template <typename Subject>
struct get_info<expect_directive<Subject>> {
  typedef std::string result_type;
  std::string operator()(expect_directive<Subject> const& p) const { return what(p.subject); }
};
template <typename Left, typename Right>
struct get_info<alternative<Left, Right>> {
  typedef std::string result_type;
  std::string operator()(alternative<Left, Right> const& p) const {
    return what(p.left) + " or " + what(p.right);
  }
};
template <>
struct get_info<strix::ql::detail::JsonRawParser> {
  typedef std::string result_type;
  std::string operator()(strix::ql::detail::JsonRawParser const& p) const {
    return p.object_only ? "a JSON object on one line" : "a JSON value";
  }
};
}  // namespace boost::spirit::x3

namespace strix::ql {
namespace detail {

[[noreturn]] void Fail(It where, const char* what) {
  throw x3::expectation_failure<It>(where, what);
}

// Decodes a JSON string literal (with its quotes) into UTF-8. Returns false on a bad escape.
bool DecodeJsonString(It b, It e, std::string& out, It& bad) {
  out.clear();
  for (It p = b + 1; p < e - 1; ++p) {
    if (*p != '\\') {
      if (static_cast<unsigned char>(*p) < 0x20) {
        bad = p;
        return false;
      }
      out.push_back(*p);
      continue;
    }
    bad = p;
    ++p;
    switch (*p) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        auto hex4 = [&](It q, uint32_t& v) {
          if (e - 1 - q < 4) return false;
          v = 0;
          for (int i = 0; i < 4; ++i) {
            char c = q[i];
            int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                    : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                : -1;
            if (d < 0) return false;
            v = v * 16 + static_cast<uint32_t>(d);
          }
          return true;
        };
        uint32_t cp;
        if (!hex4(p + 1, cp)) return false;
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (p + 2 >= e - 1 || p[1] != '\\' || p[2] != 'u' || !hex4(p + 3, lo) || lo < 0xDC00 ||
              lo > 0xDFFF) {
            return false;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          p += 6;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return false;
        }
        if (cp < 0x80) {
          out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
          out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

struct Seg {
  std::string text;
  bool backticked = false;
};

struct AliasT {
  uint32_t pos = 0;
  std::string name;
};

// `[ALIAS:] all( SEQ, SEQ ... )` as parsed, before its terms are flattened into the sequence.
struct GroupT {
  uint32_t pos = 0;
  AliasT alias;
  bool has_alias = false;
  std::vector<std::vector<Term>> branches;
};

// NAME followed by a call's arguments, a table row's key or a path (see name_primary).
struct NamePrimary {
  uint32_t pos = 0;
  std::string name;
  ExprKind kind = ExprKind::kPath;
  std::vector<ExprId> args;
  std::vector<std::string> path;  // the segments after NAME (and after the call or row)
};

struct Tail {
  ExprKind kind = ExprKind::kCompare;
  Op op = Op::kNone;
  bool negated = false;
  uint32_t pos = 0;
  ExprId rhs = kNoExpr;
  std::string pattern, flags;
  bool set_all = false;
};

struct CmpOps : x3::symbols<Op> {
  CmpOps() {
    add("==", Op::kEq)("!=", Op::kNe)("<", Op::kLt)("<=", Op::kLe)(">", Op::kGt)(">=", Op::kGe);
  }
} const cmp_ops;
// An operator of one character and its offset: `+`/`-` (A = '+') or `*`/`/` (A = '*'), or a
// unary minus alone (A = '-'). One skip and one byte test where a position marker and a symbol
// table took two skips and a lookup: tried after every operand.
struct PosOp {
  uint32_t pos = 0;
  Op op = Op::kNone;
};
template <char A>
struct OpChar : x3::parser<OpChar<A>> {
  using attribute_type = std::conditional_t<A == '-', uint32_t, PosOp>;
  static bool const has_attribute = true;
  template <class Iter, class Ctx, class RCtx, class Attr>
  bool parse(Iter& first, Iter const& last, Ctx const& ctx, RCtx&, Attr& attr) const {
    x3::skip_over(first, last, ctx);
    if (first == last) return false;
    const char c = *first;
    if constexpr (A == '-') {
      if (c != '-') return false;
      x3::traits::move_to(Offset(ctx, first), attr);
    } else {
      const char other = A == '+' ? '-' : '/';
      if (c != A && c != other) return false;
      const Op op = A == '+' ? (c == '+' ? Op::kAdd : Op::kSub) : (c == '*' ? Op::kMul : Op::kDiv);
      x3::traits::move_to(PosOp{Offset(ctx, first), op}, attr);
    }
    ++first;
    return true;
  }
};
OpChar<'+'> const add_op{};
OpChar<'*'> const mul_op{};
OpChar<'-'> const minus{};
struct MatchOps : x3::symbols<bool> {
  MatchOps() { add("=~", false)("!~", true); }
} const match_ops;

// ASCII character classes as byte sets: x3::space, alpha, alnum and digit call the C library
// classifiers with plain chars, undefined for bytes >= 0x80 (and an assertion in Debug), and
// rule files are UTF-8. Every non-ASCII byte is outside these classes.
auto const ascii_alpha = x3::char_("a-zA-Z");
auto const ascii_alnum = x3::char_("a-zA-Z0-9");
auto const ascii_digit = x3::char_("0-9");

// Whitespace and `# comments` (to the end of the line), all of a run in one call: X3 calls
// the skipper before every token, most often where there is nothing to skip.
struct Skipper : x3::parser<Skipper> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <class Iter, class Ctx, class RCtx, class Attr>
  bool parse(Iter& first, Iter const& last, Ctx const&, RCtx&, Attr&) const {
    Iter it = first;
    while (it != last) {
      auto c = static_cast<unsigned char>(*it);
      if (c > ' ') {  // most often: a token starts here
        if (c != '#') break;
        while (it != last && *it != '\n' && *it != '\r') ++it;
      } else if (c == ' ' || (c >= '\t' && c <= '\r')) {  // \t \n \v \f \r
        ++it;
      } else {
        break;
      }
    }
    if (it == first) return false;
    first = it;
    return true;
  }
};
Skipper const skipper{};

// ---- rule declarations ---------------------------------------------------------------

x3::rule<class name_cls, std::string> const name = "name";
x3::rule<class bt_cls, std::string> const backticked = "backticked name";
x3::rule<class seg_cls, Seg> const segment = "field name";
x3::rule<class path_cls, ExprId> const path = "field path";
x3::rule<class str_cls, std::string> const string_lit = "string";
x3::rule<class dur_cls, int64_t> const duration = "duration (250ms, 30s, 10m, 2h, 1d)";
x3::rule<class regex_cls, std::pair<std::string, std::string>> const regex =
    "regular expression /.../";
using Range = boost::iterator_range<It>;
x3::rule<class string_raw_cls, Range> const string_raw = "string";
x3::rule<class duration_raw_cls, Range> const duration_raw = "duration (250ms, 30s, 10m, 2h, 1d)";
x3::rule<class regex_raw_cls, Range> const regex_raw = "regular expression /.../";
x3::rule<class flags_raw_cls, Range> const flags_raw = "regular expression flags";
x3::rule<class number_raw_cls, Range> const number_raw = "number";
x3::rule<class type_name_cls, std::string> const type_name = "event type or 'any'";
x3::rule<class field_name_cls, std::string> const field_name = "field name";

x3::rule<class expr_cls, ExprId> const expr = "expression";
x3::rule<class and_cls, ExprId> const and_expr = "expression";
x3::rule<class not_cls, ExprId> const not_expr = "expression";
x3::rule<class cmp_cls, ExprId> const cmp_expr = "expression";
x3::rule<class tail_cls, Tail> const cmp_tail = "operator";
x3::rule<class inrhs_cls, ExprId> const in_rhs = "list, list name or range";
x3::rule<class sum_cls, ExprId> const sum = "expression";
x3::rule<class prod_cls, ExprId> const product = "expression";
x3::rule<class unary_cls, ExprId> const unary = "expression";
x3::rule<class primary_cls, ExprId> const primary = "expression";
x3::rule<class nameprim_cls, NamePrimary> const name_primary = "expression";
x3::rule<class strop_cls, Op> const strop = "string operator";

x3::rule<class keys_cls, std::vector<KeyPath>> const keys = "key field";
x3::rule<class quant_cls, Quantifier> const quant = "quantifier";
x3::rule<class filter_cls, Filter> const filter = "event type or 'any'";
x3::rule<class alias_cls, AliasT> const alias = "alias";
x3::rule<class term_cls, Term> const term = "sequence term";
x3::rule<class branch_cls, std::vector<Term>> const branch = "sequence term";
x3::rule<class group_cls, GroupT> const group = "all(...)";
x3::rule<class seq_cls, Sequence> const sequence = "'sequence'";
x3::rule<class emitf_cls, EmitField> const emit_field = "emit field (name: expression)";
x3::rule<class rule_cls, Rule> const rule = "rule";
x3::rule<class let_cls, Let> const let = "let";
x3::rule<class table_cls, Table> const table = "table";
x3::rule<class expect_cls, Expect> const expect = "expect";
x3::rule<class test_cls, Test> const test = "test";
x3::rule<class item_cls> const item = "'rule', 'let', 'table' or 'test'";

// ---- lexical rules -------------------------------------------------------------------

auto const name_def = NameParser{};
auto const backticked_def = x3::lexeme['`' >> *(x3::char_ - '`' - x3::eol) >> '`'];
auto const segment_def = backticked[([](auto& ctx) {
                           _val(ctx) = Seg{_attr(ctx), true};
                         })] |
                         name[([](auto& ctx) {
                           _val(ctx) = Seg{_attr(ctx), false};
                         })];
auto const path_def = (pos >> segment >> *('.' >> segment))[([](auto& ctx) {
  auto& a = _attr(ctx);
  Expr e;
  e.kind = ExprKind::kPath;
  e.pos = at_c<0>(a);
  std::vector<std::string> path{std::move(at_c<1>(a).text)};
  e.head_backticked = at_c<1>(a).backticked;
  for (Seg& s : at_c<2>(a)) path.push_back(std::move(s.text));
  e.path = A(ctx).store.Path(std::move(path));
  _val(ctx) = A(ctx).Add(std::move(e));
})];

auto const string_raw_def = x3::raw[x3::lexeme['"' >> *(('\\' >> (x3::char_ - x3::eol)) |
                                                        (x3::char_ - '"' - '\\' - x3::eol)) >>
                                               '"']];
auto const string_lit_def = string_raw[([](auto& ctx) {
  auto r = _attr(ctx);
  It bad = r.begin();
  if (!DecodeJsonString(r.begin(), r.end(), _val(ctx), bad)) Fail(bad, "valid string escape");
})];

auto const duration_raw_def =
    x3::raw[x3::lexeme[+ascii_digit >> (x3::lit("ms") | 's' | 'm' | 'h' | 'd') >>
                       !(ascii_alnum | '_')]];
auto const duration_def = duration_raw[([](auto& ctx) {
  auto r = _attr(ctx);
  auto d = ParseDuration(std::string_view(r.begin(), static_cast<size_t>(r.end() - r.begin())));
  if (!d) Fail(r.begin(), "duration of at most 9e15 ms (about 285,000 years)");
  _val(ctx) = *d;
})];

auto const regex_raw_def = x3::raw[x3::lexeme['/' >> *(('\\' >> (x3::char_ - x3::eol)) |
                                                       (x3::char_ - '/' - '\\' - x3::eol)) >>
                                              '/']];
auto const flags_raw_def = x3::raw[x3::lexeme[*x3::char_("ism")]];
auto const regex_def = x3::lexeme[regex_raw >> flags_raw][([](auto& ctx) {
  auto& a = _attr(ctx);
  auto r = at_c<0>(a);
  std::string pattern;
  // Inside /.../ a backslash escapes the next character: `\/` is a slash (RE2 needs no escape
  // for it), anything else stays escaped for RE2 (`\\` a backslash, `\d` a digit, ...).
  for (It p = r.begin() + 1; p < r.end() - 1; ++p) {
    if (*p == '\\' && p + 1 < r.end() - 1) {
      if (p[1] != '/') pattern.push_back('\\');
      pattern.push_back(*++p);
    } else {
      pattern.push_back(*p);
    }
  }
  auto f = at_c<1>(a);
  _val(ctx) = {pattern, std::string(f.begin(), f.end())};
})];

// ---- expressions ---------------------------------------------------------------------

template <ExprKind K>
struct MakeNary {
  template <class Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ExprId first = at_c<0>(a);
    auto& rest = at_c<1>(a);
    if (rest.empty()) {
      _val(ctx) = first;
      return;
    }
    Expr e;
    e.kind = K;
    e.pos = A(ctx).exprs[first].pos;
    e.kids = A(ctx).store.Kids(first, rest);
    _val(ctx) = A(ctx).Add(std::move(e));
  }
};

struct MakeArith {
  template <class Ctx>
  void operator()(Ctx& ctx) const {
    auto& a = _attr(ctx);
    ExprId acc = at_c<0>(a);
    for (auto& step : at_c<1>(a)) {
      Expr e;
      e.kind = ExprKind::kArith;
      e.pos = at_c<0>(step).pos;
      e.op = at_c<0>(step).op;
      e.kids = A(ctx).store.Kids({acc, at_c<1>(step)});
      acc = A(ctx).Add(std::move(e));
    }
    _val(ctx) = acc;
  }
};

auto const expr_def = (and_expr >> *(kw("or") > and_expr))[MakeNary<ExprKind::kOr>{}];
auto const and_expr_def = (not_expr >> *(kw("and") > not_expr))[MakeNary<ExprKind::kAnd>{}];
auto const not_expr_def = (*(pos >> kw("not")) >> cmp_expr)[([](auto& ctx) {
  auto& a = _attr(ctx);
  ExprId acc = at_c<1>(a);
  auto& nots = at_c<0>(a);
  for (size_t i = nots.size(); i-- > 0;) {
    Expr e;
    e.kind = ExprKind::kNot;
    e.pos = nots[i];
    e.kids = A(ctx).store.Kids({acc});
    acc = A(ctx).Add(std::move(e));
  }
  _val(ctx) = acc;
})];

auto const strop_def = kw("contains")[([](auto& ctx) { _val(ctx) = Op::kContains; })] |
                       kw("startswith")[([](auto& ctx) { _val(ctx) = Op::kStartsWith; })] |
                       kw("endswith")[([](auto& ctx) { _val(ctx) = Op::kEndsWith; })];

auto const in_rhs_def = (sum >> -(x3::lit("..") > sum))[([](auto& ctx) {
  auto& a = _attr(ctx);
  if (!at_c<1>(a)) {
    _val(ctx) = at_c<0>(a);
    return;
  }
  Expr e;
  e.kind = ExprKind::kRange;
  e.pos = A(ctx).exprs[at_c<0>(a)].pos;
  e.kids = A(ctx).store.Kids({at_c<0>(a), *at_c<1>(a)});
  _val(ctx) = A(ctx).Add(std::move(e));
})];

// The tail after a left-hand side, dispatched on its first token (one attempt per
// operator word, not one per form): `pos` is the operator's offset.
template <ExprKind K, bool Negated, bool SetAll = false>
struct SetTail {
  template <class Ctx>
  void operator()(Ctx& ctx) const {
    Tail& t = _val(ctx);
    t.kind = K;
    t.negated = Negated;
    t.set_all = SetAll;
    if constexpr (!std::is_same_v<std::decay_t<decltype(_attr(ctx))>, x3::unused_type>) {
      t.rhs = _attr(ctx);
    }
  }
};

auto const cmp_tail_def =
    pos[([](auto& ctx) { _val(ctx).pos = _attr(ctx); })] >>
    ((cmp_ops > sum)[([](auto& ctx) {
       Tail& t = _val(ctx);
       t.kind = ExprKind::kCompare;
       t.op = at_c<0>(_attr(ctx));
       t.rhs = at_c<1>(_attr(ctx));
     })] |
     (kw("is") >> ((kw("not") > kw("null"))[SetTail<ExprKind::kIsNull, true>{}] |
                   (x3::eps > kw("null"))[SetTail<ExprKind::kIsNull, false>{}])) |
     (kw("not") >> kw("in") >> ((kw("cidr") > sum)[SetTail<ExprKind::kInCidr, true>{}] |
                                (x3::eps > in_rhs)[SetTail<ExprKind::kIn, true>{}])) |
     (kw("in") >> ((kw("cidr") > sum)[SetTail<ExprKind::kInCidr, false>{}] |
                   (x3::eps > in_rhs)[SetTail<ExprKind::kIn, false>{}])) |
     (kw("like") > sum)[SetTail<ExprKind::kLike, false>{}] |
     (strop[([](auto& ctx) { _val(ctx).op = _attr(ctx); })] >>
      ((kw("any") > sum)[SetTail<ExprKind::kStrSet, false, false>{}] |
       (kw("all") > sum)[SetTail<ExprKind::kStrSet, false, true>{}] |
       (x3::eps > sum)[SetTail<ExprKind::kStrTest, false>{}])) |
     (match_ops > regex)[([](auto& ctx) {
       Tail& t = _val(ctx);
       t.kind = ExprKind::kMatch;
       t.negated = at_c<0>(_attr(ctx));
       t.pattern = std::move(at_c<1>(_attr(ctx)).first);
       t.flags = std::move(at_c<1>(_attr(ctx)).second);
     })]);

auto const cmp_expr_def = (pos >> kw("exists") > path)[([](auto& ctx) {
                            auto& a = _attr(ctx);
                            Expr e;
                            e.kind = ExprKind::kExists;
                            e.pos = at_c<0>(a);
                            e.kids = A(ctx).store.Kids({at_c<1>(a)});
                            _val(ctx) = A(ctx).Add(std::move(e));
                          })] |
                          (sum >> -cmp_tail)[([](auto& ctx) {
                            auto& a = _attr(ctx);
                            ExprId lhs = at_c<0>(a);
                            if (!at_c<1>(a)) {
                              _val(ctx) = lhs;
                              return;
                            }
                            Tail& t = *at_c<1>(a);
                            Expr e;
                            e.kind = t.kind;
                            e.op = t.op;
                            e.negated = t.negated;
                            e.set_all = t.set_all;
                            e.pos = t.pos;
                            ExprStore& store = A(ctx).store;
                            if (t.rhs != kNoExpr) {
                              e.kids = store.Kids({lhs, t.rhs});
                            } else {
                              e.kids = store.Kids({lhs});
                            }
                            e.text = store.Text(t.pattern);
                            if (!t.flags.empty()) {
                              ExprRare rare;
                              rare.flags = std::move(t.flags);
                              e.rare = store.Rare(std::move(rare));
                            }
                            _val(ctx) = A(ctx).Add(std::move(e));
                          })];

auto const sum_def = (product >> *(add_op > product))[MakeArith{}];
auto const product_def = (unary >> *(mul_op > unary))[MakeArith{}];
auto const unary_def = (*minus >> primary)[([](auto& ctx) {
  auto& a = _attr(ctx);
  ExprId acc = at_c<1>(a);
  auto& minus = at_c<0>(a);
  Ast& ast = A(ctx);
  for (size_t i = minus.size(); i-- > 0;) {
    Expr& inner = ast.exprs[acc];
    if (inner.kind == ExprKind::kLiteral && inner.lit == LiteralKind::kNumber) {
      inner.number = -inner.number;  // fold a negative literal
      inner.pos = minus[i];
      continue;
    }
    Expr e;
    e.kind = ExprKind::kNeg;
    e.pos = minus[i];
    e.kids = ast.store.Kids({acc});
    acc = ast.Add(std::move(e));
  }
  _val(ctx) = acc;
})];

auto const enter = x3::eps[([](auto& ctx) {
  if (++St(ctx).depth > kMaxNesting)
    Fail(x3::_where(ctx).begin(), "less nesting (at most 200 levels)");
})];
auto const leave = x3::eps[([](auto& ctx) { --St(ctx).depth; })];

template <LiteralKind K, bool B = false>
struct MakeLiteral {
  template <class Ctx>
  void operator()(Ctx& ctx) const {
    Expr e;
    e.kind = ExprKind::kLiteral;
    e.lit = K;
    e.boolean = B;
    e.pos = _attr(ctx);
    _val(ctx) = A(ctx).Add(std::move(e));
  }
};

auto const number_raw_def =
    x3::raw[x3::lexeme[+ascii_digit >> -('.' >> +ascii_digit) >>
                       -(x3::char_("eE") >> -x3::char_("+-") >> +ascii_digit) >>
                       !(ascii_alpha | '_')]];
auto const number_lit = (pos >> number_raw)[([](auto& ctx) {
  auto& a = _attr(ctx);
  auto r = at_c<1>(a);
  Expr e;
  e.kind = ExprKind::kLiteral;
  e.lit = LiteralKind::kNumber;
  e.pos = at_c<0>(a);
  // Integers of up to 15 digits (most numbers in rules) are exact doubles: converted
  // directly; anything else by from_chars.
  uint64_t v = 0;
  It p = r.begin();
  while (p != r.end() && *p >= '0' && *p <= '9' && p - r.begin() < 15)
    v = v * 10 + uint64_t(*p++ - '0');
  if (p == r.end()) {
    e.number = static_cast<double>(v);
  } else {
    std::from_chars(r.begin(), r.end(), e.number);
  }
  _val(ctx) = A(ctx).Add(std::move(e));
})];

auto const string_expr = (pos >> string_lit)[([](auto& ctx) {
  auto& a = _attr(ctx);
  Expr e;
  e.kind = ExprKind::kLiteral;
  e.lit = LiteralKind::kString;
  e.pos = at_c<0>(a);
  e.text = A(ctx).store.Text(at_c<1>(a));
  _val(ctx) = A(ctx).Add(std::move(e));
})];

auto const list_expr = (pos >> '[' >> enter >> -(expr % ',') > ']' >> leave)[([](auto& ctx) {
  auto& a = _attr(ctx);
  Expr e;
  e.kind = ExprKind::kList;
  e.pos = at_c<0>(a);
  if (at_c<1>(a)) e.kids = A(ctx).store.Kids(*at_c<1>(a));
  _val(ctx) = A(ctx).Add(std::move(e));
})];

auto const paren_expr =
    '(' >> enter > expr[([](auto& ctx) { _val(ctx) = _attr(ctx); })] > ')' >> leave;

// A primary that starts with a NAME, parsed once and then told apart by the token after it:
// NAME(ARGS).path is a call, NAME[EXPR].path a row of table NAME (LANGUAGE.md 7), anything
// else a field path NAME.seg.seg.
auto const name_primary_def = (pos >> name)[([](auto& ctx) {
                                _val(ctx).pos = at_c<0>(_attr(ctx));
                                _val(ctx).name = std::move(at_c<1>(_attr(ctx)));
                              })] >>
                              (('(' >> enter >> -(expr % ',') > ')' >> leave >>
                                *('.' > segment))[([](auto& ctx) {
                                 NamePrimary& n = _val(ctx);
                                 n.kind = ExprKind::kCall;
                                 if (at_c<0>(_attr(ctx))) n.args = std::move(*at_c<0>(_attr(ctx)));
                                 for (Seg& s : at_c<1>(_attr(ctx)))
                                   n.path.push_back(std::move(s.text));
                               })] |
                               ('[' > expr > ']' >> *('.' > segment))[([](auto& ctx) {
                                 NamePrimary& n = _val(ctx);
                                 n.kind = ExprKind::kLookup;
                                 n.args = {at_c<0>(_attr(ctx))};
                                 for (Seg& s : at_c<1>(_attr(ctx)))
                                   n.path.push_back(std::move(s.text));
                               })] |
                               (*('.' >> segment))[([](auto& ctx) {
                                 NamePrimary& n = _val(ctx);
                                 n.kind = ExprKind::kPath;
                                 for (Seg& s : _attr(ctx)) n.path.push_back(std::move(s.text));
                               })]);

// The alternatives start with disjoint tokens (a NAME is never a reserved word), so their
// order only decides how many are tried: names and numbers, the common ones, first.
auto const primary_def = name_primary[([](auto& ctx) {
                           NamePrimary& n = _attr(ctx);
                           Expr e;
                           e.kind = n.kind;
                           e.pos = n.pos;
                           ExprStore& store = A(ctx).store;
                           if (n.kind == ExprKind::kPath) {
                             e.path = store.Path(std::move(n.name), std::move(n.path));
                           } else {
                             e.text = store.Text(n.name);
                             e.kids = store.Kids(n.args);
                             e.path = store.Path(std::move(n.path));
                           }
                           _val(ctx) = A(ctx).Add(std::move(e));
                         })] |
                         number_lit | string_expr |
                         (pos >> kw("true"))[MakeLiteral<LiteralKind::kBool, true>{}] |
                         (pos >> kw("false"))[MakeLiteral<LiteralKind::kBool, false>{}] |
                         (pos >> kw("null"))[MakeLiteral<LiteralKind::kNull>{}] | list_expr |
                         paren_expr | path[([](auto& ctx) { _val(ctx) = _attr(ctx); })];

// ---- rules, sequences, lets, tests ---------------------------------------------------

auto const keys_def = path[([](auto& ctx) {
                        const Expr& p = A(ctx).exprs[_attr(ctx)];
                        _val(ctx).push_back(KeyPath{{p.path.begin(), p.path.end()}, p.pos});
                      })] %
                      // `, NAME:` is the next branch of an all(...), never another key.
                      (',' >> !(name >> ':'));

auto const quant_def = x3::lit('+')[([](auto& ctx) {
                         _val(ctx) = Quantifier{1, std::nullopt, true};
                       })] |
                       x3::lit('*')[([](auto& ctx) {
                         _val(ctx) = Quantifier{0, std::nullopt, true};
                       })] |
                       x3::lit('?')[([](auto& ctx) {
                         _val(ctx) = Quantifier{0, 1, true};
                       })] |
                       ('{' >> x3::uint_[([](auto& ctx) {
                          _val(ctx) = Quantifier{_attr(ctx), _attr(ctx), true};
                        })] >>
                        -(x3::lit(',')[([](auto& ctx) { _val(ctx).max = std::nullopt; })] >>
                          -x3::uint_[([](auto& ctx) { _val(ctx).max = _attr(ctx); })]) > '}');

auto const type_name_def = backticked | name;

auto const filter_def = pos[([](auto& ctx) { _val(ctx).pos = _val(ctx).type_pos = _attr(ctx); })] >>
                        (kw("any")[([](auto& ctx) { _val(ctx).any = true; })] |
                         type_name[([](auto& ctx) { _val(ctx).type = _attr(ctx); })]) >>
                        -quant[([](auto& ctx) { _val(ctx).quant = _attr(ctx); })] >>
                        -(kw("by") > keys[([](auto& ctx) {
                            _val(ctx).keys = _attr(ctx);
                            _val(ctx).has_keys = true;
                          })]) >>
                        -(kw("where") > expr[([](auto& ctx) { _val(ctx).where = _attr(ctx); })]);

auto const alias_def = (pos >> name >> ':')[([](auto& ctx) {
  _val(ctx) = AliasT{at_c<0>(_attr(ctx)), at_c<1>(_attr(ctx))};
})];

auto const term_def = (pos >> kw("not") > filter)[([](auto& ctx) {
                        auto& a = _attr(ctx);
                        _val(ctx).negated = true;
                        _val(ctx).pos = at_c<0>(a);
                        _val(ctx).filter = at_c<1>(a);
                      })] |
                      (pos >> -alias >> filter)[([](auto& ctx) {
                        auto& a = _attr(ctx);
                        _val(ctx).pos = at_c<0>(a);
                        if (at_c<1>(a)) {
                          _val(ctx).alias = at_c<1>(a)->name;
                          _val(ctx).alias_pos = at_c<1>(a)->pos;
                        }
                        _val(ctx).filter = at_c<2>(a);
                      })];

struct PushTerm {
  template <class Ctx>
  void operator()(Ctx& ctx) const {
    _val(ctx).terms.push_back(std::move(_attr(ctx)));
  }
};

// A group's terms go into the sequence in place, each marked with its group and branch.
struct PushGroup {
  template <class Ctx>
  void operator()(Ctx& ctx) const {
    Sequence& q = _val(ctx);
    GroupT& g = _attr(ctx);
    Group out;
    out.pos = g.pos;
    if (g.has_alias) {
      out.alias = g.alias.name;
      out.alias_pos = g.alias.pos;
    }
    out.first = static_cast<uint32_t>(q.terms.size());
    const auto id = static_cast<int32_t>(q.groups.size());
    for (size_t b = 0; b < g.branches.size(); ++b) {
      out.starts.push_back(static_cast<uint32_t>(q.terms.size()));
      for (Term& t : g.branches[b]) {
        t.group = id;
        t.branch = static_cast<uint32_t>(b);
        q.terms.push_back(std::move(t));
      }
    }
    out.end = static_cast<uint32_t>(q.terms.size());
    q.groups.push_back(std::move(out));
  }
};

struct PushBranch {
  template <class Ctx>
  void operator()(Ctx& ctx) const {
    _val(ctx).branches.push_back(std::move(_attr(ctx)));
  }
};

auto const branch_def = +term;
auto const group_def = (pos >> -alias >> kw("all") >> '(')[([](auto& ctx) {
                         auto& a = _attr(ctx);
                         _val(ctx).pos = at_c<0>(a);
                         if (at_c<1>(a)) {
                           _val(ctx).alias = *at_c<1>(a);
                           _val(ctx).has_alias = true;
                         }
                       })] > branch[PushBranch{}] > *(',' > branch[PushBranch{}]) > ')';

auto const sequence_def = pos[([](auto& ctx) { _val(ctx).pos = _attr(ctx); })] >> kw("sequence") >>
                          *((kw("by") > keys[([](auto& ctx) {
                               _val(ctx).keys = _attr(ctx);
                               _val(ctx).has_keys = true;
                             })]) |
                            (pos >> kw("within") > duration)[([](auto& ctx) {
                              _val(ctx).within_pos = at_c<0>(_attr(ctx));
                              _val(ctx).within_ms = at_c<1>(_attr(ctx));
                            })] |
                            kw("strict")[([](auto& ctx) { _val(ctx).policy = Policy::kStrict; })] |
                            kw("every")[([](auto& ctx) { _val(ctx).policy = Policy::kEvery; })]) >
                          (group[PushGroup{}] | term[PushTerm{}]) >>
                          *(group[PushGroup{}] | term[PushTerm{}]) >>
                          -(kw("until") >
                            filter[([](auto& ctx) { _val(ctx).until = _attr(ctx); })]);

auto const field_name_def = name | backticked | string_lit;
auto const emit_field_def = (pos >> field_name > ':' > expr)[([](auto& ctx) {
  auto& a = _attr(ctx);
  _val(ctx) = EmitField{at_c<1>(a), at_c<0>(a), at_c<2>(a)};
})];

template <class Ctx>
void NoteDupe(Ctx& ctx, bool dupe, uint32_t at) {
  if (dupe && _val(ctx).clause_dupes++ == 0) _val(ctx).dupe_pos = at;
}

auto const rule_def =
    kw("rule") > (pos >> name)[([](auto& ctx) {
      _val(ctx).pos = at_c<0>(_attr(ctx));
      _val(ctx).name = at_c<1>(_attr(ctx));
    })] > kw("on") > (sequence[([](auto& ctx) {
                        _val(ctx).is_sequence = true;
                        _val(ctx).sequence = std::move(_attr(ctx));
                      })] |
                      filter[([](auto& ctx) { _val(ctx).filter = std::move(_attr(ctx)); })]) >>
    *((pos >> kw("having") > expr)[([](auto& ctx) {
        NoteDupe(ctx, _val(ctx).having != kNoExpr, at_c<0>(_attr(ctx)));
        _val(ctx).having_pos = at_c<0>(_attr(ctx));
        _val(ctx).having = at_c<1>(_attr(ctx));
      })] |
      (pos >> kw("suppress") > duration)[([](auto& ctx) {
        NoteDupe(ctx, _val(ctx).suppress_ms.has_value(), at_c<0>(_attr(ctx)));
        _val(ctx).suppress_pos = at_c<0>(_attr(ctx));
        _val(ctx).suppress_ms = at_c<1>(_attr(ctx));
      })] |
      ((pos >> kw("emit"))[([](auto& ctx) {
         NoteDupe(ctx, _val(ctx).has_emit, _attr(ctx));
         _val(ctx).has_emit = true;
         _val(ctx).emit_pos = _attr(ctx);
         _val(ctx).emit.clear();
       })] > '{' >
       -(emit_field[([](auto& ctx) { _val(ctx).emit.push_back(std::move(_attr(ctx))); })] % ',') >>
       -x3::lit(',') > '}'));

auto const let_def = kw("let") > (pos >> name)[([](auto& ctx) {
                       _val(ctx).pos = at_c<0>(_attr(ctx));
                       _val(ctx).name = at_c<1>(_attr(ctx));
                     })] > '=' > expr[([](auto& ctx) { _val(ctx).value = _attr(ctx); })];

// `table NAME by KEY from FILTER [row PATH] [delete on FILTER]`; `from`, `row`, `delete` are
// keywords here only.
auto const table_def = kw("table") > (pos >> name)[([](auto& ctx) {
                         _val(ctx).pos = at_c<0>(_attr(ctx));
                         _val(ctx).name = at_c<1>(_attr(ctx));
                       })] > kw("by") > path[([](auto& ctx) {
                         const Expr& p = A(ctx).exprs[_attr(ctx)];
                         _val(ctx).key = KeyPath{{p.path.begin(), p.path.end()}, p.pos};
                       })] >
                       kw("from") > filter[([](auto& ctx) { _val(ctx).from = _attr(ctx); })] >>
                       -(kw("row") > path[([](auto& ctx) {
                           const Expr& p = A(ctx).exprs[_attr(ctx)];
                           _val(ctx).row.assign(p.path.begin(), p.path.end());
                           _val(ctx).row_pos = p.pos;
                         })]) >>
                       -(kw("delete") > kw("on") > filter[([](auto& ctx) {
                           _val(ctx).del = _attr(ctx);
                           _val(ctx).has_delete = true;
                         })]);

JsonRawParser const json_object{true};
JsonRawParser const json_value{false};

auto const expect_fields =
    '{' > -((pos >> field_name > ':' > json_value)[([](auto& ctx) {
              auto& a = _attr(ctx);
              _val(ctx).fields.push_back(ExpectField{at_c<1>(a), at_c<2>(a), at_c<0>(a)});
            })] %
            ',') > '}';

auto const expect_def = (pos >> kw("expect"))[([](auto& ctx) { _val(ctx).pos = _attr(ctx); })] >
                        ((kw("none") > name[([](auto& ctx) {
                            _val(ctx).kind = Expect::Kind::kNone;
                            _val(ctx).rule = _attr(ctx);
                          })]) |
                         ((x3::uint_ > name)[([](auto& ctx) {
                            _val(ctx).kind = Expect::Kind::kCount;
                            _val(ctx).count = at_c<0>(_attr(ctx));
                            _val(ctx).rule = at_c<1>(_attr(ctx));
                          })] >>
                          -expect_fields) |
                         (name[([](auto& ctx) { _val(ctx).rule = _attr(ctx); })] >>
                          -expect_fields));

struct PushExpect {
  template <class Ctx>
  void operator()(Ctx& ctx) const {
    _val(ctx).expects.push_back(std::move(_attr(ctx)));
  }
};

auto const test_def = kw("test") > (pos >> string_lit)[([](auto& ctx) {
                        _val(ctx).pos = at_c<0>(_attr(ctx));
                        _val(ctx).name = at_c<1>(_attr(ctx));
                      })] > kw("given") > *(pos >> json_object)[([](auto& ctx) {
                        _val(ctx).given_pos.push_back(at_c<0>(_attr(ctx)));
                        _val(ctx).given.push_back(at_c<1>(_attr(ctx)));
                      })] > expect[PushExpect{}] >>
                      *expect[PushExpect{}];

auto const item_def = rule[([](auto& ctx) {
                        Ast& a = A(ctx);
                        a.order.emplace_back(Ast::ItemKind::kRule, a.rules.size());
                        a.rules.push_back(std::move(_attr(ctx)));
                      })] |
                      let[([](auto& ctx) {
                        Ast& a = A(ctx);
                        a.order.emplace_back(Ast::ItemKind::kLet, a.lets.size());
                        a.lets.push_back(std::move(_attr(ctx)));
                      })] |
                      test[([](auto& ctx) {
                        Ast& a = A(ctx);
                        a.order.emplace_back(Ast::ItemKind::kTest, a.tests.size());
                        a.tests.push_back(std::move(_attr(ctx)));
                      })] |
                      table[([](auto& ctx) {
                        Ast& a = A(ctx);
                        a.order.emplace_back(Ast::ItemKind::kTable, a.tables.size());
                        a.tables.push_back(std::move(_attr(ctx)));
                      })];

BOOST_SPIRIT_DEFINE(name, backticked, segment, path, string_lit, duration, regex, expr, and_expr,
                    not_expr, cmp_expr, cmp_tail, in_rhs, sum, product, unary, primary,
                    name_primary, strop, keys, quant, filter, alias, term, branch, group, sequence,
                    emit_field, rule, let, table, expect, test, item, string_raw, duration_raw,
                    regex_raw, flags_raw, number_raw, type_name, field_name)

std::string DescribeToken(std::string_view text, size_t at) {
  if (at >= text.size()) return "end of file";
  size_t end = at;
  while (end < text.size() && IdentChar(text[end])) ++end;
  if (end == at) {
    if (text[at] == '\n' || text[at] == '\r') return "end of line";
    size_t i = at;
    int32_t cp = DecodeUtf8(text, i);
    if (cp >= 0x80 || cp < 0) {  // a no-break space looks like a space: name it
      char code[16];
      std::snprintf(code, sizeof code, cp < 0 ? "byte 0x%02X" : "U+%04X",
                    cp < 0 ? unsigned(static_cast<unsigned char>(text[at])) : unsigned(cp));
      return "'" + std::string(text.substr(at, i - at)) + "' (" + code +
             ", not ASCII: names are ASCII letters, digits and '_', and only ASCII blanks "
             "separate words)";
    }
    end = i;
  }
  return "'" + std::string(text.substr(at, std::min<size_t>(end - at, 40))) + "'";
}

// A clearer message for a token that stopped the parse, when it is an everyday mistake:
// C-style operators, a misspelt keyword, a quantifier after `where`. "" when there is nothing
// better to say than what was expected.
std::string Hint(std::string_view text, size_t at, bool item_start) {
  if (at >= text.size()) return "";
  std::string_view rest = text.substr(at);
  auto starts = [&](std::string_view w) { return rest.substr(0, w.size()) == w; };
  size_t end = 0;
  while (end < rest.size() && IdentChar(rest[end])) ++end;
  std::string word(rest.substr(0, end));
  if (starts("&&")) return "use 'and' instead of '&&'";
  if (starts("||")) return "use 'or' instead of '||'";
  if (starts("!") && !starts("!=") && !starts("!~")) return "use 'not' instead of '!'";
  // The rest only where an item should have started: the token ended the item before it.
  if (!item_start || starts("==")) return "";
  if (starts("=")) return "'=' is not a comparison: use '=='";
  if (starts("{"))
    return "a quantifier follows the event type directly, before 'by' and 'where' "
           "(f: login_failed{5,} where ...)";
  if (word.size() < 3) return "";  // too short to guess what was meant
  static const std::vector<std::string> kKeywords = {
      "rule", "let",    "test",     "on",         "where",    "having",   "suppress", "emit",
      "by",   "within", "until",    "strict",     "every",    "sequence", "and",      "or",
      "not",  "in",     "contains", "startswith", "endswith", "exists",   "given",    "expect",
      "none", "like",   "cidr",     "null",       "table",    "from",     "row",      "delete"};
  std::string near = Suggest(word, kKeywords);
  if (!near.empty() && near != word)
    return "unknown word '" + word + "'; did you mean '" + near + "'?";
  return "";
}

}  // namespace detail

bool ParseItem(std::string_view text, size_t& p, Ast& ast, bool& at_end, ItemError& error) {
  namespace x3 = boost::spirit::x3;
  using detail::It;
  detail::State st{&ast, text.data(), 0};
  It first = text.data() + p;
  It const last = text.data() + text.size();
  x3::parse(first, last, *detail::skipper);
  at_end = first == last;
  if (at_end) {
    p = text.size();
    return true;
  }
  It start = first;
  try {
    bool ok = x3::phrase_parse(first, last, x3::with<detail::state_tag>(&st)[detail::item],
                               detail::skipper);
    if (ok) {
      p = static_cast<size_t>(first - text.data());
      return true;
    }
    error.offset = static_cast<uint32_t>(start - text.data());
    error.at_item_start = true;
    error.message = detail::Hint(text, error.offset, true);
    if (error.message.empty())
      error.message = "expected 'rule', 'let', 'table' or 'test', found " +
                      detail::DescribeToken(text, error.offset);
  } catch (const x3::expectation_failure<It>& e) {
    It w = e.where();
    x3::parse(w, last, *detail::skipper);
    error.offset = static_cast<uint32_t>(w - text.data());
    error.message = detail::Hint(text, error.offset, false);
    if (error.message.empty())
      error.message =
          "expected " + e.which() + ", found " + detail::DescribeToken(text, error.offset);
  }
  return false;
}

}  // namespace strix::ql
