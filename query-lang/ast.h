// The abstract syntax tree of a strix rule file, as the parser builds it.
// Stage: query-lang (parse -> AST -> check). Interface: File, Rule, Let, Test, Expr, Ast.
// Expressions live in one arena per file (Ast::exprs) and refer to each other by index,
// so that a condition with thousands of alternatives is a flat node, not a deep tree. What a
// node holds of variable length (children, path segments, text, the rare parts) lives in the
// Ast's ExprStore, in blocks that never move: a node is 88 bytes and costs no allocation of its
// own (100k rules make ~2M nodes).
// Every node carries the byte offset of its first character for diagnostics.
// Covered by test/parser_test.cc (through Dump()).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/huge_pages.h"

namespace strix::ql {

using ExprId = uint32_t;
constexpr ExprId kNoExpr = UINT32_MAX;

enum class ExprKind : uint8_t {
  kLiteral,  // literal: null, true/false, number, string
  kPath,     // path: dotted field path (or a let name, or alias.path; the checker decides)
  kList,     // [a, b, c]
  kCall,     // name(args) optionally followed by .path (first(f).x)
  kNeg,      // unary minus
  kArith,    // + - * /     (op)
  kCompare,  // == != < <= > >=   (op)
  kIn,       // kids[0] in kids[1]; negated for `not in`; kids[1] is a list, name or range
  kRange,    // lo..hi (only as the right side of `in`)
  kStrTest,  // contains / startswith / endswith (op)
  kMatch,    // =~ /re/flags; negated for !~  (text = pattern, flags)
  kExists,   // exists path (kids[0] is the path)
  kStrSet,   // [L2] kids[0] contains|startswith|endswith any|all kids[1] (a list); op, set_all
  kLike,     // [L2] kids[0] like kids[1] (a string: the glob)
  kInCidr,   // [L2] kids[0] in cidr kids[1] (a list of networks); negated for `not in cidr`
  kIsNull,   // [L2] kids[0] is null; negated for `is not null`
  kLookup,   // table[kids[0]] then .path (text = the table's name) (LANGUAGE.md 7)
  kNot,
  kAnd,
  kOr,
};

enum class Op : uint8_t {
  kNone,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kContains,
  kStartsWith,
  kEndsWith,
};

enum class LiteralKind : uint8_t { kNull, kBool, kNumber, kString };

// What few nodes carry, out of line so that the millions of nodes of a large rule set stay
// small. Never changed once set: copies of a node share it (in ExprStore).
struct ExprRare {
  std::string flags;  // kMatch: the regex flags as written
  // Set by the checker on the root of an expanded `let`: where the let's name stood (in the
  // rule's file) and which let it was, so a let of the wrong kind is reported at its use.
  int32_t let_use = -1;
  int32_t let_file = -1, let_index = -1;
};

// The views in an Expr point into the ExprStore of its Ast (or, for nodes the checker copied
// from a let of another file, into that file's): valid while the Ast lives, also when it is
// moved. A copied node shares them; ExprStore::Kids gives a copy its own children to rewrite.
struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  Op op = Op::kNone;
  bool negated = false;  // `not in`, `!~`, `not in cidr`, `is not null`
  LiteralKind lit = LiteralKind::kNull;
  bool boolean = false;
  bool head_backticked = false;  // the first path segment was written in backticks
  bool set_all = false;          // kStrSet: `all` (every literal) rather than `any`
  uint32_t pos = 0;              // byte offset in the file text
  // Set by the checker: for a path or aggregate whose head is a sequence alias, the index of
  // the term that binds it (the alias segment stays in `path`).
  int32_t alias_term = -1;
  // Set by the checker on nodes copied from a `let` in another file: that file's index, so
  // diagnostics inside an expanded let point at its definition.
  int32_t origin_file = -1;
  double number = 0;
  std::string_view text;              // string literal, call name, regex pattern
  std::span<const std::string> path;  // path segments (also the trailing path of a call)
  std::span<ExprId> kids;
  const ExprRare* rare = nullptr;  // null for most nodes

  std::string_view flags() const { return rare ? std::string_view(rare->flags) : ""; }
  int32_t let_use() const { return rare ? rare->let_use : -1; }
};

// Blocks of T that never move: Take(n) hands out n consecutive places, valid until the store
// goes. Block ends are left unused; a request larger than a block gets a block of its own.
// Places of a trivial T (ids, characters) are not zeroed: the taker writes them.
template <class T, size_t kBlock>
class Blocks {
 public:
  T* Take(size_t n) {
    if (n > kBlock) return blocks_.emplace_back(std::make_unique_for_overwrite<T[]>(n)).get();
    if (left_ < n) {
      at_ = blocks_.emplace_back(std::make_unique_for_overwrite<T[]>(kBlock)).get();
      left_ = kBlock;
    }
    T* p = at_;
    at_ += n;
    left_ -= n;
    return p;
  }

 private:
  std::vector<std::unique_ptr<T[]>> blocks_;
  T* at_ = nullptr;
  size_t left_ = 0;
};

// The variable-length parts of a file's Expr nodes.
class ExprStore {
 public:
  ExprStore() = default;
  ExprStore(const ExprStore&) = delete;  // the nodes' views would point into the original
  ExprStore& operator=(const ExprStore&) = delete;
  ExprStore(ExprStore&&) = default;
  ExprStore& operator=(ExprStore&&) = default;

  std::span<ExprId> Kids(std::span<const ExprId> ids) {
    if (ids.empty()) return {};
    ExprId* p = kids_.Take(ids.size());
    std::copy(ids.begin(), ids.end(), p);
    return {p, ids.size()};
  }
  std::span<ExprId> Kids(ExprId first, std::span<const ExprId> rest) {  // first, then rest
    ExprId* p = kids_.Take(rest.size() + 1);
    p[0] = first;
    std::copy(rest.begin(), rest.end(), p + 1);
    return {p, rest.size() + 1};
  }
  std::span<ExprId> Kids(std::initializer_list<ExprId> ids) {
    return Kids(std::span<const ExprId>(ids.begin(), ids.size()));
  }
  std::span<const std::string> Path(std::vector<std::string>&& segments) {
    if (segments.empty()) return {};
    std::string* p = segments_.Take(segments.size());
    std::move(segments.begin(), segments.end(), p);
    return {p, segments.size()};
  }
  // NAME.seg.seg as parsed: the head, then the segments after it (no vector for a plain name).
  std::span<const std::string> Path(std::string&& head, std::vector<std::string>&& rest) {
    std::string* p = segments_.Take(rest.size() + 1);
    p[0] = std::move(head);
    std::move(rest.begin(), rest.end(), p + 1);
    return {p, rest.size() + 1};
  }
  std::span<const std::string> Path(std::span<const std::string> segments) {
    return Path(std::vector<std::string>(segments.begin(), segments.end()));
  }
  std::string_view Text(std::string_view s) {
    if (s.empty()) return {};
    char* p = chars_.Take(s.size());
    std::copy(s.begin(), s.end(), p);
    return {p, s.size()};
  }
  const ExprRare* Rare(ExprRare r) { return &rares_.emplace_back(std::move(r)); }

 private:
  Blocks<ExprId, 16384> kids_;
  Blocks<std::string, 2048> segments_;
  Blocks<char, 65536> chars_;
  std::deque<ExprRare> rares_;
};

struct Quantifier {
  uint32_t min = 1;
  std::optional<uint32_t> max = 1;  // nullopt = unbounded
  bool written = false;             // false when the term had no quantifier
};

struct KeyPath {
  std::vector<std::string> path;
  uint32_t pos = 0;
};

struct Filter {
  std::string type;  // empty for `any`
  bool any = false;
  uint32_t type_pos = 0;
  Quantifier quant;           // only sequence terms may carry one
  std::vector<KeyPath> keys;  // `by`
  bool has_keys = false;
  ExprId where = kNoExpr;
  uint32_t pos = 0;
};

struct Term {
  bool negated = false;  // `not FILTER`
  std::string alias;     // empty when none
  uint32_t alias_pos = 0;
  Filter filter;
  uint32_t pos = 0;
  // Inside `all(...)` (LANGUAGE.md 3.2): the group (Sequence::groups) and the branch in it;
  // -1 for a term that is a step of its own.
  int32_t group = -1;
  uint32_t branch = 0;
};

// One `all(SEQ, SEQ ...)`: its terms are consecutive in Sequence::terms.
struct Group {
  uint32_t pos = 0;   // of `all`
  std::string alias;  // empty when none; a list of the group's events
  uint32_t alias_pos = 0;
  uint32_t first = 0, end = 0;   // its terms [first, end)
  std::vector<uint32_t> starts;  // the first term of each branch, in written order
};

enum class Policy : uint8_t { kNext, kStrict, kEvery };

struct Sequence {
  std::vector<KeyPath> keys;
  bool has_keys = false;
  std::optional<int64_t> within_ms;
  uint32_t within_pos = 0;
  Policy policy = Policy::kNext;
  std::vector<Term> terms;  // as written; the terms of a group flattened in place
  std::vector<Group> groups;
  std::optional<Filter> until;
  uint32_t pos = 0;
};

struct EmitField {
  std::string name;
  uint32_t pos = 0;
  ExprId value = kNoExpr;
};

struct Rule {
  std::string name;
  uint32_t pos = 0;  // position of the name
  bool is_sequence = false;
  Filter filter;      // single-event rule
  Sequence sequence;  // sequence rule
  ExprId having = kNoExpr;
  uint32_t having_pos = 0;
  std::optional<int64_t> suppress_ms;
  uint32_t suppress_pos = 0;
  bool has_emit = false;
  uint32_t emit_pos = 0;
  std::vector<EmitField> emit;
  int clause_dupes = 0;  // having/suppress/emit written more than once (reported by the checker)
  uint32_t dupe_pos = 0;
};

struct Let {
  std::string name;
  uint32_t pos = 0;
  ExprId value = kNoExpr;
};

// `table NAME by KEY from FILTER [row PATH] [delete on FILTER]` (LANGUAGE.md 7); the delete
// filter's `by` is its key path (the table's when absent).
struct Table {
  std::string name;
  uint32_t pos = 0;
  KeyPath key;
  Filter from;
  std::vector<std::string> row;  // empty: the event itself
  uint32_t row_pos = 0;
  bool has_delete = false;
  Filter del;
};

struct ExpectField {
  std::string name;
  std::string json;  // the expected value as JSON text
  uint32_t pos = 0;
};

struct Expect {
  enum class Kind : uint8_t { kOne, kCount, kNone } kind = Kind::kOne;
  uint32_t count = 1;
  std::string rule;
  uint32_t pos = 0;
  std::vector<ExpectField> fields;
};

struct Test {
  std::string name;
  uint32_t pos = 0;
  std::vector<std::string> given;  // one JSON object per event, as written
  std::vector<uint32_t> given_pos;
  std::vector<Expect> expects;
};

// One parsed file. Items keep their file order within each kind; `order` records the
// interleaving (kind, index) for the canonical printer.
struct Ast {
  BigVector<Expr> exprs;  // large: first written in huge pages
  ExprStore store;        // the nodes' children, path segments, text and rare parts
  std::vector<Let> lets;
  BigVector<Rule> rules;
  std::vector<Test> tests;
  std::vector<Table> tables;
  enum class ItemKind : uint8_t { kLet, kRule, kTest, kTable };
  std::vector<std::pair<ItemKind, uint32_t>> order;

  ExprId Add(Expr&& e) {
    exprs.push_back(std::move(e));
    return static_cast<ExprId>(exprs.size() - 1);
  }
};

}  // namespace strix::ql
