// ComplexEventWriter: formats complex events as JSON Lines (LANGUAGE.md 3.4).
// Stage: adapters (sinks). Interface: a ComplexEventSink. Deterministic ids: a hash of the
// rule name and the identities of the matched events, as 16 hex digits.
// Covered by test/adapters_test.cc and the conformance cases.
#pragma once

#include <string>
#include <string_view>
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
  // A rule's constant texts, made when the rule first fires (a program of 100k rules of which
  // few fire does not lay out 100k rules' texts).
  struct RuleText {
    Hasher named;              // the id's hash with the rule name added
    Piece head;                // {"rule":NAME,"time":"
    std::vector<Piece> names;  // per field: [","]"name":
    std::vector<Piece> as;     // per term: `{"as":ALIAS,"id":` (or "event")
  };
  const RuleText& TextOf(uint32_t rule);

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
  // Per rule: 0 until it fires, then 1 + its index in texts_.
  std::vector<uint32_t> text_of_;
  std::vector<RuleText> texts_;
  Piece no_as_;  // `{"as":null,"id":` (or "event") for an event without an alias
  // The time text of the last second formatted ("YYYY-MM-DDTHH:MM:SS."): complex events come
  // in time order, so most share it and only the milliseconds change.
  TimeMs second_ = -1;
  std::string second_text_;  // followed by kSlack bytes
  size_t second_len_ = 0;
};

}  // namespace strix::adapters
