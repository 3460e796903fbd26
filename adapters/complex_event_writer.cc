// Complex-event JSON formatting (see complex_event_writer.h).
#include "adapters/complex_event_writer.h"

#include <cstdio>

#include "common/hash.h"
#include "common/json_text.h"

namespace strix::adapters {

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
  } else if (!id.missing()) {
    AppendJsonValue(out, id);
  } else {
    out += sources[e.source];
    out += ':';
    out += std::to_string(e.line);
  }
}

ComplexEventWriter::ComplexEventWriter(const engine::Program& p,
                                       const std::vector<std::string>& sources, OutputEvents mode,
                                       Output* out)
    : p_(p), sources_(sources), mode_(mode), out_(out) {}

void ComplexEventWriter::Emit(const engine::ComplexEvent& ce) {
  const std::string& line = Format(ce);
  if (out_) out_->Write(line);
}

const std::string& ComplexEventWriter::Format(const engine::ComplexEvent& ce) {
  const engine::CompiledRule& rule = p_.rules[ce.rule];
  Hasher h;
  h.Add(rule.name);
  for (const engine::MatchedEvent& m : ce.events) {
    ident_.clear();
    AppendIdentity(ident_, *m.event, sources_);
    h.Add(ident_);
  }
  h.Add(static_cast<uint64_t>(ce.time));
  std::string& o = line_;
  o.clear();
  o += "{\"rule\":";
  AppendJsonString(o, rule.name);
  o += ",\"time\":\"";
  AppendRfc3339Ms(o, ce.time);
  o += "\",\"key\":";
  AppendKeyJson(o, ce.key);
  char id[16];
  uint64_t v = h.value();
  for (int i = 15; i >= 0; --i, v >>= 4) id[i] = "0123456789abcdef"[v & 15];
  o += ",\"id\":\"";
  o.append(id, 16);
  o += "\",\"fields\":";
  AppendFieldsJson(o, rule, ce.fields);
  if (mode_ != OutputEvents::kNone) {
    o += ",\"events\":[";
    for (size_t i = 0; i < ce.events.size(); ++i) {
      const engine::MatchedEvent& m = ce.events[i];
      if (i) o += ',';
      o += "{\"as\":";
      if (m.alias_term < 0) {
        o += "null";
      } else {
        AppendJsonString(o, rule.aliases[static_cast<size_t>(m.alias_term)]);
      }
      if (mode_ == OutputEvents::kIds) {
        o += ",\"id\":";
        ident_.clear();
        AppendIdentity(ident_, *m.event, sources_);
        AppendJsonString(o, ident_);
      } else {
        o += ",\"event\":";
        o.append(m.event->raw);
      }
      o += '}';
    }
    o += ']';
  }
  o += "}\n";
  return o;
}

}  // namespace strix::adapters
