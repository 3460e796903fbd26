// A slow, literal reference for sequence rules (test-only): LANGUAGE.md 3.2 and section 4
// applied step by step to a whole recorded stream, with every rule seeing every event, the
// conditions walked on the JSON (reference_eval.h), aggregates recomputed from the bound
// events, deadlines found by scanning every partial match, and lateness and the processing
// order worked out on the whole stream up front. Differential tests hold the engine to it.
// Scope: header `by` keys only (no per-term `by`), no `any` terms, integer `ts` in events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/complex_event.h"
#include "engine/program.h"
#include "query-lang/check.h"

namespace strix::test {

struct RefOut {
  size_t rule = 0;
  int64_t time = 0;
  std::string key;     // JSON: null, a value or an array
  std::string fields;  // JSON object of the emit block
  std::string events;  // "alias@line alias@line ..." (line from 1, alias "-" when none)
  bool operator==(const RefOut& o) const {
    return rule == o.rule && time == o.time && key == o.key && fields == o.fields &&
           events == o.events;
  }
};

// The engine's complex event in the reference's form (events as "alias@line").
RefOut FromComplexEvent(const engine::Program& p, const engine::ComplexEvent& ce);

struct RefOptions {
  int64_t max_delay_ms = 0;
  size_t max_partial_matches = 10000;
};

// A sink that counts complex events and, when `record`, keeps them in the reference's form
// (benchmarks compare a prefix with the reference, then count).
struct RefSink : engine::ComplexEventSink {
  const engine::Program* p = nullptr;
  bool record = false;
  size_t count = 0;
  std::vector<RefOut> got;
  void Emit(const engine::ComplexEvent& ce) override {
    ++count;
    if (record) got.push_back(FromComplexEvent(*p, ce));
  }
};

// Complex events of the sequence rules over `lines` (JSON objects), in output order; `late`
// receives the lines (from 1) that were late.
std::vector<RefOut> ReferenceSequences(const ql::CheckedRules& rules,
                                       const std::vector<std::string>& lines,
                                       const RefOptions& opts, std::vector<size_t>* late);

}  // namespace strix::test
