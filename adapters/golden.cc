// Golden-file comparison (see golden.h).
#include "adapters/golden.h"

#include <simdjson.h>

#include <map>

namespace strix::adapters {
namespace {

struct Entry {
  std::string id;
  std::string line;                            // as written (without newline)
  std::map<std::string, std::string> members;  // name -> minified JSON
};

Result<std::vector<Entry>> Parse(const std::vector<std::string>& lines, const char* what) {
  std::vector<Entry> out;
  simdjson::dom::parser parser;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r' || l.back() == ' '))
      l.remove_suffix(1);
    if (l.find_first_not_of(" \t") == std::string_view::npos) continue;
    simdjson::dom::element el;
    simdjson::dom::object obj;
    std::string_view id;
    if (parser.parse(l.data(), l.size()).get(el) || el.get_object().get(obj) ||
        obj["id"].get_string().get(id)) {
      return Status::Error(std::string(what) + " line " + std::to_string(i + 1) +
                           " is not a complex event (a JSON object with a string \"id\")");
    }
    Entry e;
    e.id = std::string(id);
    e.line = std::string(l);
    for (auto field : obj) e.members[std::string(field.key)] = simdjson::minify(field.value);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace

Result<GoldenDiff> CompareGolden(const std::string& golden_text,
                                 const std::vector<std::string>& actual_lines, bool ignore_events) {
  auto golden = Parse(SplitLines(golden_text), "golden file");
  if (!golden.ok()) return golden.status();
  auto actual = Parse(actual_lines, "output");
  if (!actual.ok()) return actual.status();
  GoldenDiff d;
  d.golden = golden->size();
  d.actual = actual->size();
  std::map<std::string, const Entry*> g, a;
  for (const Entry& e : *golden) g[e.id] = &e;
  for (const Entry& e : *actual) a[e.id] = &e;
  for (const Entry& e : *golden) {
    if (!a.count(e.id)) d.lines.push_back("- disappeared: " + e.line);
  }
  for (const Entry& e : *actual) {
    auto it = g.find(e.id);
    if (it == g.end()) {
      d.lines.push_back("+ appeared:    " + e.line);
      continue;
    }
    std::map<std::string, std::string> before = it->second->members, after = e.members;
    if (ignore_events) {
      before.erase("events");
      after.erase("events");
    }
    if (before == after) continue;
    std::string what = "~ changed:     id " + e.id;
    for (const auto& [name, value] : after) {
      auto b = before.find(name);
      if (b == before.end()) {
        what += "; " + name + ": (none) -> " + value;
      } else if (b->second != value) {
        what += "; " + name + ": " + b->second + " -> " + value;
      }
    }
    for (const auto& [name, value] : before) {
      if (!after.count(name)) what += "; " + name + ": " + value + " -> (none)";
    }
    d.lines.push_back(what);
  }
  if (d.lines.empty()) {
    for (size_t i = 0; i < golden->size(); ++i) {
      if ((*golden)[i].id != (*actual)[i].id) {
        d.lines.push_back("~ order:       the same complex events in another order, first at #" +
                          std::to_string(i + 1) + " (golden id " + (*golden)[i].id +
                          ", output id " + (*actual)[i].id + ")");
        break;
      }
    }
  }
  return d;
}

}  // namespace strix::adapters
