// Sequence matching of partitions kept as runs (see match_run.h and sequence_matcher.h): when
// a run forms, how it steps under rule 10 and 11 of LANGUAGE.md 3.2, and how it dissolves into
// partial matches again. A run is only a representation: every step it takes gives the same
// partial matches, in the same order, with the same drops and completions as StepEvery would.
#include <algorithm>

#include "engine/sequence_matcher.h"

namespace strix::engine {

bool SequenceMatcher::RunsAllowed(const Automaton& a) {
  if (a.policy != SeqPolicy::kEvery || a.trailing_not || a.having != kNoNode || !a.groups.empty() ||
      a.unkeyed_terms)
    return false;
  for (const SeqTerm& t : a.terms) {
    if (!t.filter.match_free) return false;
  }
  return true;
}

namespace {

// Whether a match on term t answers every event as any other match on it does: the term has
// no maximum and the match has its minimum (so the count no longer matters).
bool Settled(const Automaton& a, uint32_t t, uint32_t count) {
  return a.terms[t].max == kUnbounded && count >= a.terms[t].min;
}

}  // namespace

// Not now: the next try to form a run comes later, less often each time one fails or the run
// it formed dissolved at once (a run that would keep dissolving costs more than it saves).
void SequenceMatcher::BackOff(Partition* part) {
  part->run_wait = static_cast<uint16_t>(std::min(1024, part->run_wait * 2));
  part->run_skip = part->run_wait;
}

void SequenceMatcher::TryFormRun(const Automaton& a, Partition* part) {
  std::vector<PartialMatch>& pms = part->pms;
  const bool eager = g_eager_match_runs_for_testing;
  if (pms.empty() || (!eager && pms.size() < max_partial_)) return;
  if (!eager && part->run_skip > 0) {
    --part->run_skip;
    return;
  }
  for (const PartialMatch& pm : pms) {
    if (pm.pos != pms[0].pos || !Settled(a, pm.pos, pm.count)) {
      BackOff(part);
      return;
    }
  }
  for (const PartialMatch& pm : pms) Forget(pm);
  auto run = std::make_unique<MatchRun>();
  run->Form(pms);
  pms.clear();
  bytes_ += Cost(*run);
  part->run = std::move(run);
}

void SequenceMatcher::Dissolve(const Automaton& a, Partition* part) {
  MatchRun& run = *part->run;
  if (run.steps() == 0) {
    BackOff(part);  // it took no step
  } else {
    part->run_wait = 1;
  }
  bytes_ -= Cost(run);
  for (size_t i = 0; i < run.size(); ++i) {
    PartialMatch pm;
    run.Materialize(a, i, pm);
    Remember(pm);
    part->pms.push_back(std::move(pm));
  }
  part->run.reset();
}

SequenceMatcher::RunOutcome SequenceMatcher::StepRun(
    const Automaton& a, RuleState& rs, Partition* part, const std::string& key_text, const Event& e,
    const std::vector<Option>& starts, std::vector<Completion>& done, RunStats& stats) {
  MatchRun& run = *part->run;
  // Rule 5: the matches whose window `e` is past end here (not survivors, not dropped). In
  // time order they are at the front; otherwise the matches go one by one when one is.
  if (a.within_ms) {
    const int64_t w = *a.within_ms;
    if (!run.in_time_order()) {
      if (e.time > WindowDeadline(run.earliest_start(), w)) return RunOutcome::kFallBack;
    } else {
      size_t ended = 0;
      while (ended < run.size() && e.time > WindowDeadline(run.first(ended)->head.time, w)) ++ended;
      if (ended > 0) PopRun(part, ended);
      if (!part->run) {
        ++run_steps_;
        return RunOutcome::kStartsLeft;
      }
    }
  }
  // Every match of the run takes `e` the way this one does (RunsAllowed, Settled).
  PartialMatch& proto = run_proto_;
  proto = PartialMatch();
  proto.events.Push(run.pos(), run.last());
  proto.start = e.time;  // its window is open (the ended ones are gone)
  proto.pos = run.pos();
  proto.count = std::max<uint32_t>(1, a.terms[run.pos()].min);
  options_.clear();
  const size_t m = run.size();
  if (!Options(a, proto, e, key_text, options_)) {  // an absence ends them all (rule 4)
    ++run_steps_;
    run.Stepped();
    ForgetAll(part);
    return RunOutcome::kStartsLeft;
  }
  size_t branching = 0, started = 0;
  uint32_t term = 0;
  for (const Option& o : options_) {
    if (!o.completes) {
      ++branching;
      term = o.term;
    }
  }
  if (branching > 1) return RunOutcome::kFallBack;
  for (const Option& o : starts) {
    if (o.completes) continue;
    ++started;
    // A start joins the run only when the run takes `e` for the first term too (the new
    // match's events are then the end of the log) and one event settles it there.
    if (branching == 0 || o.term != term || !Settled(a, term, 1)) return RunOutcome::kFallBack;
  }
  // StepEvery's list would be the m survivors, m branches (or none), then the starts; the bound
  // must drop every survivor, or the run would split in two.
  const size_t total = m + branching * m + started;
  const size_t drop = total > max_partial_ ? total - max_partial_ : 0;
  if (branching == 1 && (drop < m || !Settled(a, term, term == run.pos() ? kUnbounded : 1)))
    return RunOutcome::kFallBack;
  ++run_steps_;
  run.Stepped();
  // Completions first, each match with its options in order (as StepEvery makes them).
  bool completes = false;
  for (const Option& o : options_) completes = completes || o.completes;
  if (completes) {
    for (size_t i = 0; i < m; ++i) {
      run.Materialize(a, i, run_member_);
      for (const Option& o : options_) {
        if (!o.completes) continue;
        PartialMatch pm(run_member_);
        pm.Take(a, o.term, Ref(e));
        done.push_back(Completion{std::move(pm), e.time, part->key_event});
      }
    }
    run_member_ = PartialMatch();
  }
  stats.dropped_partial += drop;
  if (branching == 1) {
    bytes_ -= Cost(run);
    run.PopFront(drop - m);
    live_ -= drop - m;
    run.Append(term, Ref(e));
    if (started) {
      run.StartAtLast();
      ++live_;
      if (a.within_ms) QueueWindowTimer(a, rs, part, Ref(e));
    }
    bytes_ += Cost(run);
  }
  // (The run is not empty: the bound leaves max_partial_ - started >= 0 of its branches, and
  // when that is none, the start joined.)
  for (const Option& o : starts) {
    if (!o.completes) continue;
    PartialMatch pm;
    pm.Take(a, o.term, Ref(e));
    done.push_back(Completion{std::move(pm), e.time, part->key_event});
  }
  return RunOutcome::kDone;
}

bool SequenceMatcher::RunTimer(const Automaton& a, Partition* part, const Timer& t) {
  MatchRun& run = *part->run;
  // The matches the timer ends: those that started with its event (by arrival order).
  auto ends = [&](size_t i) {
    const StoredEvent* f = run.first(i);
    return f->head.seq == t.seq && WindowDeadline(f->head.time, *a.within_ms) == t.deadline;
  };
  size_t n = 0;
  while (n < run.size() && ends(n)) ++n;
  // No other may be further in; in time order only those ending by the deadline can be.
  for (size_t i = n; i < run.size(); ++i) {
    if (run.in_time_order() && WindowDeadline(run.first(i)->head.time, *a.within_ms) > t.deadline)
      break;
    if (ends(i)) return false;
  }
  if (n > 0) PopRun(part, n);
  return true;
}

void SequenceMatcher::PopRun(Partition* part, size_t n) {
  MatchRun& run = *part->run;
  bytes_ -= Cost(run);
  run.PopFront(n);
  live_ -= n;
  if (run.empty()) {
    part->run.reset();
  } else {
    bytes_ += Cost(run);
  }
}

}  // namespace strix::engine
