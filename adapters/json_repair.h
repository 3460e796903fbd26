// JsonRepair: rewrites valid JSON that simdjson refuses into JSON it accepts, with the values
// strix gives them (docs/language.md, "Events"):
//   * an integer beyond 64 bits (>= 2^64, < -2^63) becomes the nearest double (`.0` appended);
//   * a number beyond the double range (1e400) becomes the largest double of its sign;
//   * a lone UTF-16 surrogate escape (`\ud800` not followed by a low surrogate, or a low one
//     alone) becomes U+FFFD, the replacement character.
// Stage: adapters (decode), the slow path of EventDecoder, run only after simdjson rejected a
// line with a number or string error. Anything else (a syntax error) is left as it is, so the
// second parse fails again and the line is dead-lettered as `bad json`.
// Covered by test/adapters_test.cc.
#pragma once

#include <string>
#include <string_view>

namespace strix::adapters {

// Writes the repaired text into `out` (replacing it). False when nothing needed repair.
bool RepairJson(std::string_view in, std::string& out);

}  // namespace strix::adapters
