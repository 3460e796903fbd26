// A run of partial matches that share their future (see match_run.h).
#include "engine/match_run.h"

#include <algorithm>

namespace strix::engine {

bool g_eager_match_runs_for_testing = false;

void MatchRun::Form(std::vector<PartialMatch>& pms) {
  for (PartialMatch& pm : pms) {
    own_bytes_ += pm.events.used_bytes();
    Join(Member{std::move(pm.events), base_ + log_.size()});
  }
  if (!pms.empty()) pos_ = pms[0].pos;
}

void MatchRun::StartAtLast() {
  Join(Member{BoundEvents(), base_ + log_.size() - 1});
}

void MatchRun::Join(Member m) {
  members_.push_back(std::move(m));
  const TimeMs t = first(members_.size() - 1)->head.time;
  if (members_.size() == 1) {
    in_time_order_ = true;
    earliest_ = t;
  } else {
    in_time_order_ = in_time_order_ && t >= first(members_.size() - 2)->head.time;
    earliest_ = std::min(earliest_, t);
  }
}

void MatchRun::Append(uint32_t term, const StoredEvent* e) {
  Retain(e);
  log_.push_back((uint64_t(term) << 48) | reinterpret_cast<uint64_t>(e));
  pos_ = term;
}

void MatchRun::PopFront(size_t n) {
  for (size_t i = 0; i < n && !members_.empty(); ++i) {
    own_bytes_ -= members_.front().own.used_bytes();
    members_.pop_front();
  }
  PopLog(members_.empty() ? log_.size() : members_.front().join - base_);
  if (in_time_order_ && !members_.empty()) earliest_ = first(0)->head.time;
}

void MatchRun::PopLog(size_t n) {
  for (size_t i = 0; i < n; ++i) {
    Release(Ptr(log_.front()));
    log_.pop_front();
    ++base_;
  }
}

void MatchRun::Materialize(const Automaton& a, size_t i, PartialMatch& out) const {
  out = PartialMatch();
  const Member& m = members_[i];
  for (size_t j = 0; j < m.own.size(); ++j) out.Take(a, m.own.term(j), m.own.stored(j));
  for (size_t j = m.join - base_; j < log_.size(); ++j)
    out.Take(a, uint32_t(log_[j] >> 48), Ptr(log_[j]));
}

}  // namespace strix::engine
