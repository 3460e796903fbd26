// strix import sigma (see sigma_import.h): YAML loading with yaml-cpp, the detection's
// structure (search identifiers as maps or lists of maps), logsource and names.
#include "sigma/sigma_import.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sigma/sigma_condition.h"
#include "sigma/sigma_values.h"

namespace strix::sigma {
namespace {

namespace fs = std::filesystem;

struct Failed {
  std::string why;
};

SigmaValue ScalarOf(const YAML::Node& n) {
  SigmaValue v;
  if (n.IsNull()) {
    v.kind = SigmaValue::Kind::kNull;
    return v;
  }
  v.text = n.Scalar();
  if (n.Tag() == "?") {  // a plain scalar: YAML's own types
    if (v.text == "true" || v.text == "false" || v.text == "True" || v.text == "False" ||
        v.text == "TRUE" || v.text == "FALSE") {
      v.kind = SigmaValue::Kind::kBool;
    } else if (!v.text.empty() && v.text.find_first_not_of("-0123456789.") == std::string::npos) {
      v.kind = SigmaValue::Kind::kNumber;
    }
  }
  return v;
}

// A map of field items: all of them hold.
std::string TranslateMap(const YAML::Node& m, const std::string& search) {
  std::vector<std::string> parts;
  for (const auto& kv : m) {
    if (!kv.first.IsScalar()) throw Failed{"search '" + search + "' has a key that is not a name"};
    const std::string key = kv.first.Scalar();
    std::vector<SigmaValue> values;
    const YAML::Node& val = kv.second;
    if (val.IsSequence()) {
      for (const auto& item : val) {
        if (!item.IsScalar() && !item.IsNull())
          throw Failed{"the values of '" + key + "' are not all plain values"};
        values.push_back(ScalarOf(item));
      }
    } else if (val.IsScalar() || val.IsNull()) {
      values.push_back(ScalarOf(val));
    } else {
      throw Failed{"the value of '" + key + "' is a map"};
    }
    Translation t = TranslateFieldItem(key, values);
    if (!t.error.empty()) throw Failed{t.error};
    parts.push_back(t.condition);
  }
  if (parts.empty()) throw Failed{"search '" + search + "' is empty"};
  return JoinConditions(parts, "and");
}

// A search identifier: a map (and), or a list of maps (or); a list of plain values is a
// keyword search, which needs a field strix does not have.
std::string TranslateSearch(const YAML::Node& n, const std::string& name) {
  if (n.IsMap()) return TranslateMap(n, name);
  if (n.IsSequence()) {
    std::vector<std::string> parts;
    for (const auto& item : n) {
      if (!item.IsMap())
        throw Failed{"search '" + name + "' is a keyword search (values without a field)"};
      parts.push_back(TranslateMap(item, name));
    }
    if (parts.empty()) throw Failed{"search '" + name + "' is empty"};
    return JoinConditions(parts, "or");
  }
  throw Failed{"search '" + name + "' is a keyword search (values without a field)"};
}

std::string Str(const YAML::Node& n) {
  return n && n.IsScalar() ? n.Scalar() : std::string();
}

std::string TypeName(const std::string& t) {
  return IsPlainName(t) ? t : "`" + t + "`";
}

std::string Translate(const YAML::Node& doc, const std::string& name, const std::string& source) {
  if (!doc.IsMap()) throw Failed{"not a Sigma rule (the document is not a map)"};
  if (doc["correlation"]) throw Failed{"correlation rules are not supported"};
  if (doc["action"]) throw Failed{"rule collections ('action: global') are not supported"};
  const YAML::Node det = doc["detection"];
  if (!det || !det.IsMap()) throw Failed{"not a Sigma rule (no 'detection' map)"};
  const YAML::Node ls = doc["logsource"];
  if (!ls || !ls.IsMap()) throw Failed{"no 'logsource'"};
  std::string type = Str(ls["category"]);
  if (type.empty()) {
    std::string product = Str(ls["product"]), service = Str(ls["service"]);
    type = product.empty() ? service : service.empty() ? product : product + "_" + service;
  }
  if (type.empty()) throw Failed{"the logsource names no category, product or service"};
  if (type.find('`') != std::string::npos) throw Failed{"the logsource cannot be written in strix"};

  std::map<std::string, std::string> searches;
  std::vector<std::string> conditions;
  for (const auto& kv : det) {
    const std::string key = kv.first.Scalar();
    if (key == "condition") {
      if (kv.second.IsSequence()) {
        for (const auto& c : kv.second) conditions.push_back(Str(c));
      } else {
        conditions.push_back(Str(kv.second));
      }
      continue;
    }
    if (key == "timeframe") continue;  // only meaningful with an aggregation, refused below
    searches[key] = TranslateSearch(kv.second, key);
  }
  if (conditions.empty()) throw Failed{"the detection has no condition"};
  std::vector<std::string> parts;
  for (const std::string& c : conditions) {
    ConditionResult r = TranslateCondition(c, searches);
    if (!r.error.empty()) throw Failed{r.error};
    parts.push_back(r.condition);
  }
  std::string where = JoinConditions(parts, "or");

  auto value_or_null = [&](const char* k) {
    std::string v = Str(doc[k]);
    return v.empty() ? std::string("null") : StrixString(v);
  };
  std::string title = Str(doc["title"]), id = Str(doc["id"]);
  std::string text;
  std::string comment = "# " + (title.empty() ? name : title) + (id.empty() ? "" : " (" + id + ")");
  std::replace(comment.begin(), comment.end(), '\n', ' ');
  std::string from = "# from " + source;
  std::replace(from.begin(), from.end(), '\n', ' ');
  text += comment + "\n" + from + "\n";
  text += "rule " + name + " on " + TypeName(type) + "\n";
  text += "  where " + where + "\n";
  text += "  emit { title: " + value_or_null("title") + ", id: " + value_or_null("id") +
          ", level: " + value_or_null("level") + " }\n";
  return text;
}

}  // namespace

std::vector<std::string> ListSigmaFiles(const std::vector<std::string>& paths, std::string& error) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".yml")
          found.push_back(it->path().string());
      }
      if (ec) {
        error = "cannot read the folder '" + p + "': " + ec.message();
        return {};
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      error = "no such file or folder: '" + p + "'";
      return {};
    }
  }
  return out;
}

RuleTranslation TranslateSigmaYaml(const std::string& yaml, const std::string& name,
                                   const std::string& source) {
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(yaml);
    if (docs.empty()) return {"", "the file is empty"};
    if (docs.size() > 1)
      return {"", "the file holds " + std::to_string(docs.size()) +
                      " YAML documents (rule collections are not supported)"};
    return {Translate(docs[0], name, source), ""};
  } catch (const Failed& f) {
    return {"", f.why};
  } catch (const YAML::Exception& e) {
    return {"", std::string("not YAML: ") + e.what()};
  }
}

ImportResult ImportSigma(const std::vector<std::string>& files) {
  ImportResult out;
  std::set<std::string> names;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      out.skipped.push_back({file, "cannot be read"});
      continue;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    std::string stem = fs::path(file).filename().string();
    if (stem.size() > 4 && stem.substr(stem.size() - 4) == ".yml") stem.resize(stem.size() - 4);
    std::string name = StrixName(stem);
    for (int k = 2; names.count(name); ++k) name = StrixName(stem) + "_" + std::to_string(k);
    RuleTranslation t = TranslateSigmaYaml(buf.str(), name, file);
    if (!t.error.empty()) {
      out.skipped.push_back({file, t.error});
      continue;
    }
    if (name != StrixName(stem))
      out.notes.push_back({file, "named '" + name + "' ('" + StrixName(stem) + "' is taken)"});
    names.insert(name);
    out.text += (out.translated ? "\n" : "") + t.text;
    ++out.translated;
  }
  return out;
}

}  // namespace strix::sigma
