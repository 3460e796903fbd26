// Parallel matching and the ordered merge (see sharded_matcher.h).
#include "engine/sharded_matcher.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "common/parallel.h"
#include "engine/partial_match.h"

namespace strix::engine {
namespace sharded {

// One complex event kept by a worker until the merge: values point into `text`. A worker
// reuses its Kept from batch to batch (their vectors and text keep their capacity).
struct Kept {
  uint8_t phase = 0;           // 0: completed by an event; 1: by a deadline
  uint64_t ordinal = 0;        // the event's processing position (phase 0)
  std::vector<uint64_t> seqs;  // input order of the matched events (section 3.4's tie order)
  uint64_t local = 0;          // emission order within the worker
  ComplexEvent ce;
  std::vector<char> text;  // on the heap, so that views survive the Kept moving
  std::vector<EventRef> keep;

  auto Key() const { return std::tie(ce.time, phase, ordinal, ce.rule, seqs, local); }
};

bool Before(const Kept* a, const Kept* b) {
  return a->Key() < b->Key();
}

}  // namespace sharded

using sharded::Before;
using sharded::Kept;

struct ShardedMatcher::Worker : ComplexEventSink {
  Worker(const Program& p, size_t max_partial, uint32_t index, uint32_t count)
      : matcher(p, max_partial, /*suppress=*/false) {
    shard.index = index;
    shard.count = count;
  }

  void Emit(const ComplexEvent& ce) override {
    if (used == out.size()) out.emplace_back();
    Kept& k = out[used++];
    k.phase = phase;
    k.ordinal = phase == 0 ? shard.ordinal : 0;
    k.seqs.clear();
    for (const MatchedEvent& m : ce.events) k.seqs.push_back(m.event->seq);
    k.local = local++;
    k.ce = ce;  // copy assignment: the vectors keep their capacity
    size_t bytes = 0;
    auto measure = [&](const Value& v) { bytes += v.text.size(); };
    for (const Value& v : ce.key) measure(v);
    for (const Value& v : ce.fields) measure(v);
    k.text.resize(bytes);  // before any view into it is taken
    char* at = k.text.data();
    auto own = [&](Value& v) {
      if (v.text.empty()) return;
      std::memcpy(at, v.text.data(), v.text.size());
      v.text = std::string_view(at, v.text.size());
      at += v.text.size();
    };
    for (Value& v : k.ce.key) own(v);
    for (Value& v : k.ce.fields) own(v);
    k.keep.clear();
    for (const MatchedEvent& m : ce.events) {
      if (m.stored) k.keep.emplace_back(m.stored);
    }
  }

  // After the merge: the events the kept complex events held are let go; the Kept stay.
  void Clear() {
    for (size_t i = 0; i < used; ++i) out[i].keep.clear();
    used = 0;
  }

  // Phase 1, events [begin, end): single-event rules in full, and the route of each event.
  void Route(const std::vector<Event>& batch, size_t begin, size_t end, uint64_t first_ordinal) {
    items.clear();
    item_end.clear();
    phase = 0;
    for (size_t i = begin; i < end; ++i) {
      shard.ordinal = first_ordinal + i;
      matcher.Route(batch[i], shard.count, items, *this, stats);
      item_end.push_back(items.size());
    }
  }

  // Phase 2, every event in processing order: this worker's sequence partitions and timers.
  void Match(const std::vector<Event>& batch, const std::vector<std::unique_ptr<Worker>>& all,
             uint64_t first_ordinal, TimeMs timers_before) {
    size_t n = batch.size(), chunks = all.size();
    for (size_t c = 0; c < chunks; ++c) {
      const Worker& router = *all[c];
      size_t begin = c * n / chunks;
      for (size_t i = begin; i < (c + 1) * n / chunks; ++i) {
        const Event& e = batch[i];
        phase = 1;
        matcher.FireDeadlines(e.time, *this, stats);
        phase = 0;
        shard.ordinal = first_ordinal + i;
        size_t j = i - begin;
        const Matcher::RouteItem* items_begin =
            router.items.data() + (j ? router.item_end[j - 1] : 0);
        const Matcher::RouteItem* items_end = router.items.data() + router.item_end[j];
        matcher.ProcessRouted(e, items_begin, items_end, shard, *this, stats);
      }
    }
    phase = 1;
    matcher.FireDeadlines(timers_before, *this, stats);
  }

  Matcher matcher;
  Shard shard;
  RunStats stats;
  uint8_t phase = 0;
  uint64_t local = 0;
  std::vector<Kept> out;  // out[0, used) this batch's; the rest kept for reuse
  size_t used = 0;
  std::vector<Matcher::RouteItem> items;  // phase 1 output for this worker's chunk
  std::vector<size_t> item_end;           // per event of the chunk: end of its items
};

unsigned UsefulWorkers(const Program& p, unsigned threads) {
  for (const Automaton& a : p.automata) {
    if (a.keyed()) return std::max(1u, threads);
  }
  return 1;
}

ShardedMatcher::ShardedMatcher(const Program& p, size_t max_partial_matches, unsigned threads)
    : p_(p) {
  // Routes name their owners in a 64-bit mask (Matcher::RouteItem): at most 64 workers.
  uint32_t n = std::clamp(threads, 1u, 64u);
  for (uint32_t w = 0; w < n; ++w) {
    workers_.push_back(std::make_unique<Worker>(p, max_partial_matches, w, n));
  }
}

ShardedMatcher::~ShardedMatcher() = default;

void ShardedMatcher::PartialMatchesByRule(std::vector<uint64_t>& add) const {
  for (const auto& w : workers_) w->matcher.sequences().PartialMatchesByRule(add);
}

size_t ShardedMatcher::live_partial_matches() const {
  size_t n = 0;
  for (const auto& w : workers_) n += w->matcher.sequences().live_partial_matches();
  return n;
}

size_t ShardedMatcher::accounted_bytes() const {
  size_t n = 0;
  for (const auto& w : workers_) n += w->matcher.sequences().accounted_bytes();
  return n;
}

void ShardedMatcher::Save(EngineSnapshot& s, EventTable& events) const {
  for (const auto& w : workers_) w->matcher.Save(s, events);
}

void ShardedMatcher::BeginCapture() {
  for (auto& w : workers_) w->matcher.BeginCapture();
}

void ShardedMatcher::CaptureRest(EngineSnapshot& s, EventTable& events) {
  for (auto& w : workers_) w->matcher.CaptureRest(s, events);
}

void ShardedMatcher::Restore(const EngineSnapshot& s, const std::vector<const StoredEvent*>& events,
                             RestoreReport& report) {
  for (auto& w : workers_) w->matcher.Restore(s, events, &w->shard, report);
}

bool ShardedMatcher::TakeOver(ShardedMatcher& old, const std::vector<int64_t>& rule_map,
                              std::vector<uint64_t>& dropped, std::vector<bool>& had_state,
                              uint64_t& kept) {
  if (old.workers_.size() != workers_.size()) return false;
  for (size_t w = 0; w < workers_.size(); ++w)
    workers_[w]->matcher.TakeOver(old.workers_[w]->matcher, rule_map, dropped, had_state, kept);
  suppress_.MoveAll(old.suppress_, rule_map);
  next_ordinal_ = old.next_ordinal_;
  last_matched_ = old.last_matched_;
  return true;
}

void ShardedMatcher::SetTables(const TableStore* t) {
  for (auto& w : workers_) w->matcher.SetTables(t);
}

void ShardedMatcher::SetStateLimit(size_t bytes, EventMeter* meter) {
  for (auto& w : workers_)
    w->matcher.SetStateLimit(bytes, meter, static_cast<unsigned>(workers_.size()));
}

void ShardedMatcher::Flush(TimeMs timers_before, ComplexEventSink& sink, RunStats& stats) {
  uint64_t first = next_ordinal_;
  next_ordinal_ += batch_.size();
  size_t n = batch_.size(), chunks = workers_.size();
  ParallelFor(chunks, [&](size_t w) {
    workers_[w]->Route(batch_, w * n / chunks, (w + 1) * n / chunks, first);
  });
  ParallelFor(chunks,
              [&](size_t w) { workers_[w]->Match(batch_, workers_, first, timers_before); });
  // The merge. A worker keeps its complex events in order but for where its single-event
  // rules' (matched first, over its chunk) meet its sequences': the lists are a few runs in
  // order, merged one after the other (a linear pass each); past kMaxRuns, sorted. The keys
  // are distinct, so both give the one order.
  constexpr size_t kMaxRuns = 8;
  std::vector<Kept*>& all = merged_;
  all.clear();
  run_ends_.clear();
  for (auto& w : workers_) {
    for (size_t i = 0; i < w->used; ++i) {
      if (i > 0 && Before(&w->out[i], &w->out[i - 1])) run_ends_.push_back(all.size());
      all.push_back(&w->out[i]);
    }
    if (w->used > 0) run_ends_.push_back(all.size());
    stats.dropped_partial += w->stats.dropped_partial;
    stats.dropped_state += w->stats.dropped_state;
    w->stats.dropped_partial = 0;
    w->stats.dropped_state = 0;
  }
  if (run_ends_.size() > kMaxRuns) {
    std::sort(all.begin(), all.end(), Before);
  } else {
    for (size_t r = 1; r < run_ends_.size(); ++r) {
      std::inplace_merge(all.begin(), all.begin() + static_cast<ptrdiff_t>(run_ends_[r - 1]),
                         all.begin() + static_cast<ptrdiff_t>(run_ends_[r]), Before);
    }
  }
  for (Kept* k : all) {
    if (k->phase == 0 && k->ordinal != last_matched_) {
      ++stats.matched;
      last_matched_ = k->ordinal;
    }
    if (!suppress_.Admit(k->ce.rule, k->ce.key, k->ce.time, p_.rules[k->ce.rule].suppress_ms)) {
      ++stats.suppressed;
      continue;
    }
    ++stats.emitted;
    sink.Emit(k->ce);
  }
  for (auto& w : workers_) w->Clear();
  batch_.clear();
}

}  // namespace strix::engine
