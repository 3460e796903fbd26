// RFC 3339 and duration parsing/formatting (see time.h).
// Civil-date arithmetic uses the proleptic Gregorian calendar with era-based day counting.
#include "common/time.h"

#include <charconv>
#include <cstdio>

namespace strix {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool LeapYear(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

}  // namespace

std::optional<TimeMs> ParseRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, month) ||
      s[7] != '-' || !Digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !Digits(s, 11, 2, hour) || s[13] != ':' || !Digits(s, 14, 2, minute) || s[16] != ':' ||
      !Digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  int max_day = kDays[month - 1] + (month == 2 && LeapYear(year) ? 1 : 0);
  if (day > max_day || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  if (second == 60) second = 59;  // a leap second folds onto the second before it
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_min * 60;
  return secs * 1000 + millis;
}

void AppendRfc3339Ms(std::string& out, TimeMs t) {
  int64_t days = t >= 0 ? t / 86400000 : -((-t + 86399999) / 86400000);
  int64_t rem = t - days * 86400000;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  if (y >= 0 && y <= 9999) {  // every complex event has one: digits written directly
    char b[25] = "0000-00-00T00:00:00.000Z";
    auto put = [&](int at, int64_t v, int width) {
      for (int i = at + width - 1; i >= at; --i, v /= 10) b[i] = static_cast<char>('0' + v % 10);
    };
    put(0, y, 4);
    put(5, m, 2);
    put(8, d, 2);
    put(11, rem / 3600000, 2);
    put(14, rem / 60000 % 60, 2);
    put(17, rem / 1000 % 60, 2);
    put(20, rem % 1000, 3);
    out.append(b, 24);
    return;
  }
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                        static_cast<long long>(y), m, d, static_cast<int>(rem / 3600000),
                        static_cast<int>(rem / 60000 % 60), static_cast<int>(rem / 1000 % 60),
                        static_cast<int>(rem % 1000));
  out.append(buf, static_cast<size_t>(n));
}

std::string FormatRfc3339Ms(TimeMs t) {
  std::string s;
  AppendRfc3339Ms(s, t);
  return s;
}

std::optional<int64_t> ParseDuration(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0 || i > 15) return std::nullopt;
  int64_t n = 0;
  std::from_chars(s.data(), s.data() + i, n);
  std::string_view unit = s.substr(i);
  int64_t scale = unit == "ms"  ? 1
                  : unit == "s" ? 1000
                  : unit == "m" ? 60000
                  : unit == "h" ? 3600000
                  : unit == "d" ? 86400000
                                : 0;
  if (scale == 0 || n > kMaxDurationMs / scale) return std::nullopt;  // does not fit
  return n * scale;
}

std::string FormatDuration(int64_t ms) {
  struct Unit {
    int64_t ms;
    const char* name;
  };
  static const Unit kUnits[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  for (const Unit& u : kUnits) {
    if (ms != 0 && ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

}  // namespace strix
