// Sigma field items into strix conditions (see sigma_values.h).
#include "sigma/sigma_values.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>

#include "common/json_text.h"
#include "common/network.h"
#include "query-lang/parse.h"

namespace strix::sigma {
namespace {

// One character of a Sigma string: a literal byte, `*` (any run) or `?` (one character).
struct Tok {
  enum Kind : uint8_t { kLit, kStar, kOne } kind;
  char c = 0;
};
using Toks = std::vector<Tok>;

// Sigma's escapes: a backslash before `*`, `?` or a backslash makes it literal; any other
// backslash is itself.
Toks ParseWildcards(const std::string& s) {
  Toks out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
      out.push_back({Tok::kLit, s[++i]});
    } else if (c == '*') {
      out.push_back({Tok::kStar});
    } else if (c == '?') {
      out.push_back({Tok::kOne});
    } else {
      out.push_back({Tok::kLit, c});
    }
  }
  return out;
}

Toks Literal(const std::string& s) {
  Toks out;
  for (char c : s) out.push_back({Tok::kLit, c});
  return out;
}

bool HasWildcard(const Toks& t) {
  return std::any_of(t.begin(), t.end(), [](const Tok& k) { return k.kind != Tok::kLit; });
}

std::string LiteralText(const Toks& t) {
  std::string s;
  for (const Tok& k : t) s.push_back(k.c);
  return s;
}

// ---- encodings (base64, UTF-16) -------------------------------------------------------

std::string Utf16(const std::string& s, bool big_endian, bool bom) {
  std::string out;
  auto unit = [&](uint16_t u) {
    char lo = static_cast<char>(u & 0xFF), hi = static_cast<char>(u >> 8);
    if (big_endian) {
      out.push_back(hi);
      out.push_back(lo);
    } else {
      out.push_back(lo);
      out.push_back(hi);
    }
  };
  if (bom) unit(0xFEFF);
  for (size_t i = 0; i < s.size();) {
    const size_t at = i;
    int32_t decoded = DecodeUtf8(s, i);  // a byte that starts no character stands for itself
    char32_t cp = decoded < 0 ? static_cast<unsigned char>(s[at]) : static_cast<char32_t>(decoded);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(static_cast<uint16_t>(0xD800 + (cp >> 10)));
      unit(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      unit(static_cast<uint16_t>(cp));
    }
  }
  return out;
}

std::string Base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// The three encodings of `bytes` as it may stand at any offset inside a longer base64 text:
// the characters that depend on the unknown neighbours are cut off.
std::vector<std::string> Base64Offsets(const std::string& bytes) {
  static const size_t kStart[3] = {0, 2, 3};
  static const size_t kCutEnd[3] = {0, 3, 2};
  std::vector<std::string> out;
  for (size_t i = 0; i < 3; ++i) {
    std::string enc = Base64(std::string(i, ' ') + bytes);
    size_t end = enc.size() - kCutEnd[(bytes.size() + i) % 3];
    if (end > kStart[i]) out.push_back(enc.substr(kStart[i], end - kStart[i]));
  }
  return out;
}

// ---- windash --------------------------------------------------------------------------

constexpr size_t kMaxWindashFlags = 4;  // 5^4 = 625 variants of one value at most

// Every `-` or `/` that starts a word (a command-line flag) in each of its spellings: `-`,
// `/`, en dash, em dash, horizontal bar; all combinations.
std::optional<std::vector<Toks>> Windash(const Toks& t) {
  static const char* kDashes[] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};
  std::vector<size_t> at;
  for (size_t i = 0; i < t.size(); ++i) {
    bool word_start = i == 0 ||
                      (t[i - 1].kind == Tok::kLit && (t[i - 1].c == ' ' || t[i - 1].c == '\t')) ||
                      t[i - 1].kind == Tok::kStar;
    if (t[i].kind == Tok::kLit && (t[i].c == '-' || t[i].c == '/') && word_start) at.push_back(i);
  }
  if (at.size() > kMaxWindashFlags) return std::nullopt;
  std::vector<Toks> out;
  size_t variants = 1;
  for (size_t k = 0; k < at.size(); ++k) variants *= 5;
  for (size_t v = 0; v < variants; ++v) {
    Toks x;
    size_t code = v, next = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      if (next < at.size() && at[next] == i) {
        for (const char* p = kDashes[code % 5]; *p; ++p) x.push_back({Tok::kLit, *p});
        code /= 5;
        ++next;
      } else {
        x.push_back(t[i]);
      }
    }
    out.push_back(std::move(x));
  }
  return out;
}

// ---- output ---------------------------------------------------------------------------

std::string QuoteList(const std::vector<std::string>& items) {
  std::string o = "[";
  for (size_t i = 0; i < items.size(); ++i) o += (i ? ", " : "") + items[i];
  return o + "]";
}

// A regex for strix's /.../ from wildcard tokens: anchored, `*` -> `.*`, `?` -> `.`.
std::string RegexOf(const Toks& t) {
  std::string re = "^";
  for (const Tok& k : t) {
    if (k.kind == Tok::kStar) {
      re += ".*";
    } else if (k.kind == Tok::kOne) {
      re += ".";
    } else if (k.c == '\n') {
      re += "\\n";
    } else if (k.c == '\r') {
      re += "\\r";
    } else {
      if (std::string_view("\\.+*?()|[]{}^$/").find(k.c) != std::string_view::npos) re += '\\';
      re += k.c;
    }
  }
  return re + "$";
}

// What one matching value says of the field, by shape.
struct Shapes {
  std::vector<std::string> eq, contains, starts, ends;  // quoted literals
  std::vector<std::string> other;                       // whole conditions
  bool any_value = false;
};

void Classify(Toks t, const std::string& subject, const std::string& path, Shapes& s) {
  if (!HasWildcard(t)) {
    s.eq.push_back(StrixString(LiteralText(t)));
    return;
  }
  // Stars in a row are one star.
  Toks c;
  for (const Tok& k : t) {
    if (k.kind == Tok::kStar && !c.empty() && c.back().kind == Tok::kStar) continue;
    c.push_back(k);
  }
  bool lead = c.front().kind == Tok::kStar, trail = c.back().kind == Tok::kStar;
  Toks body(c.begin() + (lead ? 1 : 0), c.end() - (trail && c.size() > 1 ? 1 : 0));
  if (body.empty() || (c.size() == 1 && lead)) {
    s.any_value = true;  // `*`: any value at all
    return;
  }
  if (!HasWildcard(body)) {
    std::string lit = StrixString(LiteralText(body));
    (lead && trail ? s.contains : lead ? s.ends : s.starts).push_back(lit);
    return;
  }
  bool literal_wildcard = std::any_of(c.begin(), c.end(), [](const Tok& k) {
    return k.kind == Tok::kLit && (k.c == '*' || k.c == '?');
  });
  if (!literal_wildcard) {
    std::string glob;
    for (const Tok& k : c)
      glob.push_back(k.kind == Tok::kStar ? '*' : k.kind == Tok::kOne ? '?' : k.c);
    s.other.push_back(subject + " like " + StrixString(glob));
  } else {
    s.other.push_back(path + " =~ /" + RegexOf(c) + "/s" + (subject == path ? "" : "i"));
  }
}

// The conditions of a set of shapes: string sets where the shape allows, the rest one by one.
void Emit(const Shapes& s, const std::string& subject, const std::string& path, bool all,
          std::vector<std::string>& out) {
  const char* mode = all ? " all " : " any ";
  if (s.any_value) out.push_back(path + " is not null");
  if (!s.eq.empty()) {
    if (s.eq.size() == 1) {
      out.push_back(subject + " == " + s.eq[0]);
    } else if (!all) {
      out.push_back(subject + " in " + QuoteList(s.eq));
    } else {
      for (const std::string& e : s.eq) out.push_back(subject + " == " + e);
    }
  }
  auto set = [&](const std::vector<std::string>& lits, const char* op) {
    if (lits.empty()) return;
    if (lits.size() == 1)
      out.push_back(subject + " " + op + " " + lits[0]);
    else
      out.push_back(subject + " " + op + mode + QuoteList(lits));
  };
  set(s.contains, "contains");
  set(s.starts, "startswith");
  set(s.ends, "endswith");
  for (const std::string& o : s.other) out.push_back(o);
}

bool IsNumber(const std::string& s) {
  static const RE2 kNumber("-?(0|[1-9][0-9]*)(\\.[0-9]+)?");
  return RE2::FullMatch(s, kNumber);
}

char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string StrixString(const std::string& s) {
  std::string o;
  AppendJsonString(o, s);
  return o;
}

std::string JoinConditions(const std::vector<std::string>& parts, const char* op) {
  if (parts.size() == 1) return parts[0];
  std::string o = "(";
  for (size_t i = 0; i < parts.size(); ++i) o += (i ? std::string(" ") + op + " " : "") + parts[i];
  return o + ")";
}

bool IsPlainName(const std::string& text) {
  return !text.empty() && !(text[0] >= '0' && text[0] <= '9') && !ql::IsReserved(text) &&
         std::all_of(text.begin(), text.end(), NameChar);
}

std::string StrixName(const std::string& text) {
  std::string n;
  for (char c : text) n.push_back(NameChar(c) ? c : '_');
  return IsPlainName(n) ? n : "sigma_" + n;
}

std::string StrixPath(const std::string& field) {
  std::string out;
  size_t at = 0;
  while (true) {
    size_t dot = field.find('.', at);
    std::string seg = field.substr(at, dot == std::string::npos ? std::string::npos : dot - at);
    if (seg.empty() || seg.find('`') != std::string::npos || seg.find('\n') != std::string::npos)
      return "";
    if (!out.empty()) out += ".";
    out += IsPlainName(seg) ? seg : "`" + seg + "`";
    if (dot == std::string::npos) return out;
    at = dot + 1;
  }
}

Translation TranslateFieldItem(const std::string& key, const std::vector<SigmaValue>& values) {
  auto fail = [](std::string why) { return Translation{"", std::move(why)}; };
  std::vector<std::string> parts;
  size_t bar = key.find('|');
  std::string field = key.substr(0, bar);
  std::vector<std::string> mods;
  for (size_t at = bar; at != std::string::npos;) {
    size_t next = key.find('|', at + 1);
    mods.push_back(
        key.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1));
    at = next;
  }
  if (field.empty()) return fail("a keyword search with modifiers ('" + key + "') has no field");
  const std::string path = StrixPath(field);
  if (path.empty()) return fail("the field name '" + field + "' cannot be written in strix");
  if (values.empty()) return fail("the field '" + field + "' has an empty list of values");

  bool all = false, cased = false, re = false, cidr = false, exists = false, fieldref = false;
  std::string compare, match, re_flags;  // gt/gte/lt/lte; contains/startswith/endswith
  std::vector<std::string> encodings;    // wide, base64, ... in written order
  bool windash = false;
  for (const std::string& m : mods) {
    if (m == "all") {
      all = true;
    } else if (m == "cased") {
      cased = true;
    } else if (m == "contains" || m == "startswith" || m == "endswith") {
      if (!match.empty()) return fail("two match modifiers ('" + match + "', '" + m + "')");
      match = m;
    } else if (m == "re") {
      re = true;
    } else if (m == "i" || m == "m" || m == "s") {
      if (!re) return fail("the modifier '" + m + "' only follows 're'");
      re_flags += m;
    } else if (m == "cidr") {
      cidr = true;
    } else if (m == "exists") {
      exists = true;
    } else if (m == "fieldref") {
      fieldref = true;
    } else if (m == "gt" || m == "gte" || m == "lt" || m == "lte") {
      compare = m;
    } else if (m == "windash") {
      windash = true;
    } else if (m == "base64" || m == "base64offset" || m == "wide" || m == "utf16le" ||
               m == "utf16be" || m == "utf16") {
      encodings.push_back(m);
    } else if (m == "expand") {
      return fail("placeholders ('|expand') are not supported");
    } else {
      return fail("the modifier '" + m + "' is not supported");
    }
  }
  const int kinds = re + cidr + exists + fieldref + !compare.empty();
  if (kinds > 1) return fail("the modifiers of '" + key + "' do not combine");
  if (kinds == 1 && (!match.empty() || windash || !encodings.empty()))
    return fail("the modifiers of '" + key + "' do not combine");
  for (const SigmaValue& v : values) {
    if (v.kind == SigmaValue::Kind::kNull && (kinds || !match.empty() || !encodings.empty()))
      return fail("'" + key + "' has a null value, which its modifiers cannot take");
  }
  const char* join = all ? "and" : "or";

  if (exists) {
    if (values.size() != 1 || values[0].kind != SigmaValue::Kind::kBool)
      return fail("'" + key + "' needs one value, true or false");
    bool yes = values[0].text == "true" || values[0].text == "True" || values[0].text == "TRUE";
    return {(yes ? "exists " : "not exists ") + path, ""};
  }
  if (re) {
    for (const SigmaValue& v : values) {
      std::string pattern;  // strix regexes: `/` written `\/`, no line breaks
      int backslashes = 0;
      for (char c : v.text) {
        if (c == '/' && backslashes % 2 == 0) pattern += '\\';
        if (c == '\n') {
          pattern += "\\n";
        } else if (c == '\r') {
          pattern += "\\r";
        } else {
          pattern += c;
        }
        backslashes = c == '\\' ? backslashes + 1 : 0;
      }
      std::string flags;
      for (char f : re_flags) {
        if (flags.find(f) == std::string::npos) flags += f;
      }
      RE2::Options opts;
      opts.set_log_errors(false);
      RE2 check(flags.empty() ? v.text : "(?" + flags + ")" + v.text, opts);
      if (!check.ok())
        return fail("the regex '" + v.text + "' is not RE2 syntax: " + check.error());
      parts.push_back(path + " =~ /" + pattern + "/" + flags);
    }
    return {JoinConditions(parts, join), ""};
  }
  if (cidr) {
    std::vector<std::string> nets;
    for (const SigmaValue& v : values) {
      std::string why;
      if (!ParseIpNetwork(v.text, &why)) return fail("bad network in '" + key + "': " + why);
      nets.push_back(StrixString(v.text));
    }
    if (all) return fail("'cidr' with 'all' (an address in every network) is not supported");
    return {path + " in cidr " + QuoteList(nets), ""};
  }
  if (fieldref) {
    for (const SigmaValue& v : values) {
      std::string other = StrixPath(v.text);
      if (other.empty()) return fail("the field name '" + v.text + "' cannot be written in strix");
      parts.push_back(path + " == " + other);
    }
    return {JoinConditions(parts, join), ""};
  }
  if (!compare.empty()) {
    const char* op = compare == "gt" ? ">" : compare == "gte" ? ">=" : compare == "lt" ? "<" : "<=";
    for (const SigmaValue& v : values) {
      if (!IsNumber(v.text)) return fail("'" + key + "' needs numbers, found '" + v.text + "'");
      parts.push_back(path + " " + op + " " + v.text);
    }
    return {JoinConditions(parts, join), ""};
  }

  // String matching: encodings, windash, the match modifier, case, then the shapes.
  const bool encoded = !encodings.empty();
  const bool insensitive = !cased && !encoded;  // base64 text is matched as it is
  const std::string subject = insensitive ? "lower(" + path + ")" : path;
  Shapes strings;
  std::vector<std::string> numbers;
  for (const SigmaValue& v : values) {
    if (v.kind == SigmaValue::Kind::kNull) {
      parts.push_back(path + " is null");
      continue;
    }
    if (v.kind == SigmaValue::Kind::kBool && match.empty() && !encoded && !windash) {
      parts.push_back(path + " == " + (v.text == "true" || v.text == "True" ? "true" : "false"));
      continue;
    }
    if (v.kind == SigmaValue::Kind::kNumber && IsNumber(v.text) && match.empty() && !encoded &&
        !windash) {
      numbers.push_back(v.text);
      numbers.push_back(StrixString(v.text));
      continue;
    }
    std::vector<Toks> variants;
    if (encoded) {
      Toks parsed = ParseWildcards(v.text);
      if (HasWildcard(parsed))
        return fail("'" + key + "' encodes a value with wildcards ('" + v.text + "')");
      std::vector<std::string> texts = {LiteralText(parsed)};
      for (const std::string& e : encodings) {
        std::vector<std::string> next;
        for (const std::string& t : texts) {
          if (e == "base64") {
            next.push_back(Base64(t));
          } else if (e == "base64offset") {
            for (std::string& o : Base64Offsets(t)) next.push_back(std::move(o));
          } else {
            next.push_back(Utf16(t, e == "utf16be", e == "utf16"));
          }
        }
        texts = std::move(next);
      }
      for (const std::string& t : texts) {
        if (t.find('\0') != std::string::npos)
          return fail("'" + key + "' encodes to UTF-16 but not then to base64");
        variants.push_back(Literal(t));
      }
    } else {
      variants.push_back(ParseWildcards(v.text));
    }
    if (windash) {
      std::vector<Toks> dashed;
      for (const Toks& t : variants) {
        auto d = Windash(t);
        if (!d)
          return fail("'windash' on '" + v.text + "': more than " +
                      std::to_string(kMaxWindashFlags) + " flags to spell five ways each");
        for (Toks& x : *d) dashed.push_back(std::move(x));
      }
      variants = std::move(dashed);
    }
    for (Toks& t : variants) {
      if (match == "contains" || match == "endswith") t.insert(t.begin(), Tok{Tok::kStar});
      if (match == "contains" || match == "startswith") t.push_back(Tok{Tok::kStar});
      if (insensitive) {
        for (Tok& k : t) k.c = AsciiLower(k.c);
      }
    }
    if (all && variants.size() > 1) {
      // The spellings of one value (windash, base64offset) are alternatives, even under `all`.
      Shapes one;
      for (const Toks& t : variants) Classify(t, subject, path, one);
      std::vector<std::string> alt;
      Emit(one, subject, path, false, alt);
      parts.push_back(JoinConditions(alt, "or"));
      continue;
    }
    for (const Toks& t : variants) Classify(t, subject, path, strings);
  }
  if (!numbers.empty()) parts.push_back(path + " in " + QuoteList(numbers));
  Emit(strings, subject, path, all, parts);
  return {JoinConditions(parts, join), ""};
}

}  // namespace strix::sigma
