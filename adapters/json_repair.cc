// JSON repair for numbers and surrogates simdjson refuses (see json_repair.h).
#include "adapters/json_repair.h"

#include <cerrno>
#include <cstdlib>

namespace strix::adapters {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of a `\uXXXX` escape starting at s[i] (the backslash), or -1.
int Escape16(std::string_view s, size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
  int v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int h = HexValue(s[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Copies the string starting at s[i] (the opening quote) to out; returns the index after it.
size_t CopyString(std::string_view s, size_t i, std::string& out, bool& changed) {
  out.push_back(s[i++]);
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      out.push_back(c);
      return i + 1;
    }
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    int u = Escape16(s, i);
    if (u >= 0xD800 && u <= 0xDBFF) {
      int low = Escape16(s, i + 6);
      if (low >= 0xDC00 && low <= 0xDFFF) {  // a proper pair
        out.append(s.substr(i, 12));
        i += 12;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) {  // a lone surrogate
      out += "\\ufffd";
      changed = true;
      i += 6;
      continue;
    }
    out.push_back(c);  // any other escape: copy the backslash and the character after it
    if (i + 1 < s.size()) out.push_back(s[i + 1]);
    i += 2;
  }
  return i;
}

// Copies the number starting at s[i]; returns the index after it.
size_t CopyNumber(std::string_view s, size_t i, std::string& out, bool& changed) {
  size_t start = i;
  if (s[i] == '-') ++i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  bool integer = true;
  if (i < s.size() && s[i] == '.') {
    integer = false;
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    integer = false;
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  std::string token(s.substr(start, i - start));
  errno = 0;
  double d = std::strtod(token.c_str(), nullptr);
  bool overflow = errno == ERANGE && (d > 1 || d < -1);
  if (overflow) {
    out += token[0] == '-' ? "-1.7976931348623157e308" : "1.7976931348623157e308";
    changed = true;
    return i;
  }
  out += token;
  if (integer) {  // beyond uint64 (or below int64): simdjson refuses it, a double takes it
    errno = 0;
    if (token[0] == '-') {
      (void)std::strtoll(token.c_str(), nullptr, 10);
    } else {
      (void)std::strtoull(token.c_str(), nullptr, 10);
    }
    if (errno == ERANGE) {
      out += ".0";
      changed = true;
    }
  }
  return i;
}

}  // namespace

bool RepairJson(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size() + 16);
  bool changed = false;
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c == '"') {
      i = CopyString(in, i, out, changed);
    } else if (c == '-' || IsDigit(c)) {
      i = CopyNumber(in, i, out, changed);
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return changed;
}

}  // namespace strix::adapters
