// Engine: watermark, late routing, the reorder buffer and timers around the matcher
// (see engine.h).
#include "engine/engine.h"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <unordered_map>

namespace strix::engine {

Engine::Engine(const Program& p, int64_t max_delay_ms, size_t max_partial_matches, unsigned threads,
               size_t batch)
    : p_(p),
      max_delay_(max_delay_ms),
      max_partial_(max_partial_matches),
      batch_(std::max<size_t>(1, batch)) {
  if (!p.tables.empty()) tables_ = std::make_unique<TableStore>(p);
  matcher_ = NewMatcher();
  if (threads > 1) sharded_ = NewSharded(threads);
}

std::unique_ptr<Matcher> Engine::NewMatcher() const {
  auto m = std::make_unique<Matcher>(p_, max_partial_);
  m->SetTables(tables_.get());
  m->SetStateLimit(max_state_, meter_.get());
  return m;
}

std::unique_ptr<ShardedMatcher> Engine::NewSharded(unsigned workers) const {
  auto m = std::make_unique<ShardedMatcher>(p_, max_partial_, workers);
  m->SetTables(tables_.get());
  m->SetStateLimit(max_state_, meter_.get());
  return m;
}

bool Engine::SetParallel(bool parallel, ComplexEventSink& sink) {
  if (!sharded_ && !parked_) return !parallel;
  if (parallel == (sharded_ != nullptr)) return true;
  if (capture_open_.load(std::memory_order_acquire)) return false;
  if (sharded_) sharded_->Flush(timers_before_, sink, stats_);
  // The state through a snapshot in memory: its events are the running ones (refs, no copy).
  EngineSnapshot s;
  EventTable table(s.events);
  if (parallel) {
    matcher_->Save(s, table);
  } else {
    sharded_->Save(s, table);
  }
  std::vector<const StoredEvent*> events;
  events.reserve(s.events.refs.size());
  for (const EventRef& e : s.events.refs) events.push_back(e.get());
  RestoreReport report;
  // Suppression windows move rule by rule: the workers keep all rules' windows in one place,
  // one thread's Matcher those of single-event and of sequence rules apart.
  std::vector<int64_t> all(p_.rules.size()), singles(p_.rules.size()), seqs(p_.rules.size());
  for (size_t r = 0; r < p_.rules.size(); ++r) {
    all[r] = static_cast<int64_t>(r);
    singles[r] = p_.rules[r].sequence ? -1 : all[r];
    seqs[r] = p_.rules[r].sequence ? all[r] : -1;
  }
  if (refused_carry_.size() != p_.rules.size()) refused_carry_.assign(p_.rules.size(), 0);
  if (parallel) {
    parked_->Restore(s, events, report);
    parked_->suppression().MoveAll(matcher_->single_suppression(), all);
    parked_->suppression().MoveAll(matcher_->sequence_suppression(), all);
    matcher_->single_suppression().TakeRefused(refused_carry_);
    matcher_->sequence_suppression().TakeRefused(refused_carry_);
    sharded_ = std::move(parked_);
    matcher_ = NewMatcher();
  } else {
    matcher_->Restore(s, events, nullptr, report);
    matcher_->single_suppression().MoveAll(sharded_->suppression(), singles);
    matcher_->sequence_suppression().MoveAll(sharded_->suppression(), seqs);
    sharded_->suppression().TakeRefused(refused_carry_);
    parked_ = NewSharded(static_cast<unsigned>(sharded_->workers()));
    sharded_.reset();
  }
  // Same program, events by reference: nothing is dropped; were anything, it is counted.
  stats_.dropped_partial += report.dropped_partial;
  return true;
}

void Engine::UpdateTables(const Event& e) {
  tables_->Apply(e, table_eval_);
  table_eval_.Reset();
}

bool Engine::PreloadRow(uint32_t table, const Event& e) {
  return tables_ && table < p_.tables.size() && tables_->Upsert(table, e);
}

Engine::~Engine() = default;

size_t Engine::live_partial_matches() const {
  return sharded_ ? sharded_->live_partial_matches() : matcher_->sequences().live_partial_matches();
}

void Engine::PartialMatchesByRule(std::vector<uint64_t>& add) const {
  if (sharded_) {
    sharded_->PartialMatchesByRule(add);
  } else {
    matcher_->sequences().PartialMatchesByRule(add);
  }
}

void Engine::TakeSuppressedByRule(std::vector<uint64_t>& add) {
  for (size_t r = 0; r < refused_carry_.size() && r < add.size(); ++r) add[r] += refused_carry_[r];
  std::fill(refused_carry_.begin(), refused_carry_.end(), 0);
  matcher_->single_suppression().TakeRefused(add);
  matcher_->sequence_suppression().TakeRefused(add);
  if (sharded_) sharded_->suppression().TakeRefused(add);
}

void Engine::set_max_state(size_t bytes) {
  max_state_ = bytes;
  matcher_->SetStateLimit(bytes, meter_.get());
  if (sharded_) sharded_->SetStateLimit(bytes, meter_.get());
  if (parked_) parked_->SetStateLimit(bytes, meter_.get());
}

size_t Engine::state_bytes() const {
  size_t b = static_cast<size_t>(std::max<int64_t>(0, meter_->load()));
  if (sharded_) return b + sharded_->accounted_bytes();
  return b + matcher_->sequences().accounted_bytes();
}

Admit Engine::Push(Event&& e, ComplexEventSink& sink) {
  if (seen_any_ && e.time < watermark_) {
    ++stats_.late;
    return Admit::kLate;
  }
  if (TooFar(e.time)) {
    ++stats_.future;
    return Admit::kFuture;
  }
  ++stats_.events_in;
  if (!seen_any_ || e.time > max_seen_) max_seen_ = e.time;
  seen_any_ = true;
  watermark_ = max_seen_ - max_delay_;
  if (max_delay_ == 0) {
    FireTimers(watermark_, sink);
    Match(std::move(e), sink);
    return Admit::kAccepted;
  }
  if (!e.storage) e.Own();
  held_.push(std::move(e));
  const TimeMs upto = std::max(watermark_, advanced_);
  Release(upto, upto, sink);
  return Admit::kAccepted;
}

bool Engine::TooFar(TimeMs t) {
  if (max_future_ < 0 || (seen_any_ && t <= max_seen_)) return false;
  TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  TimeMs ahead_of = seen_any_ ? std::max(max_seen_, now) : now;
  return t > ahead_of && t - ahead_of > max_future_;
}

bool Engine::AdvanceTo(TimeMs t, ComplexEventSink& sink) {
  if (t <= std::max(watermark_, advanced_)) return false;
  advanced_ = t;
  Release(t, t, sink);
  return true;
}

void Engine::Match(Event&& e, ComplexEventSink& sink) {
  if (!sharded_) {
    matcher_->Process(e, sink, stats_);
    if (tables_) UpdateTables(e);
    return;
  }
  if (!e.storage) e.Own();
  if (tables_ && tables_->IsChangelog(e, table_eval_)) {
    // The workers read the tables while a batch runs: the batch ends with this event, and its
    // update comes after (events after it see it, it and those before do not).
    Event copy = e.Clone();
    sharded_->Add(std::move(e));
    sharded_->Flush(timers_before_, sink, stats_);
    UpdateTables(copy);
    return;
  }
  sharded_->Add(std::move(e));
  if (sharded_->pending() >= batch_) sharded_->Flush(timers_before_, sink, stats_);
}

void Engine::FireTimers(TimeMs before, ComplexEventSink& sink) {
  timers_before_ = std::max(timers_before_, before);
  // Workers fire their timers before each event of a batch and before this bound at its end.
  if (sharded_) return;
  matcher_->FireDeadlines(before, sink, stats_);
}

void Engine::Flush(ComplexEventSink& sink) {
  if (sharded_) sharded_->Flush(timers_before_, sink, stats_);
}

void Engine::Release(TimeMs upto, TimeMs timers_before, ComplexEventSink& sink) {
  while (true) {
    bool event_ready = !held_.empty() && held_.top().time <= upto;
    if (!sharded_) {
      TimeMs deadline = matcher_->NextDeadline();
      bool timer_ready = deadline < timers_before && deadline != kEndOfTime;
      // A deadline d comes after every event of time up to d and before any later one.
      if (timer_ready && (!event_ready || deadline < held_.top().time)) {
        matcher_->FireDeadlines(deadline + 1, sink, stats_);
        continue;
      }
    }
    if (!event_ready) break;
    // priority_queue::top is const; move out through a copy of the handle.
    Event e = std::move(const_cast<Event&>(held_.top()));
    held_.pop();
    Match(std::move(e), sink);
  }
  if (sharded_) FireTimers(timers_before, sink);
}

void Engine::Save(EngineSnapshot& s) const {
  s.Clear();
  EventTable table(s.events);
  if (sharded_) {
    sharded_->Save(s, table);
  } else {
    matcher_->Save(s, table);
  }
  SaveRest(s);
  DropEmptyRules(s);
}

void Engine::BeginCapture(EngineSnapshot& s) {
  s.Clear();
  capture_open_.store(true, std::memory_order_release);  // no change of way until complete
  if (sharded_) {
    sharded_->BeginCapture();
  } else {
    matcher_->BeginCapture();
  }
  SaveRest(s);
}

void Engine::CompleteCapture(EngineSnapshot& s) {
  EventTable table(s.events);
  if (sharded_) {
    sharded_->CaptureRest(s, table);
  } else {
    matcher_->CaptureRest(s, table);
  }
  DropEmptyRules(s);
  capture_open_.store(false, std::memory_order_release);
}

void Engine::SaveRest(EngineSnapshot& s) const {
  auto windows = [&](const Suppression& sup) {
    sup.ForEach([&](uint32_t rule, std::string_view key, TimeMs until) {
      const CompiledRule& cr = p_.rules[rule];
      s.suppression.push_back(SuppressionRecord{cr.name, cr.identity, std::string(key), until});
    });
  };
  if (sharded_) {
    windows(sharded_->suppression());
  } else {
    windows(matcher_->single_suppression());
    windows(matcher_->sequence_suppression());
  }
  for (const Event& e : held_.items()) s.held.Add(e.raw, e.time, e.source, e.line, e.seq);
  if (tables_) tables_->Save(s.tables);
  s.seen_any = seen_any_;
  s.max_seen = max_seen_;
  s.watermark = watermark_;
  s.timers_before = timers_before_;
  s.stats = stats_;
}

void Engine::DropEmptyRules(EngineSnapshot& s) {
  // Rules without state this time (kept from an earlier Save for their memory) are not written.
  s.rules.erase(
      std::remove_if(s.rules.begin(), s.rules.end(), [](const RuleRecord& r) { return r.empty(); }),
      s.rules.end());
}

bool Engine::Hold(const EventRecord& rec, const DecodeFn& decode) {
  Event ev;
  if (!decode(rec, ev)) return false;
  if (!ev.storage) ev.Own();
  held_.push(std::move(ev));
  return true;
}

RestoreReport Engine::Restore(const EngineSnapshot& s, const DecodeFn& decode) {
  RestoreReport report;
  std::vector<EventRef> keep;  // alive while the state is rebuilt
  std::vector<const StoredEvent*> events;
  events.reserve(s.events.size());
  for (size_t i = 0; i < s.events.size(); ++i) {
    EventRecord rec = s.events.Get(i);
    Event ev;
    if (!decode(rec, ev)) {
      events.push_back(nullptr);
      ++report.undecodable_events;
      continue;
    }
    keep.emplace_back(StoredEvent::Make(ev, meter_.get(), &p_.stored_slots));
    events.push_back(keep.back().get());
  }
  if (sharded_) {
    sharded_->Restore(s, events, report);
  } else {
    matcher_->Restore(s, events, nullptr, report);
  }
  std::unordered_map<std::string_view, uint32_t> rule_of;
  for (uint32_t r = 0; r < p_.rules.size(); ++r) rule_of.emplace(p_.rules[r].name, r);
  for (const SuppressionRecord& rec : s.suppression) {
    auto it = rule_of.find(rec.rule);
    if (it == rule_of.end() || p_.rules[it->second].identity != rec.identity) continue;
    Suppression& sup = sharded_                        ? sharded_->suppression()
                       : p_.rules[it->second].sequence ? matcher_->sequence_suppression()
                                                       : matcher_->single_suppression();
    sup.Restore(it->second, rec.key, rec.until);
  }
  for (size_t i = 0; i < s.held.size(); ++i) {
    if (!Hold(s.held.Get(i), decode)) ++report.undecodable_events;
  }
  RestoreTables(s.tables, decode, report);
  seen_any_ = s.seen_any;
  max_seen_ = s.max_seen;
  watermark_ = s.watermark;
  timers_before_ = s.timers_before;
  stats_ = s.stats;
  return report;
}

void Engine::RestoreTables(const TableRows& saved, const DecodeFn& decode, RestoreReport& report) {
  if (!tables_) return;  // tables no longer in the rules: their rows go
  tables_->Clear();      // the saved rows, and only they (not rows preloaded before)
  for (size_t i = 0; i < saved.rows.size() && i < saved.table_of_row.size(); ++i) {
    if (saved.table_of_row[i] >= saved.names.size()) continue;
    const std::string& name = saved.names[saved.table_of_row[i]];
    for (uint32_t t = 0; t < p_.tables.size(); ++t) {
      if (p_.tables[t].name != name) continue;
      Event ev;
      if (!decode(saved.rows.Get(i), ev)) {
        ++report.undecodable_events;
        break;
      }
      tables_->Upsert(t, ev);  // keyed by the table's key path as it is now
    }
  }
}

void Engine::Finish(ComplexEventSink& sink, bool interrupted) {
  if (interrupted) {
    // Held events are matched in order; timers fire only as far as they would have.
    while (!held_.empty()) Release(held_.top().time, held_.top().time, sink);
  } else {
    Release(kEndOfTime, kEndOfTime, sink);
    FireTimers(kEndOfTime, sink);
  }
  Flush(sink);
}

}  // namespace strix::engine
