// Event time: RFC 3339 parsing and formatting, epoch milliseconds, rule durations.
// Stage: shared (decoder, compiler, engine, output). Interface: ParseRfc3339, FormatRfc3339Ms,
// ParseDuration. Times are int64 milliseconds since the Unix epoch, UTC.
// Covered by test/common_test.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strix {

using TimeMs = int64_t;

// "2026-01-01T00:00:05Z", "2026-01-01T00:00:05.250+02:00" (also 't', 'z', or a space for 'T').
// Fractions below a millisecond are truncated. Returns nullopt when the text is not RFC 3339.
std::optional<TimeMs> ParseRfc3339(std::string_view text);

// "2026-01-01T00:00:05.250Z": always UTC, always three fraction digits.
std::string FormatRfc3339Ms(TimeMs t);
void AppendRfc3339Ms(std::string& out, TimeMs t);

// The longest duration: 9e15 ms (about 285,000 years), the same bound as event times, so a
// time plus a duration always fits in 64 bits.
constexpr int64_t kMaxDurationMs = 9'000'000'000'000'000;

// "250ms", "30s", "10m", "2h", "1d". Returns nullopt on anything else, and on a duration past
// kMaxDurationMs.
std::optional<int64_t> ParseDuration(std::string_view text);

// The inverse of ParseDuration with the largest unit that divides exactly ("90s", "2h").
std::string FormatDuration(int64_t ms);

}  // namespace strix
