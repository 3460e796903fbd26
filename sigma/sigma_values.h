// Sigma field items into strix conditions: one `FIELD|MODIFIER...: VALUE(S)` of a search
// identifier becomes one strix condition (text), with Sigma's meaning: case-insensitive
// matching through lower(), `*` / `?` wildcards (backslash escapes them), the modifiers of
// CLI.md "strix import sigma", lists as `or` (`all`: `and`). String sets, `like` and `in cidr`
// are used where they fit, so that a rule with thousands of alternatives is a handful of index
// entries' worth of tests, not thousands of residual ones.
// Stage: sigma (YAML -> these items -> a condition -> a strix rule). Interface: SigmaValue,
// TranslateFieldItem, StrixPath. Errors as values: the reason a rule cannot be translated.
// Covered by test/sigma_test.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace strix::sigma {

// A scalar of the YAML, as Sigma reads it.
struct SigmaValue {
  enum class Kind { kString, kNumber, kBool, kNull } kind = Kind::kString;
  std::string text;  // as written (numbers and booleans too)
};

// The condition text, or why the item cannot be translated.
struct Translation {
  std::string condition;
  std::string error;  // non-empty: not translated
};

// `key` is the item's key as written (`CommandLine|contains|all`); `values` its one or more
// values (a YAML list gives several).
Translation TranslateFieldItem(const std::string& key, const std::vector<SigmaValue>& values);

// A Sigma field name as a strix path: dots separate nested objects; a segment that is not a
// plain name (or is a reserved word) is written in backticks. Empty when it cannot be written.
std::string StrixPath(const std::string& field);

// A strix name made of `text`: other characters than letters, digits and `_` become `_`; a
// name that would start with a digit or be a reserved word gets the prefix `sigma_`.
std::string StrixName(const std::string& text);

// Whether `text` can be written as a bare strix name (letters, digits, `_`, not starting with
// a digit, not a reserved word); otherwise it goes in backticks.
bool IsPlainName(const std::string& text);

// Pieces of strix text shared by the translation stages: a string literal, and one condition
// or several joined by `op` ("and", "or") in parentheses.
std::string StrixString(const std::string& s);
std::string JoinConditions(const std::vector<std::string>& parts, const char* op);

}  // namespace strix::sigma
