// Writing JSON text: escaped strings (invalid UTF-8 becomes U+FFFD), numbers, Values.
// Stage: shared by output writers (adapters/) and diagnostics. Interface: AppendJsonString,
// AppendJsonNumber, AppendJsonValue, DecodeUtf8. Covered by test/common_test.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/value.h"

namespace strix {

void AppendJsonString(std::string& out, std::string_view s);
// Whether AppendJsonString would copy `s` as it is (printable ASCII, no quote or backslash).
bool JsonPlain(std::string_view s);
// Integers print without a fraction ("55000"); others in shortest round-trip form.
void AppendJsonNumber(std::string& out, double d);
// The same text written at `w`, which has kJsonNumberMax bytes of room; returns its end.
constexpr size_t kJsonNumberMax = 32;
char* WriteJsonNumber(char* w, double d);
// Missing prints as null.
void AppendJsonValue(std::string& out, const Value& v);

// One part of a key as keys compare (LANGUAGE.md 3.2: by value, so `7` and `7.0` are one key):
// its JSON text and a line break. A missing or null part makes no key: false, nothing appended.
bool AppendKeyPart(std::string& out, const Value& v);

// Decodes one UTF-8 code point at s[i], advancing i; returns -1 (and advances by one)
// for an invalid byte sequence.
int32_t DecodeUtf8(std::string_view s, size_t& i);

// Number of code points (invalid bytes count one each).
size_t CountCodePoints(std::string_view s);

}  // namespace strix
