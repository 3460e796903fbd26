// Matcher: routes one released event to the rules that could care, in rule order.
// Stage: engine (route -> match). Interface: Matcher::Process(), Matcher::FireDeadlines().
// Probes the condition index (single-event rules, and the first terms of sequences), adds the
// sequence rules whose later terms, absence guards or `until` name the event's type, and
// visits them in rule order: a single-event rule is confirmed by its residual condition and
// emitted (key, emit fields, `suppress`); a sequence rule goes to the SequenceMatcher.
// Not thread-safe: one Matcher per worker. Covered by test/engine_test.cc.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "engine/complex_event.h"
#include "engine/evaluate.h"
#include "engine/program.h"
#include "engine/sequence_matcher.h"
#include "engine/suppression.h"

namespace strix::engine {

class Matcher {
 public:
  // `suppress` false leaves `suppress` to the caller (the sharded matcher applies it when it
  // merges the workers' output).
  Matcher(const Program& p, size_t max_partial_matches, bool suppress = true);
  // With a shard, only that shard's part of the work (see Shard).
  void Process(const Event& e, ComplexEventSink& sink, RunStats& stats,
               const Shard* shard = nullptr);
  // Timers (absence deadlines, window ends) before `watermark`, in their order.
  void FireDeadlines(TimeMs watermark, ComplexEventSink& sink, RunStats& stats) {
    seq_.FireDeadlines(watermark, sink, stats);
  }
  TimeMs NextDeadline() const { return seq_.NextDeadline(); }

  // Two-phase form for the sharded matcher. Route(): single-event rules matched in full, and
  // for each sequence rule the event concerns, which of `workers` own its partitions.
  struct RouteItem {
    uint32_t rule;
    bool starts;      // the index offered the event to the first term
    uint64_t owners;  // bit w: worker w
  };
  void Route(const Event& e, uint32_t workers, std::vector<RouteItem>& items,
             ComplexEventSink& sink, RunStats& stats);
  // Then, on each worker, in processing order: the sequence rules it owns.
  void ProcessRouted(const Event& e, const RouteItem* begin, const RouteItem* end,
                     const Shard& shard, ComplexEventSink& sink, RunStats& stats);
  const SequenceMatcher& sequences() const { return seq_; }
  // The tables lookups read (null: none); set before matching, the store outlives the matcher.
  void SetTables(const TableStore* t) {
    eval_.tables = t;
    seq_.SetTables(t);
  }
  void SetStateLimit(size_t bytes, EventMeter* meter, unsigned workers = 1) {
    seq_.SetStateLimit(bytes, meter, workers);
  }
  // Checkpoints: the sequence state (see SequenceMatcher::Save/Restore); suppression windows
  // are saved by the Engine through these.
  void Save(EngineSnapshot& s, EventTable& events) const { seq_.Save(s, events); }
  void BeginCapture() { seq_.BeginCapture(); }  // see SequenceMatcher::BeginCapture
  void CaptureRest(EngineSnapshot& s, EventTable& events) { seq_.CaptureRest(s, events); }
  void Restore(const EngineSnapshot& s, const std::vector<const StoredEvent*>& events,
               const Shard* shard, RestoreReport& report) {
    seq_.Restore(s, events, shard, report);
  }
  // New rules taking over: see SequenceMatcher::TakeOver; single-event rules' windows too.
  void TakeOver(Matcher& old, const std::vector<int64_t>& rule_map, std::vector<uint64_t>& dropped,
                std::vector<bool>& had_state, uint64_t& kept);
  Suppression& single_suppression() { return suppress_; }
  const Suppression& single_suppression() const { return suppress_; }
  Suppression& sequence_suppression() { return seq_.suppression(); }
  const Suppression& sequence_suppression() const { return seq_.suppression(); }

 private:
  void Single(uint32_t rule, const Event& e, ComplexEventSink& sink, RunStats& stats, bool& any);
  void Candidates(const Event& e, bool singles);  // candidates_ in rule order, starts_ set
  // The candidates in rule order: single-event rules are matched here, a sequence rule goes to
  // `sequence(rule, starts)`. True when a complex event came out.
  template <typename F>
  bool Visit(const Event& e, bool singles, ComplexEventSink& sink, RunStats& stats, F&& sequence) {
    Candidates(e, singles);
    bool any = false;
    for (index::TermId r : candidates_) {
      if (p_.checks[r].sequence) {  // (only sequence rules are in the start index: starts_)
        const bool starts = starts_[r] != 0;
        starts_[r] = 0;
        any = sequence(r, starts) || any;
      } else {
        Single(r, e, sink, stats, any);
      }
    }
    return any;
  }

  const Program& p_;
  index::ProbeScratch scratch_;
  std::vector<index::TermId> candidates_;
  std::vector<uint64_t> id_bits_;  // SortUniqueIds' scratch
  std::vector<uint8_t> starts_;    // per rule: the index offered the event (reset after use)
  std::unordered_map<std::string_view, std::vector<uint32_t>> seq_by_type_;  // views: Program
  std::vector<uint32_t> seq_any_;
  EvalScratch eval_;
  ComplexEvent ce_;
  bool suppress_on_;
  Suppression suppress_;
  SequenceMatcher seq_;
};

}  // namespace strix::engine
