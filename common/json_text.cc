// JSON text output helpers (see json_text.h).
#include "common/json_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

namespace strix {

int32_t DecodeUtf8(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    ++i;
    return c;
  }
  int len;
  int32_t cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    ++i;
    return -1;
  }
  if (i + len > s.size()) {
    ++i;
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  static const int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += len;
  return cp;
}

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    DecodeUtf8(s, i);
    ++n;
  }
  return n;
}

namespace {
// The bytes a JSON string holds as they are: printable ASCII but the quote and the backslash.
constexpr auto kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return t;
}();
}  // namespace

bool JsonPlain(std::string_view s) {
  for (char c : s) {
    if (!kPlain[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // A run of printable ASCII other than quote and backslash is copied in one append.
    size_t run = i;
    while (run < s.size() && kPlain[static_cast<unsigned char>(s[run])]) ++run;
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      ++i;
      continue;
    }
    size_t start = i;
    if (DecodeUtf8(s, i) < 0) {
      out += "\\ufffd";
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  out.push_back('"');
}

char* WriteJsonNumber(char* w, double d) {
  if (!std::isfinite(d)) {
    std::memcpy(w, "null", 4);
    return w + 4;
  }
  if (d > -1e15 && d < 1e15) {  // integers print as such (no call to floor: the cast tells)
    const auto i = static_cast<long long>(d);
    if (static_cast<double>(i) == d) return std::to_chars(w, w + kJsonNumberMax, i).ptr;
  }
  return std::to_chars(w, w + kJsonNumberMax, d).ptr;
}

void AppendJsonNumber(std::string& out, double d) {
  char buf[kJsonNumberMax];
  out.append(buf, WriteJsonNumber(buf, d));
}

bool AppendKeyPart(std::string& out, const Value& v) {
  if (v.missing() || v.kind == ValueKind::kNull) return false;
  AppendJsonValue(out, v);
  out += '\n';
  return true;
}

void AppendJsonValue(std::string& out, const Value& v) {
  switch (v.kind) {
    case ValueKind::kMissing:
    case ValueKind::kNull:
      out += "null";
      break;
    case ValueKind::kBool:
      out += v.boolean ? "true" : "false";
      break;
    case ValueKind::kNumber:
      AppendJsonNumber(out, v.number);
      break;
    case ValueKind::kString:
      AppendJsonString(out, v.text);
      break;
    case ValueKind::kArray:
    case ValueKind::kObject:
      out.append(v.text);
      break;
  }
}

}  // namespace strix
