// Sigma detection conditions into strix conditions: `and`, `or`, `not`, parentheses,
// `1 of PATTERN`, `all of PATTERN` (`*` in the pattern; `any of` is `1 of`), `1 of them`,
// `all of them` (`them`: every search identifier not starting with `_`), over the search
// identifiers already translated. Precedence: `not`, then `and`, then `or`. Aggregations
// (`| count() ...`) and anything else are errors.
// Stage: sigma. Interface: TranslateCondition. Covered by test/sigma_test.cc.
#pragma once

#include <map>
#include <string>

namespace strix::sigma {

struct ConditionResult {
  std::string condition;  // strix text
  std::string error;      // non-empty: not translated
};

// `searches`: each search identifier of the detection and its strix condition.
ConditionResult TranslateCondition(const std::string& condition,
                                   const std::map<std::string, std::string>& searches);

}  // namespace strix::sigma
