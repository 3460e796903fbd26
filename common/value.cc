// Equality and ordering of Values under the missing-value rules of LANGUAGE.md 3.3.
#include "common/value.h"

namespace strix {

bool ValuesEqual(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValueKind::kNumber:
      return a.number == b.number;
    case ValueKind::kString:
      return a.text == b.text;
    case ValueKind::kBool:
      return a.boolean == b.boolean;
    default:
      return false;
  }
}

int CompareValues(const Value& a, const Value& b) {
  if (a.kind == ValueKind::kNumber && b.kind == ValueKind::kNumber) {
    if (a.number < b.number) return -1;
    if (a.number > b.number) return 1;
    if (a.number == b.number) return 0;
    return 2;  // NaN cannot arise from JSON, but stay total
  }
  if (a.kind == ValueKind::kString && b.kind == ValueKind::kString) {
    int c = a.text.compare(b.text);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return 2;
}

}  // namespace strix
