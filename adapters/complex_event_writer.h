// ComplexEventWriter: formats complex events as JSON Lines (LANGUAGE.md 3.4).
// Stage: adapters (sinks). Interface: a ComplexEventSink. Deterministic ids: a hash of the
// rule name and the identities of the matched events, as 16 hex digits.
// Covered by test/adapters_test.cc and the conformance cases.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapters/output.h"
#include "common/hash.h"
#include "engine/complex_event.h"
#include "engine/program.h"

namespace strix::adapters {

enum class OutputEvents { kFull, kIds, kNone };

// The `key` member of a complex event (LANGUAGE.md 3.4): null without `by`, the value, or an
// array for a composite key.
void AppendKeyJson(std::string& out, const std::vector<Value>& key);
// The `fields` member: the emit block as a JSON object, in its order.
void AppendFieldsJson(std::string& out, const engine::CompiledRule& rule,
                      const std::vector<Value>& fields);

// The identity of an event (LANGUAGE.md 1): its id field, else SOURCE:LINE.
void AppendIdentity(std::string& out, const Event& e, const std::vector<std::string>& sources);

class ComplexEventWriter : public engine::ComplexEventSink {
 public:
  // The aliases come from the program's rules (CompiledRule::aliases, per term).
  // `out` may be null: then Emit() only formats (callers use Format() directly).
  ComplexEventWriter(const engine::Program& p, const std::vector<std::string>& sources,
                     OutputEvents mode, Output* out);
  void Emit(const engine::ComplexEvent& ce) override;
  // The JSON line (with its newline) of a complex event; valid until the next call.
  std::string_view Format(const engine::ComplexEvent& ce);

 private:
  // A constant piece of text in pieces_: [at, at + len).
  struct Piece {
    uint32_t at = 0, len = 0;
  };
  Piece AddPiece(std::string_view text);
  // `{"as":ALIAS,"id":` (or "event"); ALIAS "" is null.
  Piece AsPiece(const std::string& alias);
  // The piece of `text`, added once: equal texts (aliases, field names) share one piece.
  Piece SharedPiece(const std::string& text);
  // A rule's constant texts, made when the rule first fires. One cache line per rule (64 bytes
  // a rule, 6.4 MB for 100k), indexed by rule: a line of a rule firing at random among 100k
  // costs one cache miss here, not three (a directory, a record, then the pieces). The head
  // sits in the line when it fits; longer texts are pieces.
  static constexpr size_t kInlineHead = 36;
  struct alignas(64) RuleText {
    Hasher named;        // the id's hash with the rule name added
    uint32_t names = 0;  // first of its fields' pieces in name_pieces_
    uint32_t as = 0;     // first of its terms' pieces in as_pieces_
    Piece head_piece;    // {"rule":NAME,"time":" when longer than kInlineHead
    // The head's length when inline; kInlineHead + 1 when it is head_piece; 0: not made yet
    // (a head is never empty).
    uint16_t head_len = 0;
    char head[kInlineHead]{};  // the head when it fits (read kSlack bytes at a time)
    const char* Head(const std::string& pieces) const {
      return head_len <= kInlineHead ? head : pieces.data() + head_piece.at;
    }
    size_t HeadLength() const { return head_len <= kInlineHead ? head_len : head_piece.len; }
  };
  static_assert(sizeof(RuleText) == 64);
  const RuleText& TextOf(uint32_t rule) {
    const RuleText& t = texts_[rule];
    return t.head_len ? t : MakeText(rule);
  }
  const RuleText& MakeText(uint32_t rule);

  const engine::Program& p_;
  const std::vector<std::string>& sources_;
  OutputEvents mode_;
  Output* out_;
  // The line is written with a cursor into buf_, sized once for the whole line beforehand.
  std::vector<char> buf_;
  // The matched events' identities, each once: [ident_at_[i], ident_at_[i + 1]) of idents_.
  // idents_ only grows, and keeps kSlack bytes past the last identity.
  std::vector<char> idents_;
  std::vector<size_t> ident_at_;
  // The key and fields members (values of the complex event), and escaped identities.
  std::string values_, escaped_;
  struct Body {  // what follows an event's `{"as":...,"id":` (or "event":)
    enum From : uint8_t { kIdent, kEscaped, kRaw } from;  // idents_ quoted, escaped_, the line
    size_t at, len;                                       // len: as written (with the quotes)
  };
  std::vector<Body> bodies_;
  // Every constant piece, each followed by kSlack bytes (short ones are copied in one move).
  std::string pieces_;
  std::vector<RuleText> texts_;  // per rule
  std::vector<Piece> name_pieces_, as_pieces_;
  std::unordered_map<std::string, Piece> shared_;  // SharedPiece's pieces by text
  Piece no_as_;  // `{"as":null,"id":` (or "event") for an event without an alias
  // The time text of the last second formatted ("YYYY-MM-DDTHH:MM:SS."): complex events come
  // in time order, so most share it and only the milliseconds change.
  TimeMs second_ = -1;
  std::string second_text_;  // followed by kSlack bytes
  size_t second_len_ = 0;
};

}  // namespace strix::adapters
