// Snapshot and restore of the sequence matcher's state: partitions, partial matches with their
// bound events and aggregates, and timers, as the columns of RuleRecord (see snapshot.h and
// sequence_matcher.h).
#include <algorithm>
#include <atomic>
#include <numeric>
#include <thread>
#include <unordered_map>

#include "common/hash.h"
#include "engine/sequence_matcher.h"

namespace strix::engine {

namespace {
std::atomic<uint64_t> g_snapshot_marks{0};
}  // namespace

void EventColumns::Add(std::string_view raw, int64_t t, uint32_t src, uint64_t ln, uint64_t sq) {
  text.append(raw);
  ends.push_back(text.size());
  time.push_back(t);
  source.push_back(src);
  line.push_back(ln);
  seq.push_back(sq);
}

void EventColumns::Clear() {
  refs.clear();
  text.clear();
  ends.clear();
  time.clear();
  source.clear();
  line.clear();
  seq.clear();
}

void EventColumns::Detach() {
  if (refs.empty()) return;
  std::vector<EventRef> held;
  held.swap(refs);
  for (const EventRef& r : held) {
    const EventHead& e = r->head;
    Add(e.raw, e.time, e.source, e.line, e.seq);
  }
}

void EngineSnapshot::Detach() {
  events.Detach();
  this->held.Detach();
  tables.rows.Detach();
}

void EngineSnapshot::ReleaseEvents() {
  events.refs.clear();
  held.refs.clear();
  tables.rows.refs.clear();
}

void RuleRecord::Clear() {
  for (auto* v : {&key_event, &timer_seq, &bound_event}) v->clear();
  for (auto* v : {&matches, &pos, &count, &bound, &bound_term, &agg_numbers, &distinct_count,
                  &distinct_at, &timer_partition})
    v->clear();
  for (auto* v : {&start, &timer_deadline}) v->clear();
  for (auto* v : {&agg_sum, &agg_min, &agg_max}) v->clear();
  key_text.clear();
  aggs.clear();
}

void EngineSnapshot::Clear() {
  events.Clear();
  for (RuleRecord& r : rules) r.Clear();  // names stay: the next Save finds them
  suppression.clear();
  held.Clear();
  tables.Clear();
  seen_any = false;
  max_seen = watermark = timers_before = 0;
  stats = RunStats();
}

void EventColumns::Add(const EventRecord& e) {
  Add(e.raw, e.time, e.source, e.line, e.seq);
}

EventRecord EventColumns::Get(size_t i) const {
  if (!refs.empty()) {
    const EventHead& e = refs[i]->head;
    return EventRecord{std::string(e.raw), e.time, e.source, e.line, e.seq};
  }
  size_t begin = i == 0 ? 0 : ends[i - 1];
  return EventRecord{text.substr(begin, ends[i] - begin), time[i], source[i], line[i], seq[i]};
}

EventTable::EventTable(EventColumns& out) : out_(out), mark_(++g_snapshot_marks) {}

uint64_t EventTable::Add(const StoredEvent* e) {
  if (e->snap_mark != mark_) {
    e->snap_mark = mark_;
    e->snap_index = static_cast<uint32_t>(out_.size());
    out_.refs.emplace_back(e);  // its bytes are copied when the snapshot is encoded
  }
  return e->snap_index;
}

template <class Index>
void SequenceMatcher::SavePartition(size_t r, const Partition& part, RuleRecord& rec,
                                    Index& index) const {
  part.snap_index = static_cast<uint32_t>(rec.partitions());  // for the timers
  rec.key_text.push_back(part.key_text);
  rec.key_event.push_back(index(part.key_event.get()));
  const size_t in_run = part.run ? part.run->size() : 0;
  rec.matches.push_back(static_cast<uint32_t>(part.pms.size() + in_run));
  auto save = [&](const PartialMatch& pm) {
    rec.pos.push_back(pm.pos);
    rec.count.push_back(pm.count);
    rec.start.push_back(pm.start);
    rec.bound.push_back(static_cast<uint32_t>(pm.events.size()));
    for (size_t i = 0; i < pm.events.size(); ++i) {
      rec.bound_term.push_back(pm.events.term(i));
      rec.bound_event.push_back(index(pm.events.stored(i)));
    }
    rec.aggs.push_back(!pm.aggs ? 0 : pm.aggs.has_distinct() ? 2 : 1);
    if (pm.aggs) {
      for (size_t i = 0; i < pm.aggs.size(); ++i) {
        const AggState& a = pm.aggs.state(i);
        rec.agg_numbers.push_back(a.numbers);
        rec.agg_sum.push_back(a.sum);
        rec.agg_min.push_back(a.min);
        rec.agg_max.push_back(a.max);
      }
    }
    if (pm.aggs.has_distinct()) {
      for (size_t i = 0; i < pm.aggs.size(); ++i) {
        rec.distinct_count.push_back(static_cast<uint32_t>(pm.aggs.set(i).size()));
        for (const auto& [hash, at] : pm.aggs.set(i)) rec.distinct_at.push_back(at);
      }
    }
  };
  for (const PartialMatch& pm : part.pms) save(pm);
  // A run's matches are saved one by one, as partial matches (the format knows no runs;
  // a restored partition forms its run again when it steps).
  PartialMatch pm;
  for (size_t i = 0; i < in_run; ++i) {
    part.run->Materialize(p_.automata[r], i, pm);
    save(pm);
  }
}

RuleRecord& SequenceMatcher::RecordFor(EngineSnapshot& s, size_t r) const {
  const CompiledRule& cr = p_.rules[rule_of_[r]];
  auto rec = std::find_if(s.rules.begin(), s.rules.end(),
                          [&](const RuleRecord& x) { return x.name == cr.name; });
  if (rec != s.rules.end()) return *rec;
  s.rules.emplace_back();
  s.rules.back().name = cr.name;
  s.rules.back().identity = cr.identity;
  return s.rules.back();
}

void SequenceMatcher::SaveTimers(const std::vector<TimerCopy>& timers, RuleRecord& rec,
                                 uint32_t run_base) {
  // This matcher's timers are in (deadline, seq) order; another worker's, saved before, are
  // merged in so that the record holds the order one matcher would. A partition saved by the
  // run during a capture is numbered after those of the other thread (run_base).
  const size_t before = rec.timer_seq.size();
  for (const TimerCopy& t : timers) {
    rec.timer_deadline.push_back(t.deadline);
    rec.timer_seq.push_back(t.seq);
    rec.timer_partition.push_back(t.part->snap_index + (t.part->snap_by_run ? run_base : 0));
  }
  if (before == 0) return;
  struct T {
    int64_t deadline;
    uint64_t seq;
    uint32_t partition;
  };
  std::vector<T> all;
  for (size_t i = 0; i < rec.timer_seq.size(); ++i)
    all.push_back({rec.timer_deadline[i], rec.timer_seq[i], rec.timer_partition[i]});
  std::inplace_merge(all.begin(), all.begin() + static_cast<long>(before), all.end(),
                     [](const T& a, const T& b) {
                       return std::tie(a.deadline, a.seq) < std::tie(b.deadline, b.seq);
                     });
  for (size_t i = 0; i < all.size(); ++i) {
    rec.timer_deadline[i] = all[i].deadline;
    rec.timer_seq[i] = all[i].seq;
    rec.timer_partition[i] = all[i].partition;
  }
}

void SequenceMatcher::Save(EngineSnapshot& s, EventTable& events) const {
  const_cast<SequenceMatcher*>(this)->WaitCapture();
  for (size_t r = 0; r < rules_.size(); ++r) {
    const RuleState& rs = rules_[r];
    if (rs.parts.empty() && rs.timers.empty()) continue;
    RuleRecord& rec = RecordFor(s, r);
    auto index = [&](const StoredEvent* e) { return events.Add(e); };
    rs.parts.ForEach([&](const Partition& part) {
      const_cast<Partition&>(part).snap_by_run = false;
      SavePartition(r, part, rec, index);
    });
    if (rs.timers.empty()) continue;
    std::vector<TimerCopy> timers;
    timers.reserve(rs.timers.size());
    for (const Timer& t : rs.timers) timers.push_back({t.deadline, t.seq, t.part});
    SaveTimers(timers, rec, 0);
  }
}

namespace {

std::atomic<uint64_t> g_capture_epochs{0};

template <typename T>
void Append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// Appends the partitions of `from` to `to`, their events numbered through `remap`.
void AppendRecord(const RuleRecord& from, const std::vector<uint64_t>& remap, RuleRecord& to) {
  Append(to.key_text, from.key_text);
  for (uint64_t e : from.key_event) to.key_event.push_back(remap[e]);
  Append(to.matches, from.matches);
  Append(to.pos, from.pos);
  Append(to.count, from.count);
  Append(to.start, from.start);
  Append(to.bound, from.bound);
  Append(to.aggs, from.aggs);
  Append(to.bound_term, from.bound_term);
  for (uint64_t e : from.bound_event) to.bound_event.push_back(remap[e]);
  Append(to.agg_numbers, from.agg_numbers);
  Append(to.agg_sum, from.agg_sum);
  Append(to.agg_min, from.agg_min);
  Append(to.agg_max, from.agg_max);
  Append(to.distinct_count, from.distinct_count);
  Append(to.distinct_at, from.distinct_at);
}

}  // namespace

SequenceMatcher::~SequenceMatcher() {
  WaitCapture();
}

void SequenceMatcher::BeginCapture() {
  WaitCapture();
  Capture& c = cap_;
  c.epoch = ++g_capture_epochs;
  c.parts.resize(rules_.size());
  c.timers.resize(rules_.size());
  c.by_run.resize(rules_.size());
  for (size_t r = 0; r < rules_.size(); ++r) {
    c.parts[r].clear();
    c.timers[r].clear();
    c.by_run[r].Clear();
    rules_[r].parts.ForEachMutable([&](Partition& part) { c.parts[r].push_back(&part); });
    for (const Timer& t : rules_[r].timers) c.timers[r].push_back({t.deadline, t.seq, t.part});
  }
  c.run_events.clear();
  c.run_index.clear();
  c.walked.store(false, std::memory_order_release);
  capturing_ = true;
}

// Whether this thread claims `part` for saving in the capture whose stamp is `done` (it is
// then marked as being saved); false when the other thread has it or is done with it.
bool SequenceMatcher::Claim(Partition* part, uint64_t done) {
  const uint64_t busy = done - 1;
  uint64_t v = part->snap.load(std::memory_order_acquire);
  return v < busy && part->snap.compare_exchange_strong(v, busy, std::memory_order_acq_rel);
}

// A partition is saved once per capture, by whichever thread claims it first: the run before
// it changes it (here), or CaptureRest walking the partitions noted at BeginCapture.
void SequenceMatcher::CaptureOnWrite(RuleState& rs, Partition* part) {
  Capture& c = cap_;
  if (c.walked.load(std::memory_order_acquire)) {
    EndCapture();
    return;
  }
  const uint64_t done = 2 * c.epoch;
  if (Claim(part, done)) {
    // Its events are held (refs) until CaptureRest numbers them with the others': the run
    // may let go of them meanwhile. The writer owns the events' snapshot marks.
    auto index = [&](const StoredEvent* e) {
      auto [it, added] = c.run_index.try_emplace(e, c.run_events.size());
      if (added) c.run_events.emplace_back(e);
      return it->second;
    };
    const auto r = static_cast<size_t>(&rs - rules_.data());
    SavePartition(r, *part, c.by_run[r], index);
    part->snap_by_run = true;
    part->snap.store(done, std::memory_order_release);
    return;
  }
  // The other thread is saving it (or failed while it did: then the capture ends).
  while (part->snap.load(std::memory_order_acquire) != done) {
    if (c.walked.load(std::memory_order_acquire)) return EndCapture();
    std::this_thread::yield();
  }
}

namespace {

// The columns of a rule record agree with each other (a damaged or foreign checkpoint that
// passed the checksum must not be read out of bounds).
bool Consistent(const RuleRecord& r, size_t nterms, size_t naggs) {
  const size_t parts = r.key_text.size();
  if (r.key_event.size() != parts || r.matches.size() != parts) return false;
  const size_t ms = std::accumulate(r.matches.begin(), r.matches.end(), size_t{0});
  if (r.pos.size() != ms || r.count.size() != ms || r.start.size() != ms || r.bound.size() != ms ||
      r.aggs.size() != ms)
    return false;
  const size_t bound = std::accumulate(r.bound.begin(), r.bound.end(), size_t{0});
  if (r.bound_term.size() != bound || r.bound_event.size() != bound) return false;
  size_t with_aggs = 0, with_distinct = 0;
  for (uint8_t a : r.aggs) {
    with_aggs += a != 0;
    with_distinct += a == 2;
  }
  const size_t agg_rows = with_aggs * naggs;
  if (r.agg_numbers.size() != agg_rows || r.agg_sum.size() != agg_rows ||
      r.agg_min.size() != agg_rows || r.agg_max.size() != agg_rows)
    return false;
  if (r.distinct_count.size() != with_distinct * naggs) return false;
  const size_t at = std::accumulate(r.distinct_count.begin(), r.distinct_count.end(), size_t{0});
  if (r.distinct_at.size() != at) return false;
  for (uint32_t p : r.pos) {
    if (p >= nterms) return false;
  }
  for (uint32_t t : r.bound_term) {
    if (t >= nterms) return false;
  }
  const size_t timers = r.timer_deadline.size();
  if (r.timer_seq.size() != timers || r.timer_partition.size() != timers) return false;
  for (uint32_t p : r.timer_partition) {
    if (p >= parts) return false;
  }
  return true;
}

}  // namespace

void SequenceMatcher::Restore(const EngineSnapshot& s,
                              const std::vector<const StoredEvent*>& events, const Shard* shard,
                              RestoreReport& report) {
  WaitCapture();
  std::unordered_map<std::string_view, uint32_t> by_name;  // sequence rule -> automaton
  for (size_t r = 0; r < rules_.size(); ++r) by_name.emplace(p_.rules[rule_of_[r]].name, r);
  auto event = [&](uint64_t i) { return i < events.size() ? events[i] : nullptr; };
  const bool count_drops = !shard || shard->index == 0;  // one worker reports for all
  for (const RuleRecord& rec : s.rules) {
    auto found = by_name.find(rec.name);
    const uint32_t r = found == by_name.end() ? 0 : found->second;
    bool same = found != by_name.end() && p_.rules[rule_of_[r]].identity == rec.identity &&
                Consistent(rec, p_.automata[r].terms.size(), p_.automata[r].aggregates.size());
    if (!same) {
      if (count_drops) {
        ++report.dropped_rules;
        report.dropped_partial += rec.pos.size();
      }
      continue;
    }
    const Automaton& a = p_.automata[r];
    const size_t naggs = a.aggregates.size();
    RuleState& rs = rules_[r];
    std::vector<Partition*> parts(rec.partitions(), nullptr);
    size_t m = 0, b = 0, g = 0, dc = 0, da = 0;  // cursors into the match, bound, agg columns
    // A rule kept by an inferred key lives where the rule as written would: on the worker of
    // its empty key (sequence_inferred.cc). Its one partition as written ("") means the
    // checkpoint was taken while it was merged back (or by a strix that did not infer).
    for (size_t pi = 0; pi < rec.partitions(); ++pi) {
      const uint64_t h = HashBytes(rec.key_text[pi]);
      const bool mine = !shard || shard->OwnsKey(rs.inferable ? UnkeyedHash() : h);
      if (mine && rs.inferable && rec.key_text[pi].empty()) rs.by_inferred = false;
      const StoredEvent* key_event = event(rec.key_event[pi]);
      Partition* part = nullptr;
      if (mine && key_event) {
        part = rs.parts.Find(h, rec.key_text[pi]);
        if (!part) {
          part = NewPartition(rs, h, rec.key_text[pi]);
          part->key_event = EventRef(key_event);
        }
      }
      parts[pi] = part;
      for (uint32_t k = 0; k < rec.matches[pi]; ++k, ++m) {
        const uint32_t nbound = rec.bound[m];
        const uint8_t kind = rec.aggs[m];
        const size_t b0 = b, g0 = g, dc0 = dc, da0 = da;
        b += nbound;
        if (kind != 0) g += naggs;
        if (kind == 2) {
          for (size_t i = 0; i < naggs; ++i) da += rec.distinct_count[dc++];
        }
        if (!mine) continue;
        PartialMatch pm;
        bool ok = part != nullptr && nbound > 0;
        for (size_t i = b0; ok && i < b; ++i) {
          const StoredEvent* e = event(rec.bound_event[i]);
          ok = e != nullptr;
          if (ok) pm.events.Push(rec.bound_term[i], e);
        }
        if (!ok) {
          ++report.dropped_partial;
          continue;
        }
        pm.pos = rec.pos[m];
        pm.count = rec.count[m];
        pm.start = rec.start[m];
        if (!a.groups.empty()) pm.RebuildBranches(a);  // derived from the bindings
        if (kind != 0 && naggs > 0) {
          pm.aggs.Make(static_cast<uint32_t>(naggs), kind == 2);
          for (size_t i = 0; i < naggs; ++i) {
            AggState& st = pm.aggs.state(i);
            st.numbers = rec.agg_numbers[g0 + i];
            st.sum = rec.agg_sum[g0 + i];
            st.min = rec.agg_min[g0 + i];
            st.max = rec.agg_max[g0 + i];
          }
        }
        if (kind == 2 && naggs > 0) {
          size_t at = da0;
          for (size_t i = 0; i < naggs; ++i) {
            for (uint32_t n = rec.distinct_count[dc0 + i]; n > 0; --n, ++at) {
              uint32_t pos = rec.distinct_at[at];
              if (pos >= pm.events.size()) continue;
              const Value& v = pm.events.stored(pos)->slot(a.aggregates[i].slot);
              pm.aggs.set(i).Push({DistinctHash(v), pos});
            }
            std::sort(pm.aggs.set(i).begin(), pm.aggs.set(i).end());
          }
        }
        Remember(pm);
        part->pms.push_back(std::move(pm));
        ++live_;
        ++rs.live;
        ++report.partial_matches;
      }
    }
    for (size_t i = 0; i < rec.timer_seq.size(); ++i) {
      Partition* part = parts[rec.timer_partition[i]];
      if (!part) continue;  // another worker's, or dropped: nothing for it to end
      rs.timers.push_back(Timer{rec.timer_deadline[i], rec.timer_seq[i], part});
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

void SequenceMatcher::EndCapture() {
  capturing_ = false;
  for (Partition* part : cap_.graveyard) delete part;
  cap_.graveyard.clear();
}

void SequenceMatcher::WaitCapture() {
  if (!capturing_) return;
  while (!cap_.walked.load(std::memory_order_acquire)) std::this_thread::yield();
  EndCapture();
}

void SequenceMatcher::CaptureRest(EngineSnapshot& s, EventTable& events) {
  Capture& c = cap_;
  const uint64_t done = 2 * c.epoch;
  // However this ends (out of memory: the checkpoint fails), the run must not wait for it.
  struct Walked {
    std::atomic<bool>& flag;
    ~Walked() { flag.store(true, std::memory_order_release); }
  } walked{c.walked};
  auto index = [&](const StoredEvent* e) { return events.Add(e); };
  // The partitions the run has not claimed, as they were at BeginCapture.
  for (size_t r = 0; r < rules_.size(); ++r) {
    if (c.parts[r].empty() && c.timers[r].empty()) continue;
    RuleRecord& rec = RecordFor(s, r);
    const std::vector<Partition*>& parts = c.parts[r];
    for (size_t i = 0; i < parts.size(); ++i) {
      Partition* part = parts[i];
      // The partitions are scattered: ask for the next ones early (their own fields only; what
      // they point to may be changing under the run until they are claimed).
      if (i + 8 < parts.size()) __builtin_prefetch(parts[i + 8]);
      if (Claim(part, done)) {
        SavePartition(r, *part, rec, index);
        part->snap_by_run = false;
        part->snap.store(done, std::memory_order_release);
        continue;
      }
      while (part->snap.load(std::memory_order_acquire) != done) std::this_thread::yield();
    }
  }
  // Every partition is saved: what the run saved itself is final. Its events join the
  // snapshot's (each event once: the table's marks), its partitions follow the others.
  std::vector<uint64_t> remap(c.run_events.size());
  for (size_t i = 0; i < remap.size(); ++i) remap[i] = events.Add(c.run_events[i].get());
  for (size_t r = 0; r < rules_.size(); ++r) {
    if (c.parts[r].empty() && c.timers[r].empty()) continue;
    RuleRecord& rec = RecordFor(s, r);
    const auto run_base = static_cast<uint32_t>(rec.partitions());
    AppendRecord(c.by_run[r], remap, rec);
    if (!c.timers[r].empty()) SaveTimers(c.timers[r], rec, run_base);
  }
  // The snapshot holds the run's events now; letting go of these here spares the run's thread.
  c.run_events.clear();
  c.run_index.clear();
}  // `walked`: the run may free erased partitions now

}  // namespace strix::engine
