// Matcher: single-event rules (standing searches) over one event at a time.
// Stage: engine (route -> match). Interface: Matcher::Process(). Probes the condition index,
// confirms each candidate with its residual condition, builds the complex event (key,
// emit fields), applies `suppress`, and hands complex events to the sink in rule order.
// Not thread-safe: one Matcher per worker. Covered by test/engine_test.cc.
#pragma once

#include <unordered_map>
#include <vector>

#include "engine/complex_event.h"
#include "engine/evaluate.h"
#include "engine/program.h"

namespace strix::engine {

class Matcher {
 public:
  explicit Matcher(const Program& p);
  void Process(const Event& e, ComplexEventSink& sink, RunStats& stats);

 private:
  const Program& p_;
  index::ProbeScratch scratch_;
  std::vector<index::TermId> candidates_;
  EvalScratch eval_;
  ComplexEvent ce_;
  std::unordered_map<uint64_t, TimeMs> suppressed_until_;  // (rule, key) -> last emit + D
};

// Hash of a rule and key, for suppression state.
uint64_t KeyHash(uint32_t rule, const std::vector<Value>& key);

}  // namespace strix::engine
