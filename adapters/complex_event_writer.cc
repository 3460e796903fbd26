// Complex-event JSON formatting (see complex_event_writer.h).
#include "adapters/complex_event_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "common/hash.h"
#include "common/json_text.h"

namespace strix::adapters {
namespace {

// Each byte's two lower-case hex digits.
constexpr auto kHexPairs = [] {
  std::array<std::array<char, 2>, 256> t{};
  for (size_t b = 0; b < 256; ++b) t[b] = {"0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15]};
  return t;
}();

// Constant pieces and padded texts are followed by this many readable bytes, and the line
// has this much room past its bound: a piece that short is copied in one fixed-size move.
constexpr size_t kSlack = 32;

// Copies `n` bytes of `src` to `w` and returns the end. `padded`: kSlack bytes are readable
// from `src` (a constant piece or a padded text).
inline char* Put(char* w, const char* src, size_t n, bool padded) {
  if (padded && n <= kSlack) {
    std::memcpy(w, src, kSlack);
  } else {
    std::memcpy(w, src, n);
  }
  return w + n;
}

}  // namespace

void AppendKeyJson(std::string& out, const std::vector<Value>& key) {
  if (key.empty()) {
    out += "null";
    return;
  }
  if (key.size() == 1) {
    AppendJsonValue(out, key[0]);
    return;
  }
  out += '[';
  for (size_t i = 0; i < key.size(); ++i) {
    if (i) out += ',';
    AppendJsonValue(out, key[i]);
  }
  out += ']';
}

void AppendFieldsJson(std::string& out, const engine::CompiledRule& rule,
                      const std::vector<Value>& fields) {
  out += '{';
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, rule.emit_names[i]);
    out += ':';
    AppendJsonValue(out, fields[i]);
  }
  out += '}';
}

namespace {

// The most bytes WriteIdentity writes for `e`, whose id field is `id`.
size_t IdentityBound(const EventHead& e, const Value& id, const std::vector<std::string>& sources) {
  switch (id.kind) {
    case ValueKind::kMissing:
      return sources[e.source].size() + 1 + 20;  // SOURCE:LINE
    case ValueKind::kNumber:
      return kJsonNumberMax;
    case ValueKind::kNull:
    case ValueKind::kBool:
      return 5;
    default:
      return id.text.size();
  }
}

// The identity of `e` (see AppendIdentity) at `w`, which has IdentityBound bytes of room.
char* WriteIdentity(char* w, const EventHead& e, const Value& id,
                    const std::vector<std::string>& sources) {
  switch (id.kind) {
    case ValueKind::kMissing: {
      const std::string& source = sources[e.source];
      std::memcpy(w, source.data(), source.size());
      w += source.size();
      *w++ = ':';
      return std::to_chars(w, w + 20, e.line).ptr;
    }
    case ValueKind::kNumber:
      return WriteJsonNumber(w, id.number);
    case ValueKind::kNull:
      std::memcpy(w, "null", 4);
      return w + 4;
    case ValueKind::kBool:
      std::memcpy(w, id.boolean ? "true" : "false", id.boolean ? 4 : 5);
      return w + (id.boolean ? 4 : 5);
    default:  // a string as it is (escaped by the caller); arrays and objects as their JSON text
      std::memcpy(w, id.text.data(), id.text.size());
      return w + id.text.size();
  }
}

}  // namespace

void AppendIdentity(std::string& out, const Event& e, const std::vector<std::string>& sources) {
  const size_t at = out.size();
  out.resize(at + IdentityBound(e, e.id_field(), sources));
  out.resize(
      static_cast<size_t>(WriteIdentity(out.data() + at, e, e.id_field(), sources) - out.data()));
}

ComplexEventWriter::ComplexEventWriter(const engine::Program& p,
                                       const std::vector<std::string>& sources, OutputEvents mode,
                                       Output* out)
    : p_(p), sources_(sources), mode_(mode), out_(out), texts_(p.rules.size()) {
  no_as_ = AsPiece("");
}

ComplexEventWriter::Piece ComplexEventWriter::AsPiece(const std::string& alias) {
  std::string a = "{\"as\":";
  if (alias.empty()) {  // a term (or rule) without one
    a += "null";
  } else {
    AppendJsonString(a, alias);
  }
  a += mode_ == OutputEvents::kIds ? ",\"id\":" : ",\"event\":";
  return SharedPiece(a);
}

const ComplexEventWriter::RuleText& ComplexEventWriter::MakeText(uint32_t rule) {
  const engine::CompiledRule& r = p_.rules[rule];
  RuleText& t = texts_[rule];
  t.named = Hasher().Add(r.name);
  std::string h = "{\"rule\":";
  AppendJsonString(h, r.name);
  h += ",\"time\":\"";
  if (h.size() <= kInlineHead) {
    std::memcpy(t.head, h.data(), h.size());
  } else {
    t.head_piece = AddPiece(h);
  }
  t.names = static_cast<uint32_t>(name_pieces_.size());
  for (size_t i = 0; i < r.emit_names.size(); ++i) {
    std::string n;
    if (i) n += ',';
    AppendJsonString(n, r.emit_names[i]);
    n += ':';
    name_pieces_.push_back(SharedPiece(n));
  }
  t.as = static_cast<uint32_t>(as_pieces_.size());
  for (const std::string& alias : r.aliases) as_pieces_.push_back(AsPiece(alias));
  // Last: marks it made.
  t.head_len = static_cast<uint16_t>(std::min(h.size(), kInlineHead + 1));
  return t;
}

ComplexEventWriter::Piece ComplexEventWriter::AddPiece(std::string_view text) {
  const Piece piece{static_cast<uint32_t>(pieces_.size()), static_cast<uint32_t>(text.size())};
  pieces_.append(text);
  pieces_.append(kSlack, '\0');
  return piece;
}

ComplexEventWriter::Piece ComplexEventWriter::SharedPiece(const std::string& text) {
  auto [it, fresh] = shared_.try_emplace(text);
  if (fresh) it->second = AddPiece(text);
  return it->second;
}

void ComplexEventWriter::Emit(const engine::ComplexEvent& ce) {
  const std::string_view line = Format(ce);
  if (out_) out_->Write(line);
}

std::string_view ComplexEventWriter::Format(const engine::ComplexEvent& ce) {
  // 1. The identities, and the id: a hash of the rule name, the identities and the time.
  const size_t n = ce.events.size();
  size_t need = kSlack;
  for (const engine::MatchedEvent& m : ce.events)
    need += IdentityBound(*m.event, m.id_field(), sources_);
  if (idents_.size() < need) idents_.resize(std::max(need, 2 * idents_.size()));
  ident_at_.resize(n + 1);
  char* const ids = idents_.data();
  char* iw = ids;
  for (size_t i = 0; i < n; ++i) {
    ident_at_[i] = static_cast<size_t>(iw - ids);
    iw = WriteIdentity(iw, *ce.events[i].event, ce.events[i].id_field(), sources_);
  }
  ident_at_[n] = static_cast<size_t>(iw - ids);
  auto ident = [&](size_t i) {
    return std::string_view(ids + ident_at_[i], ident_at_[i + 1] - ident_at_[i]);
  };
  const RuleText& rt = TextOf(ce.rule);
  Hasher h = rt.named;
  for (size_t i = 0; i < n; ++i) h.Add(ident(i));
  h.Add(static_cast<uint64_t>(ce.time));

  // 2. The variable texts: key and fields, then what follows each event's `"id":`.
  values_.clear();
  AppendKeyJson(values_, ce.key);
  const size_t key_len = values_.size();
  for (size_t i = 0; i < ce.fields.size(); ++i) {
    const Piece name = name_pieces_[rt.names + i];
    values_.append(pieces_.data() + name.at, name.len);
    AppendJsonValue(values_, ce.fields[i]);
  }
  const size_t fields_len = values_.size() - key_len;
  values_.append(kSlack, '\0');
  escaped_.clear();
  bodies_.resize(mode_ == OutputEvents::kNone ? 0 : n);
  size_t events_len = 0;
  for (size_t i = 0; i < bodies_.size(); ++i) {
    Body& b = bodies_[i];
    const EventHead& e = *ce.events[i].event;
    if (mode_ == OutputEvents::kFull) {
      b = {Body::kRaw, 0, e.raw.size()};
    } else if (ce.events[i].id_field().is_number() ||
               JsonPlain(ident(i))) {  // numbers need no escaping
      b = {Body::kIdent, ident_at_[i], ident(i).size() + 2};
    } else {
      const size_t at = escaped_.size();
      AppendJsonString(escaped_, ident(i));
      b = {Body::kEscaped, at, escaped_.size() - at};
    }
    const int32_t t = ce.events[i].alias_term;
    events_len += (t < 0 ? no_as_ : as_pieces_[rt.as + static_cast<size_t>(t)]).len + b.len + 2;
  }

  // 3. The line, into a buffer sized for all of it (plus kSlack for the short copies).
  const TimeMs ms = ((ce.time % 1000) + 1000) % 1000;
  if (ce.time - ms != second_) {
    second_ = ce.time - ms;
    second_text_.clear();
    AppendRfc3339Ms(second_text_, second_);
    second_len_ = second_text_.size() - 4;  // without "000Z"
    second_text_.resize(second_len_);
    second_text_.append(kSlack, '\0');
  }
  const size_t head_len = rt.HeadLength();
  const size_t bound = head_len + second_len_ + 12 + key_len + 7 + 16 + 12 + fields_len + 12 +
                       events_len + 3 + kSlack;
  if (buf_.size() < bound) buf_.resize(std::max(bound, 2 * buf_.size()));
  char* w = buf_.data();
  w = Put(w, rt.Head(pieces_), head_len, true);
  w = Put(w, second_text_.data(), second_len_, true);
  w[0] = static_cast<char>('0' + ms / 100);
  w[1] = static_cast<char>('0' + ms / 10 % 10);
  w[2] = static_cast<char>('0' + ms % 10);
  w = Put(w + 3, "Z\",\"key\":", 9, false);
  w = Put(w, values_.data(), key_len, true);
  w = Put(w, ",\"id\":\"", 7, false);
  const uint64_t v = h.value();
  for (size_t i = 0; i < 8; ++i) {
    std::memcpy(w + 2 * i, kHexPairs[v >> (56 - 8 * i) & 255].data(), 2);
  }
  w = Put(w + 16, "\",\"fields\":{", 12, false);
  w = Put(w, values_.data() + key_len, fields_len, true);
  if (mode_ == OutputEvents::kNone) {
    w = Put(w, "}}\n", 3, false);
  } else {
    w = Put(w, "},\"events\":[", 12, false);
    for (size_t i = 0; i < bodies_.size(); ++i) {
      const Body& b = bodies_[i];
      const int32_t t = ce.events[i].alias_term;
      const Piece pre = t < 0 ? no_as_ : as_pieces_[rt.as + static_cast<size_t>(t)];
      if (i) *w++ = ',';
      w = Put(w, pieces_.data() + pre.at, pre.len, true);
      switch (b.from) {
        case Body::kIdent:  // quoted as it is, in one move when short (idents_ is padded)
          *w++ = '"';
          w = Put(w, idents_.data() + b.at, b.len - 2, true);
          *w++ = '"';
          break;
        case Body::kEscaped:
          w = Put(w, escaped_.data() + b.at, b.len, false);
          break;
        case Body::kRaw:
          w = Put(w, ce.events[i].event->raw.data(), b.len, false);
          break;
      }
      *w++ = '}';
    }
    w = Put(w, "]}\n", 3, false);
  }
  return {buf_.data(), static_cast<size_t>(w - buf_.data())};
}

}  // namespace strix::adapters
