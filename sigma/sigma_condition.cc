// Sigma detection conditions (see sigma_condition.h): a tokenizer and a recursive-descent
// parser that writes strix text as it goes.
#include "sigma/sigma_condition.h"

#include <vector>

#include "common/glob.h"
#include "sigma/sigma_values.h"

namespace strix::sigma {
namespace {

class Parser {
 public:
  Parser(const std::string& text, const std::map<std::string, std::string>& searches)
      : searches_(searches) {
    std::string word;
    auto flush = [&] {
      if (!word.empty()) toks_.push_back(word);
      word.clear();
    };
    for (char c : text) {
      if (c == '(' || c == ')' || c == '|') {
        flush();
        toks_.push_back(std::string(1, c));
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        flush();
      } else {
        word.push_back(c);
      }
    }
    flush();
  }

  ConditionResult Run() {
    if (toks_.empty()) return {"", "the condition is empty"};
    std::string out = Or();
    if (error_.empty() && at_ < toks_.size()) {
      error_ = toks_[at_] == "|" ? "aggregations ('| count() ...') are not supported"
                                 : "unexpected '" + toks_[at_] + "' in the condition";
    }
    if (!error_.empty()) return {"", error_};
    return {out, ""};
  }

 private:
  bool Next(const char* w) {
    if (at_ < toks_.size() && toks_[at_] == w) {
      ++at_;
      return true;
    }
    return false;
  }

  std::string Or() {
    std::vector<std::string> parts{And()};
    while (error_.empty() && Next("or")) parts.push_back(And());
    return JoinConditions(parts, "or");
  }
  std::string And() {
    std::vector<std::string> parts{Not()};
    while (error_.empty() && Next("and")) parts.push_back(Not());
    return JoinConditions(parts, "and");
  }
  std::string Not() {
    if (Next("not")) return "not " + Not();
    return Primary();
  }
  std::string Primary() {
    if (!error_.empty()) return "";
    if (at_ >= toks_.size()) {
      error_ = "the condition ends too early";
      return "";
    }
    if (Next("(")) {
      std::string inner = Or();
      if (error_.empty() && !Next(")")) error_ = "a '(' in the condition is not closed";
      return inner;
    }
    const std::string& t = toks_[at_];
    if (t == "1" || t == "all" || t == "any") {
      ++at_;
      if (!Next("of") || at_ >= toks_.size()) {
        error_ = "'" + t + "' must be followed by 'of' and a pattern or 'them'";
        return "";
      }
      const std::string pattern = toks_[at_++];
      std::vector<std::string> parts;
      for (const auto& [name, cond] : searches_) {
        bool hit = pattern == "them" ? name.empty() || name[0] != '_' : GlobMatch(pattern, name);
        if (hit) parts.push_back(cond);
      }
      if (parts.empty()) {
        error_ = "no search identifier matches '" + pattern + "'";
        return "";
      }
      return JoinConditions(parts, t == "all" ? "and" : "or");
    }
    if (t == ")" || t == "|" || t == "and" || t == "or") {
      error_ = t == "|" ? "aggregations ('| count() ...') are not supported"
                        : "unexpected '" + t + "' in the condition";
      return "";
    }
    ++at_;
    auto it = searches_.find(t);
    if (it == searches_.end()) {
      error_ = "the condition names '" + t + "', which is no search identifier";
      return "";
    }
    return it->second;
  }

  const std::map<std::string, std::string>& searches_;
  std::vector<std::string> toks_;
  size_t at_ = 0;
  std::string error_;
};

}  // namespace

ConditionResult TranslateCondition(const std::string& condition,
                                   const std::map<std::string, std::string>& searches) {
  return Parser(condition, searches).Run();
}

}  // namespace strix::sigma
