// Literal reference for sequence rules (see sequence_reference.h). The numbered rules are
// those of LANGUAGE.md 3.2 "Matching semantics".
#include "test/sequence_reference.h"

#include <simdjson.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>

#include "adapters/complex_event_writer.h"
#include "common/json_text.h"
#include "test/reference_eval.h"

namespace strix::test {
namespace {

using namespace ql;

struct Ev {
  simdjson::dom::element root;
  int64_t t = 0;
  size_t line = 0;  // from 1
};

struct PM {
  std::vector<std::pair<size_t, size_t>> b;  // (term, event index), in match order
  uint64_t created = 0;
};

struct Part {
  std::vector<PM> pms;
  uint64_t next = 0;
};

struct Done {
  PM pm;
  int64_t time;
  std::string key;
};

class Ref {
 public:
  Ref(const CheckedRules& rules, const RefOptions& o)
      : tables(rules), rules_(rules), o_(o), state_(rules.rules.size()) {}

  std::vector<Ev> evs;
  std::vector<RefOut> out;
  RefTables tables;  // applied by the caller after each Event()

  void Event(size_t i) {
    FireDeadlines(evs[i].t);
    for (size_t r = 0; r < rules_.rules.size(); ++r) {
      if (rules_.rule(r).is_sequence) Step(r, i);
    }
  }
  void End() { FireDeadlines(std::numeric_limits<int64_t>::max()); }

 private:
  const Rule& R(size_t r) const { return rules_.rule(r); }
  const Ast& A(size_t r) const { return rules_.ast_of(r); }
  static uint32_t Min(const Term& t) { return t.filter.quant.min; }
  static uint64_t Max(const Term& t) {
    return t.filter.quant.max ? *t.filter.quant.max : std::numeric_limits<uint64_t>::max();
  }
  static bool List(const Term& t) {
    return t.filter.quant.written;  // any quantifier, {1} included
  }
  size_t LastPositive(size_t r) const {
    const auto& ts = R(r).sequence.terms;
    size_t lp = 0;
    for (size_t k = 0; k < ts.size(); ++k)
      if (!ts[k].negated) lp = k;
    return lp;
  }
  bool Trailing(size_t r) const { return R(r).sequence.terms.back().negated; }

  // all(...) groups (LANGUAGE.md 3.2), read off the bindings every time.
  const Group* GroupAt(size_t r, size_t k) const {
    const Term& t = R(r).sequence.terms[k];
    return t.group < 0 ? nullptr : &R(r).sequence.groups[size_t(t.group)];
  }
  size_t StepEnd(size_t r, size_t k) const {
    const Group* g = GroupAt(r, k);
    return g ? g->end : k + 1;
  }
  // The first term of each branch of `g`, and where each branch ends.
  static std::vector<std::pair<size_t, size_t>> Branches(const Group& g) {
    std::vector<std::pair<size_t, size_t>> out;
    for (size_t b = 0; b < g.starts.size(); ++b)
      out.push_back({g.starts[b], b + 1 < g.starts.size() ? g.starts[b + 1] : g.end});
    return out;
  }
  // Per branch of `g`: the term it last fed (-1: none) and that term's events in `pm`.
  std::vector<std::pair<long, size_t>> BranchState(size_t r, const Group& g, const PM& pm) const {
    const auto& ts = R(r).sequence.terms;
    std::vector<std::pair<long, size_t>> st(g.starts.size(), {-1, 0});
    for (auto [t, e] : pm.b) {
      if (t < g.first || t >= g.end) continue;
      auto& b = st[ts[t].branch];
      if (b.first != long(t)) b = {long(t), 0};
      ++b.second;
    }
    return st;
  }
  // Whether the step that `pm` last fed has its minimum.
  bool StepMin(size_t r, const PM& pm) const {
    const auto& ts = R(r).sequence.terms;
    size_t pos = pm.b.back().first;
    if (const Group* g = GroupAt(r, pos)) {
      auto st = BranchState(r, *g, pm);
      auto br = Branches(*g);
      for (size_t b = 0; b < br.size(); ++b) {
        if (st[b].first != long(br[b].second - 1) || st[b].second < Min(ts[br[b].second - 1]))
          return false;
      }
      return true;
    }
    size_t cnt = 0;
    for (auto [t, e] : pm.b) cnt += t == pos;
    return cnt >= Min(ts[pos]);
  }
  // The first term of the last positive step.
  size_t LastStep(size_t r) const {
    size_t lp = LastPositive(r);
    const Group* g = GroupAt(r, lp);
    return g ? g->first : lp;
  }
  // The option of `term` taking event i (rule 7), into `opts`; false when there is none.
  bool Offer(size_t r, const PM& pm, size_t term, size_t i,
             std::vector<std::pair<size_t, bool>>& opts) const {
    PM t = pm;
    t.b.push_back({term, i});
    if (Trailing(r) || term < LastStep(r) || !StepMin(r, t)) {
      opts.push_back({term, false});
      return true;
    }
    if (Having(r, t)) {
      opts.push_back({term, true});
      return true;
    }
    if (!List(R(r).sequence.terms[term])) return false;
    opts.push_back({term, false});
    return true;
  }

  // The events of each term, then (past the terms) of each all(...) group: a group's alias.
  RefBindings Bind(size_t r, const PM& pm) const {
    const Sequence& q = R(r).sequence;
    RefBindings b;
    b.by_term.resize(q.terms.size() + q.groups.size());
    for (auto [t, i] : pm.b) {
      b.by_term[t].push_back(evs[i].root);
      if (q.terms[t].group >= 0)
        b.by_term[q.terms.size() + size_t(q.terms[t].group)].push_back(evs[i].root);
    }
    return b;
  }

  bool TypeIs(const Ev& e, const Filter& f) const {
    if (f.any) return true;
    V t = Lookup(e.root, std::vector<std::string>{"type"});
    return t.k == V::kStr && t.s == f.type;
  }

  // Filter `f` of term `term` on event i, seen from `pm`; `prev` makes prev() read the term's
  // last event in `pm` (another event for the current term).
  bool Holds(size_t r, const Filter& f, size_t i, const PM& pm, int term, bool prev) const {
    if (!TypeIs(evs[i], f)) return false;
    if (f.where == kNoExpr) return true;
    RefBindings b = Bind(r, pm);
    if (term >= 0) {
      b.prev_term = term;
      if (!prev) b.by_term[static_cast<size_t>(term)].clear();
    }
    Eval ev{A(r), evs[i].root, &b, &tables};
    return ev.Truth(f.where);
  }

  bool Having(size_t r, const PM& pm) const {
    if (R(r).having == kNoExpr) return true;
    RefBindings b = Bind(r, pm);
    Eval ev{A(r), evs[pm.b.back().second].root, &b, &tables};
    return ev.Truth(R(r).having);
  }

  std::optional<std::string> KeyOf(size_t r, size_t i) const {
    const auto& keys = R(r).sequence.keys;
    if (keys.empty()) return std::string("null");
    std::string k = keys.size() > 1 ? "[" : "";
    for (size_t j = 0; j < keys.size(); ++j) {
      V v = Lookup(evs[i].root, keys[j].path);
      if (v.k == V::kMissing || v.k == V::kNull) return std::nullopt;
      if (j) k += ",";
      AppendV(k, v);
    }
    if (keys.size() > 1) k += "]";
    return k;
  }

  int64_t Start(const PM& pm) const { return evs[pm.b.front().second].t; }
  size_t StartLine(const PM& pm) const { return evs[pm.b.front().second].line; }
  int64_t Deadline(size_t r, const PM& pm) const { return Start(pm) + *R(r).sequence.within_ms; }

  void Step(size_t r, size_t i) {
    const Sequence& q = R(r).sequence;
    const auto& terms = q.terms;
    const bool every = q.policy == Policy::kEvery;
    const size_t lp = LastPositive(r);
    auto key = KeyOf(r, i);
    if (!key) return;
    Part& P = state_[r][*key];
    // 6: until
    if (q.until && Holds(r, *q.until, i, PM{}, -1, false)) P.pms.clear();
    std::vector<Done> done;
    std::vector<PM> next, born;
    for (PM& pm : P.pms) {
      // 5: window
      if (q.within_ms && evs[i].t > Deadline(r, pm)) continue;
      const size_t pos = pm.b.back().first;
      const bool minmet = StepMin(r, pm);
      const size_t after = StepEnd(r, pos);
      // 4: absence, in the gap up to the next positive term that needs an event
      bool violated = false;
      if (minmet) {
        for (size_t k = after; k < terms.size(); ++k) {
          if (terms[k].negated) {
            if (Holds(r, terms[k].filter, i, pm, -1, false)) violated = true;
          } else if (Min(terms[k]) > 0) {
            break;
          }
        }
      }
      if (violated) continue;
      std::vector<std::pair<size_t, bool>> opts;
      auto offer = [&](size_t k, bool prev) {
        return Holds(r, terms[k].filter, i, pm, int(k), prev) && Offer(r, pm, k, i, opts) && !every;
      };
      bool taken = false;
      // 2, 3, 7: hand-over to a later step (into a group: any branch's first term)
      if (minmet) {
        for (size_t k = after; k <= lp && !taken; ++k) {
          if (terms[k].negated) continue;
          if (const Group* g = GroupAt(r, k)) {
            for (auto [first, end] : Branches(*g)) {
              if (!taken) taken = offer(first, false);
            }
            break;
          }
          taken = offer(k, false);
          if (Min(terms[k]) > 0) break;
        }
      }
      // 3: another event for the current term, or inside a group for each branch in order
      if (!taken) {
        if (const Group* g = GroupAt(r, pos)) {
          auto st = BranchState(r, *g, pm);
          auto br = Branches(*g);
          for (size_t b = 0; b < br.size() && !taken; ++b) {
            if (st[b].first < 0) {
              taken = offer(br[b].first, false);
              continue;
            }
            size_t t = size_t(st[b].first);
            if (st[b].second >= Min(terms[t]) && t + 1 < br[b].second) taken = offer(t + 1, false);
            if (!taken && st[b].second < Max(terms[t])) taken = offer(t, true);
          }
        } else {
          size_t cnt = 0;
          for (auto [t, e] : pm.b) cnt += t == pos;
          if (cnt < Max(terms[pos])) offer(pos, true);
        }
      }
      if (every) {
        for (auto [term, completes] : opts) {
          PM br = pm;
          br.b.push_back({term, i});
          br.created = P.next++;
          if (completes)
            done.push_back({br, evs[i].t, *key});
          else
            born.push_back(br);
        }
        next.push_back(pm);
        continue;
      }
      if (opts.empty()) {
        if (q.policy == Policy::kStrict) continue;  // 9
        next.push_back(pm);
        continue;
      }
      pm.b.push_back({opts[0].first, i});
      if (opts[0].second)
        done.push_back({pm, evs[i].t, *key});
      else
        next.push_back(pm);
    }
    for (PM& b : born) next.push_back(b);
    P.pms = next;
    bool start = true;
    if (!done.empty() && !every) {  // 8
      P.pms.clear();
      start = false;
    }
    // 1: start (a leading group: with the first term of any branch)
    std::vector<size_t> firsts = {0};
    if (const Group* g = GroupAt(r, 0)) {
      firsts.clear();
      for (auto [first, end] : Branches(*g)) firsts.push_back(first);
    }
    for (size_t f = 0; start && f < firsts.size(); ++f) {
      std::vector<std::pair<size_t, bool>> opts;
      if (!Holds(r, terms[firsts[f]].filter, i, PM{}, int(firsts[f]), false) ||
          !Offer(r, PM{}, firsts[f], i, opts))
        continue;
      PM pm;
      pm.b.push_back({firsts[f], i});
      pm.created = P.next++;
      if (opts[0].second) {
        done.push_back({pm, evs[i].t, *key});
        if (!every) P.pms.clear();
      } else {
        P.pms.push_back(pm);
      }
      if (!every) break;
    }
    if (!every && done.size() > 1) {
      auto best = done.begin();
      for (auto it = done.begin(); it != done.end(); ++it) {
        if (std::make_pair(Start(it->pm), StartLine(it->pm)) <
            std::make_pair(Start(best->pm), StartLine(best->pm))) {
          best = it;
        }
      }
      Done keep = *best;
      done.assign(1, keep);
    }
    // 11
    while (P.pms.size() > o_.max_partial_matches) {
      auto oldest = std::min_element(P.pms.begin(), P.pms.end(), [](const PM& a, const PM& b) {
        return a.created < b.created;
      });
      P.pms.erase(oldest);
    }
    Output(r, done);
  }

  // Trailing absences and window ends with a deadline before `t`, one at a time in
  // (deadline, rule, first event) order.
  void FireDeadlines(int64_t t) {
    while (true) {
      bool found = false;
      std::tuple<int64_t, size_t, size_t> best;
      std::string best_key;
      for (size_t r = 0; r < rules_.rules.size(); ++r) {
        if (!R(r).is_sequence || !R(r).sequence.within_ms) continue;
        for (auto& [k, P] : state_[r]) {
          for (const PM& pm : P.pms) {
            auto c = std::make_tuple(Deadline(r, pm), r, StartLine(pm));
            if (std::get<0>(c) < t && (!found || c < best)) {
              found = true;
              best = c;
              best_key = k;
            }
          }
        }
      }
      if (!found) return;
      auto [d, r, line] = best;
      Part& P = state_[r][best_key];
      std::vector<Done> done;
      std::vector<PM> next;
      for (const PM& pm : P.pms) {
        if (Deadline(r, pm) != d || StartLine(pm) != line) {
          next.push_back(pm);
          continue;
        }
        if (Trailing(r) && pm.b.back().first >= LastStep(r) && StepMin(r, pm) && Having(r, pm)) {
          done.push_back({pm, d, best_key});
        }
      }
      P.pms = next;
      if (!done.empty() && R(r).sequence.policy != Policy::kEvery) {
        done.resize(1);
        P.pms.clear();
      }
      Output(r, done);
    }
  }

  void Output(size_t r, std::vector<Done>& done) {
    // Section 3.4: ties in input order of the first events, then the second, and so on.
    auto lines = [&](const PM& pm) {
      std::vector<size_t> l;
      for (auto [t, i] : pm.b) l.push_back(evs[i].line);
      return l;
    };
    std::stable_sort(done.begin(), done.end(),
                     [&](const Done& a, const Done& b) { return lines(a.pm) < lines(b.pm); });
    for (const Done& d : done) {
      if (R(r).suppress_ms) {
        auto& until = suppress_[{r, d.key}];
        if (until.has_value() && d.time < *until) continue;
        until = d.time + *R(r).suppress_ms;
      }
      RefOut o;
      o.rule = r;
      o.time = d.time;
      o.key = d.key;
      RefBindings b = Bind(r, d.pm);
      Eval ev{A(r), evs[d.pm.b.back().second].root, &b, &tables};
      o.fields = "{";
      for (size_t f = 0; f < R(r).emit.size(); ++f) {
        if (f) o.fields += ",";
        AppendJsonString(o.fields, R(r).emit[f].name);
        o.fields += ":";
        AppendV(o.fields, ev.Val(R(r).emit[f].value));
      }
      o.fields += "}";
      for (auto [t, i] : d.pm.b) {
        if (!o.events.empty()) o.events += " ";
        const std::string& alias = R(r).sequence.terms[t].alias;
        o.events += (alias.empty() ? "-" : alias) + "@" + std::to_string(evs[i].line);
      }
      out.push_back(std::move(o));
    }
  }

  const CheckedRules& rules_;
  RefOptions o_;
  std::vector<std::map<std::string, Part>> state_;
  std::map<std::pair<size_t, std::string>, std::optional<int64_t>> suppress_;
};

}  // namespace

RefOut FromComplexEvent(const engine::Program& p, const engine::ComplexEvent& ce) {
  const engine::CompiledRule& rule = p.rules[ce.rule];
  RefOut o;
  o.rule = ce.rule;
  o.time = ce.time;
  adapters::AppendKeyJson(o.key, ce.key);
  adapters::AppendFieldsJson(o.fields, rule, ce.fields);
  for (const engine::MatchedEvent& m : ce.events) {
    if (!o.events.empty()) o.events += " ";
    o.events += (m.alias_term < 0 ? std::string("-") : rule.aliases[size_t(m.alias_term)]) + "@" +
                std::to_string(m.event->line);
  }
  return o;
}

std::vector<RefOut> ReferenceSequences(const CheckedRules& rules,
                                       const std::vector<std::string>& lines,
                                       const RefOptions& opts, std::vector<size_t>* late) {
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers;
  Ref ref(rules, opts);
  // Section 4: lateness against the watermark in arrival order, then the processing order.
  bool seen = false;
  int64_t max_seen = 0, last_t = 0;
  std::vector<Ev> accepted;
  for (size_t n = 0; n < lines.size(); ++n) {
    parsers.push_back(std::make_unique<simdjson::dom::parser>());
    simdjson::dom::element root;
    if (parsers.back()->parse(lines[n]).get(root)) continue;
    Ev e{root, last_t, n + 1};
    V ts = Lookup(root, std::vector<std::string>{"ts"});
    if (ts.k == V::kNum) e.t = static_cast<int64_t>(ts.n);
    last_t = e.t;
    if (seen && e.t < max_seen - opts.max_delay_ms) {
      if (late) late->push_back(n + 1);
      continue;
    }
    seen = true;
    max_seen = std::max(max_seen, e.t);
    accepted.push_back(e);
  }
  std::stable_sort(accepted.begin(), accepted.end(),
                   [](const Ev& a, const Ev& b) { return a.t < b.t; });
  ref.evs = accepted;
  for (size_t i = 0; i < ref.evs.size(); ++i) {
    ref.Event(i);
    ref.tables.Apply(ref.evs[i].root, lines[ref.evs[i].line - 1]);  // after the rules saw it
  }
  ref.End();
  return ref.out;
}

}  // namespace strix::test
