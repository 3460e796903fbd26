// ComplexEventWriter: formats complex events as JSON Lines (LANGUAGE.md 3.4).
// Stage: adapters (sinks). Interface: a ComplexEventSink. Deterministic ids: a hash of the
// rule name and the identities of the matched events, as 16 hex digits.
// Covered by test/adapters_test.cc and the conformance cases.
#pragma once

#include <string>
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
  // alias_names[rule][term] gives the alias of a sequence term.
  // `out` may be null: then Emit() only formats (see last()).
  ComplexEventWriter(const engine::Program& p, const std::vector<std::string>& sources,
                     OutputEvents mode, Output* out);
  void Emit(const engine::ComplexEvent& ce) override;
  // The JSON line (with its newline) of a complex event.
  const std::string& Format(const engine::ComplexEvent& ce);

 private:
  const engine::Program& p_;
  const std::vector<std::string>& sources_;
  OutputEvents mode_;
  Output* out_;
  std::string line_;
  // The matched events' identities, each once: [ident_at_[i], ident_at_[i + 1]) of idents_.
  std::string idents_;
  std::vector<size_t> ident_at_;
  // Per rule, `{"rule":NAME,"time":"`; per rule and term, `{"as":ALIAS,"id":` (or "event"),
  // and the same for an event without an alias.
  std::vector<std::string> head_;
  std::vector<Hasher> named_;                    // per rule: the id's hash with the rule name added
  std::vector<std::vector<std::string>> names_;  // per rule, per field: [","]"name":
  std::vector<std::vector<std::string>> as_;
  std::string no_as_;
  // The time text of the last second formatted ("YYYY-MM-DDTHH:MM:SS."): complex events come
  // in time order, so most share it and only the milliseconds change.
  TimeMs second_ = -1;
  std::string second_text_;
};

}  // namespace strix::adapters
