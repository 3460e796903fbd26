// Value: one JSON value as seen by rules (missing, null, bool, number, string, array, object).
// Stage: shared by the decoder (adapters/), the evaluator (engine/) and the index (index/).
// Interface: Value, ValuesEqual, CompareValues, plus JSON text helpers in json_text.h.
// Strings are views; whoever builds a Value keeps its bytes alive. Covered by test/common_test.cc.
#pragma once

#include <cstdint>
#include <string_view>

namespace strix {

enum class ValueKind : uint8_t { kMissing, kNull, kBool, kNumber, kString, kArray, kObject };

struct Value {
  ValueKind kind = ValueKind::kMissing;
  bool boolean = false;
  double number = 0;      // numbers; element count for arrays and objects
  std::string_view text;  // strings (unescaped); JSON text for arrays and objects

  static Value Missing() { return Value(); }
  static Value Null() {
    Value v;
    v.kind = ValueKind::kNull;
    return v;
  }
  static Value Bool(bool b) {
    Value v;
    v.kind = ValueKind::kBool;
    v.boolean = b;
    return v;
  }
  static Value Number(double d) {
    Value v;
    v.kind = ValueKind::kNumber;
    v.number = d;
    return v;
  }
  static Value String(std::string_view s) { return {ValueKind::kString, false, 0, s}; }

  bool missing() const { return kind == ValueKind::kMissing; }
  bool is_number() const { return kind == ValueKind::kNumber; }
  bool is_string() const { return kind == ValueKind::kString; }
};

// `==` of the language: numbers numerically, strings byte-wise, booleans; anything else
// (null, missing, mixed types, arrays, objects) is false.
bool ValuesEqual(const Value& a, const Value& b);

// Ordering for `< <= > >=`: -1/0/1 for two numbers or two strings, 2 when not comparable.
int CompareValues(const Value& a, const Value& b);

}  // namespace strix
