// Complex-event JSON formatting (see complex_event_writer.h).
#include "adapters/complex_event_writer.h"

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

void AppendIdentity(std::string& out, const Event& e, const std::vector<std::string>& sources) {
  const Value& id = e.id_field();
  if (id.is_string()) {
    out.append(id.text);
  } else if (id.is_number()) {  // the usual numeric id, without AppendJsonValue's switch
    AppendJsonNumber(out, id.number);
  } else if (!id.missing()) {
    AppendJsonValue(out, id);
  } else {
    out += sources[e.source];
    out += ':';
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, e.line).ptr);
  }
}

ComplexEventWriter::ComplexEventWriter(const engine::Program& p,
                                       const std::vector<std::string>& sources, OutputEvents mode,
                                       Output* out)
    : p_(p), sources_(sources), mode_(mode), out_(out) {
  auto as = [&](const std::string& alias) {  // alias "": a term (or rule) without one
    std::string a = "{\"as\":";
    if (alias.empty()) {
      a += "null";
    } else {
      AppendJsonString(a, alias);
    }
    return a + (mode == OutputEvents::kIds ? ",\"id\":" : ",\"event\":");
  };
  no_as_ = as("");
  for (const engine::CompiledRule& rule : p.rules) {
    named_.push_back(Hasher().Add(rule.name));
    std::string h = "{\"rule\":";
    AppendJsonString(h, rule.name);
    h += ",\"time\":\"";
    head_.push_back(std::move(h));
    names_.emplace_back();
    for (size_t i = 0; i < rule.emit_names.size(); ++i) {
      std::string n;
      if (i) n += ',';
      AppendJsonString(n, rule.emit_names[i]);
      n += ':';
      names_.back().push_back(std::move(n));
    }
    as_.emplace_back();
    for (const std::string& alias : rule.aliases) as_.back().push_back(as(alias));
  }
}

void ComplexEventWriter::Emit(const engine::ComplexEvent& ce) {
  const std::string& line = Format(ce);
  if (out_) out_->Write(line);
}

const std::string& ComplexEventWriter::Format(const engine::ComplexEvent& ce) {
  idents_.clear();
  ident_at_.clear();
  for (const engine::MatchedEvent& m : ce.events) {
    ident_at_.push_back(idents_.size());
    AppendIdentity(idents_, *m.event, sources_);
  }
  ident_at_.push_back(idents_.size());
  const bool plain = mode_ == OutputEvents::kIds && JsonPlain(idents_);
  auto ident = [&](size_t i) {
    return std::string_view(idents_).substr(ident_at_[i], ident_at_[i + 1] - ident_at_[i]);
  };
  Hasher h = named_[ce.rule];
  for (size_t i = 0; i < ce.events.size(); ++i) h.Add(ident(i));
  h.Add(static_cast<uint64_t>(ce.time));
  std::string& o = line_;
  o.clear();
  o += head_[ce.rule];
  const TimeMs ms = ((ce.time % 1000) + 1000) % 1000;
  if (ce.time - ms != second_) {
    second_ = ce.time - ms;
    second_text_.clear();
    AppendRfc3339Ms(second_text_, second_);
    second_text_.resize(second_text_.size() - 4);  // "000Z"
  }
  o += second_text_;
  // The constant pieces around the variable ones are put together on the stack and appended
  // at once (a line is ~15 appends; each costs a capacity check and a copy call).
  char buf[48];
  buf[0] = static_cast<char>('0' + ms / 100);
  buf[1] = static_cast<char>('0' + ms / 10 % 10);
  buf[2] = static_cast<char>('0' + ms % 10);
  std::memcpy(buf + 3, "Z\",\"key\":", 9);
  o.append(buf, 12);
  AppendKeyJson(o, ce.key);
  constexpr std::string_view kId = ",\"id\":\"", kFields = "\",\"fields\":{";
  std::memcpy(buf, kId.data(), kId.size());
  const uint64_t v = h.value();
  for (size_t i = 0; i < 8; ++i) {
    std::memcpy(buf + kId.size() + 2 * i, kHexPairs[v >> (56 - 8 * i) & 255].data(), 2);
  }
  std::memcpy(buf + kId.size() + 16, kFields.data(), kFields.size());
  o.append(buf, kId.size() + 16 + kFields.size());
  for (size_t i = 0; i < ce.fields.size(); ++i) {  // AppendFieldsJson, names made per rule
    o += names_[ce.rule][i];
    AppendJsonValue(o, ce.fields[i]);
  }
  if (mode_ != OutputEvents::kNone) {
    o += "},\"events\":[";
    if (plain) {
      // Identities that need no escaping (the usual case): the entries are sized, then copied.
      auto prefix = [&](size_t i) -> const std::string& {
        const int32_t t = ce.events[i].alias_term;
        return t < 0 ? no_as_ : as_[ce.rule][static_cast<size_t>(t)];
      };
      size_t n = 0;
      for (size_t i = 0; i < ce.events.size(); ++i) {
        n += (i ? 1 : 0) + prefix(i).size() + ident(i).size() + 3;  // ,PREFIX"IDENT"}
      }
      const size_t at = o.size();
      o.resize(at + n);
      char* w = o.data() + at;
      for (size_t i = 0; i < ce.events.size(); ++i) {
        if (i) *w++ = ',';
        const std::string& pre = prefix(i);
        std::memcpy(w, pre.data(), pre.size());
        w += pre.size();
        *w++ = '"';
        const std::string_view id = ident(i);
        std::memcpy(w, id.data(), id.size());
        w += id.size();
        *w++ = '"';
        *w++ = '}';
      }
    } else {
      for (size_t i = 0; i < ce.events.size(); ++i) {
        const engine::MatchedEvent& m = ce.events[i];
        if (i) o += ',';
        o += m.alias_term < 0 ? no_as_ : as_[ce.rule][static_cast<size_t>(m.alias_term)];
        if (mode_ == OutputEvents::kIds) {
          AppendJsonString(o, ident(i));
        } else {
          o.append(m.event->raw);
        }
        o += '}';
      }
    }
    o += "]}\n";
  } else {
    o += "}}\n";
  }
  return o;
}

}  // namespace strix::adapters
