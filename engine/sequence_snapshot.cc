// Snapshot and restore of the sequence matcher's state: partitions, partial matches with their
// bound events and aggregates, and timers (see snapshot.h and sequence_matcher.h).
#include <algorithm>
#include <unordered_map>

#include "common/hash.h"
#include "engine/sequence_matcher.h"

namespace strix::engine {

uint64_t EventTable::Add(const StoredEvent* e) {
  auto [it, fresh] = ids_.try_emplace(e, out_.size());
  if (fresh) {
    const Event& ev = e->ev;
    out_.push_back(EventRecord{std::string(ev.raw), ev.time, ev.source, ev.line, ev.seq});
  }
  return it->second;
}

uint64_t EventTable::Find(const StoredEvent* e) const {
  auto it = ids_.find(e);
  return it == ids_.end() ? UINT64_MAX : it->second;
}

void SequenceMatcher::Save(EngineSnapshot& s, EventTable& events) const {
  for (size_t r = 0; r < rules_.size(); ++r) {
    const RuleState& rs = rules_[r];
    if (rs.parts.empty() && rs.timers.empty()) continue;
    const CompiledRule& cr = p_.rules[rule_of_[r]];
    auto rec = std::find_if(s.rules.begin(), s.rules.end(),
                            [&](const RuleRecord& x) { return x.name == cr.name; });
    if (rec == s.rules.end()) {
      s.rules.push_back(RuleRecord{cr.name, cr.identity, {}, {}});
      rec = s.rules.end() - 1;
    }
    rs.parts.ForEach([&](const Partition& part) {
      PartitionRecord pr;
      pr.key_text = part.key_text;
      pr.key_event = events.Add(part.key_event.get());
      for (const PartialMatch& pm : part.pms) {
        MatchRecord m;
        m.pos = pm.pos;
        m.count = pm.count;
        m.start = pm.start;
        for (size_t i = 0; i < pm.events.size(); ++i)
          m.bound.emplace_back(pm.events.term(i), events.Add(pm.events.stored(i)));
        if (pm.aggs) {
          for (size_t i = 0; i < pm.naggs; ++i) {
            const AggState& a = pm.aggs[i];
            m.aggs.push_back(AggRecord{a.numbers, a.sum, a.min, a.max});
          }
        }
        if (pm.distinct) {
          m.distinct.resize(pm.naggs);
          for (size_t i = 0; i < pm.naggs; ++i) {
            for (const auto& [hash, at] : pm.distinct[i]) m.distinct[i].push_back(at);
          }
        }
        pr.matches.push_back(std::move(m));
      }
      rec->partitions.push_back(std::move(pr));
    });
    for (const Timer& t : rs.timers)
      rec->timers.push_back(TimerRecord{t.deadline, t.seq, events.Find(t.first), t.part->key_text});
    // Workers' timers merged into the order one matcher would hold them in.
    std::stable_sort(rec->timers.begin(), rec->timers.end(),
                     [](const TimerRecord& a, const TimerRecord& b) {
                       return std::tie(a.deadline, a.seq) < std::tie(b.deadline, b.seq);
                     });
  }
}

void SequenceMatcher::Restore(const EngineSnapshot& s,
                              const std::vector<const StoredEvent*>& events, const Shard* shard,
                              RestoreReport& report) {
  std::unordered_map<std::string_view, uint32_t> by_name;  // sequence rule -> automaton
  for (size_t r = 0; r < rules_.size(); ++r) by_name.emplace(p_.rules[rule_of_[r]].name, r);
  auto event = [&](uint64_t i) { return i < events.size() ? events[i] : nullptr; };
  for (const RuleRecord& rec : s.rules) {
    auto found = by_name.find(rec.name);
    bool same =
        found != by_name.end() && p_.rules[rule_of_[found->second]].identity == rec.identity;
    if (!same) {
      if (!shard || shard->index == 0) {
        ++report.dropped_rules;
        for (const PartitionRecord& pr : rec.partitions)
          report.dropped_partial += pr.matches.size();
      }
      continue;
    }
    const uint32_t r = found->second;
    const Automaton& a = p_.automata[r];
    RuleState& rs = rules_[r];
    for (const PartitionRecord& pr : rec.partitions) {
      uint64_t h = HashBytes(pr.key_text);
      if (shard && !shard->OwnsKey(h)) continue;
      const StoredEvent* key_event = event(pr.key_event);
      if (!key_event) {
        report.dropped_partial += pr.matches.size();
        continue;
      }
      Partition* part = rs.parts.Find(h, pr.key_text);
      if (!part) {
        part = NewPartition(rs, h, pr.key_text);
        part->key_event = EventRef(key_event);
      }
      for (const MatchRecord& m : pr.matches) {
        PartialMatch pm;
        bool ok = !m.bound.empty() && m.pos < a.terms.size();
        for (const auto& [term, idx] : m.bound) {
          const StoredEvent* e = event(idx);
          ok = ok && e && term < a.terms.size();
          if (!ok) break;
          pm.events.Push(term, e);
        }
        if (!ok) {
          ++report.dropped_partial;
          continue;
        }
        pm.pos = m.pos;
        pm.count = m.count;
        pm.start = m.start;
        if (!m.aggs.empty() && m.aggs.size() == a.aggregates.size()) {
          pm.naggs = static_cast<uint16_t>(m.aggs.size());
          pm.aggs = std::make_unique<AggState[]>(pm.naggs);
          for (size_t i = 0; i < pm.naggs; ++i) {
            const AggRecord& ar = m.aggs[i];
            pm.aggs[i].numbers = ar.numbers;
            pm.aggs[i].sum = ar.sum;
            pm.aggs[i].min = ar.min;
            pm.aggs[i].max = ar.max;
          }
          if (m.distinct.size() == pm.naggs) {
            pm.has_distinct = true;
            pm.distinct = std::make_unique<DistinctSet[]>(pm.naggs);
            for (size_t i = 0; i < pm.naggs; ++i) {
              for (uint32_t at : m.distinct[i]) {
                if (at >= pm.events.size()) continue;
                const Value& v = pm.events.event(at)->slots[a.aggregates[i].slot];
                pm.distinct[i].emplace_back(DistinctHash(v), at);
              }
              std::sort(pm.distinct[i].begin(), pm.distinct[i].end());
            }
          }
        }
        Remember(pm);
        part->pms.push_back(std::move(pm));
        ++live_;
        ++report.partial_matches;
      }
    }
    for (const TimerRecord& t : rec.timers) {
      uint64_t h = HashBytes(t.key_text);
      if (shard && !shard->OwnsKey(h)) continue;
      Partition* part = rs.parts.Find(h, t.key_text);
      if (!part) continue;  // its partition was dropped: nothing for it to end
      rs.timers.push_back(Timer{t.deadline, t.seq, event(t.first), part});
      bytes_ += sizeof(Timer);
      ++part->timers;
    }
    // Partitions left with nothing (their matches no longer decode) go.
    std::vector<Partition*> idle;
    rs.parts.ForEachMutable([&](Partition& part) {
      if (part.pms.empty() && part.timers == 0) idle.push_back(&part);
    });
    for (Partition* part : idle) DropIfIdle(rs, part);
  }
  UpdateNextDeadline();
}

}  // namespace strix::engine
