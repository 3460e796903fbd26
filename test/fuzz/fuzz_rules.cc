// Fuzz target: the rule front end. Any bytes as a rule file go through parse, check, compile
// and explain (text and dot); nothing may crash, hang or trip the sanitizers, and a file that
// loads must compile (a checked rule the compiler refuses is a bug).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/compile.h"
#include "engine/explain.h"
#include "query-lang/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  strix::ql::CheckedRules rules = strix::ql::LoadRules({{"fuzz.strix", text}});
  (void)rules.FormatDiagnostics();
  if (!rules.ok()) return 0;
  auto prog = strix::engine::Compile(rules, strix::engine::CompileOptions{});
  if (!prog.ok()) std::abort();  // checked rules must compile
  std::string out;
  strix::engine::Explain(rules, **prog, "", strix::engine::ExplainFormat::kText, out);
  strix::engine::Explain(rules, **prog, "", strix::engine::ExplainFormat::kDot, out);
  return 0;
}
