// RuleList: what `strix rules` shows of each rule (CLI.md "Live operation"): name, kind,
// event types, key, window, suppression and where it is written. Stage: query-lang (reads the
// checked AST). Interface: ListRules(), FormatRuleList() (text or JSON).
// Covered by test/cli_test.sh ("strix rules").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "query-lang/check.h"

namespace strix::ql {

struct RuleInfo {
  std::string name;
  bool sequence = false;
  std::vector<std::string> types;  // in order of first use; "any" for `any`; the until filter's too
  std::vector<std::string> key;    // the `by` paths (dotted); empty: no key
  std::optional<int64_t> window_ms;
  std::optional<int64_t> suppress_ms;
  std::string file;
  uint32_t line = 0, column = 0;
};

std::vector<RuleInfo> ListRules(const CheckedRules& rules);

// Text: one aligned line per rule ("name  kind  types  by key  within W  suppress S  file:line").
// JSON: an array of objects {"name","kind","types","key","window_ms","suppress_ms","file",
// "line","column"} (absent values are null).
std::string FormatRuleList(const std::vector<RuleInfo>& rules, bool json);

}  // namespace strix::ql
