// Sequence matching of rules with an inferred key (key_inference.h): a keyless `every` rule
// whose later terms all require field P to equal P of an earlier event keeps its partial
// matches in partitions by P, so an event meets only the matches of its own P.
//
// Why this is exact: a match can take no event of another P (each later term's filter still
// tests the equality), so as written the event would pass over those matches and change
// nothing; the complex events are the same, and Emit() orders them the same way. Within the
// partition the equality is known to hold when the event's P has a text no other value has
// (KeyValueExact): then only the term's other conjuncts are tested (SeqFilter::keyed_rest),
// once per event when they read nothing of the match. The one
// thing the partitions could change is the bound on partial matches (LANGUAGE.md 3.2 rule
// 11), which as written counts the whole rule: before a step that could take the rule past
// it (its live matches, plus every branch and start the step could make), the partitions are
// merged back into the one partition of the rule as written, in the order it would hold
// them, and the rule goes on as written until that partition is empty again.
#include <algorithm>
#include <cmath>

#include "common/hash.h"
#include "common/json_text.h"
#include "engine/sequence_matcher.h"

namespace strix::engine {

namespace {

// Whether no other value has `v`'s key text, so that equal key texts mean `==` holds (LANGUAGE.md
// 3.2): numbers print one text per value (7 and 7.0 alike, and equal), booleans too, and valid
// UTF-8 strings are escaped reversibly. Not so for invalid UTF-8 (every bad byte becomes
// \ufffd), arrays and objects (equal text, never `==`), null and missing (no key).
bool KeyValueExact(const Value& v) {
  switch (v.kind) {
    case ValueKind::kNumber:
      return std::isfinite(v.number);
    case ValueKind::kBool:
      return true;
    case ValueKind::kString:
      for (size_t i = 0; i < v.text.size();) {
        if (static_cast<unsigned char>(v.text[i]) < 0x80) {
          ++i;
        } else if (DecodeUtf8(v.text, i) < 0) {
          return false;
        }
      }
      return true;
    default:
      return false;
  }
}

}  // namespace

uint64_t SequenceMatcher::UnkeyedHash() {
  static const uint64_t h = HashBytes(std::string_view());
  return h;
}

bool SequenceMatcher::ProcessInferred(uint32_t rule, RuleState& rs, const Event& e, bool starts,
                                      std::vector<Completion>& done, RunStats& stats,
                                      const Shard* shard) {
  const Automaton& a = p_.automata[static_cast<size_t>(p_.rules[rule].automaton)];
  if (shard && !shard->OwnsKey(UnkeyedHash())) return true;  // ownership as written
  std::string& kt = inferred_text_;
  kt.clear();
  if (!AppendKeyPart(kt, e.slots[a.inferred_key[0]])) {
    if (!starts) return true;  // no later term can take it: the equality fails
    kt.assign(kNoInferredValue);
  }
  const uint64_t h = HashBytes(kt);
  Partition* part = rs.parts.Find(h, kt);
  if (!part && !starts) return true;
  // As written, this step would see every live match of the rule, each of which may branch
  // once per term, and the start.
  const size_t held = part ? part->pms.size() + (part->run ? part->run->size() : 0) : 0;
  if (rs.live + (held + 1) * a.terms.size() > max_partial_) return false;
  if (part) Touch(rs, part);
  ++inferred_steps_;
  key_exact_ = kt != kNoInferredValue && KeyValueExact(e.slots[a.inferred_key[0]]);
  Step(rule, rs, part, kt, h, e, starts, done, stats);
  key_exact_ = false;
  return true;
}

namespace {

// Order of creation of two partial matches as one partition's list holds them: a match is
// made by its last event (a start by its first), and the matches made on one event are
// placed in the order of the matches they branched from, each one's options in Options()'
// order (hand-over to later terms, ascending, then another event for its own term), and the
// starts last. So: by last event (in processing order); then by the matches they branched from (a
// start after a branch), compared the same way; then by the option taken.
bool CreatedBefore(const BoundEvents& x, const BoundEvents& y) {
  // The option taken at a level: the term, or after every hand-over when the match stayed.
  auto option = [](const BoundEvents& b, size_t i) {
    const uint32_t t = b.term(i);
    return i > 0 && b.term(i - 1) == t ? UINT32_MAX : t;
  };
  int decided = 0;  // the deepest level's difference in the option taken
  size_t i = x.size(), j = y.size();
  while (i > 0 && j > 0) {
    // Processing order (LANGUAGE.md 4): input order, or event time and then input order
    // under --max-delay; an event that came too late to keep it was not matched.
    const EventHead &ex = x.stored(i - 1)->head, &ey = y.stored(j - 1)->head;
    if (ex.seq != ey.seq) return std::make_pair(ex.time, ex.seq) < std::make_pair(ey.time, ey.seq);
    if (i == 1 && j > 1) return false;  // x started on this event, y branched on it
    if (j == 1 && i > 1) return true;
    const uint32_t ox = option(x, i - 1), oy = option(y, j - 1);
    if (ox != oy) decided = ox < oy ? -1 : 1;
    --i;
    --j;
  }
  return decided < 0;
}

}  // namespace

void SequenceMatcher::Unpartition(const Automaton& a, RuleState& rs) {
  ++unpartitions_;
  std::vector<Partition*> parts;
  rs.parts.ForEachMutable([&](Partition& p) { parts.push_back(&p); });
  std::vector<PartialMatch> all;
  for (Partition* p : parts) {
    Touch(rs, p);
    if (p->run) Dissolve(a, p);
    for (PartialMatch& pm : p->pms) all.push_back(std::move(pm));
    p->pms.clear();
  }
  std::stable_sort(all.begin(), all.end(), [](const PartialMatch& x, const PartialMatch& y) {
    return CreatedBefore(x.events, y.events);
  });
  rs.by_inferred = false;
  if (!all.empty()) {  // else the timers stay where they are: they find no match to end
    Partition* one = NewPartition(rs, UnkeyedHash(), std::string());
    one->key_event = EventRef(all.front().first());
    one->pms = std::move(all);
    for (Timer& t : rs.timers) {
      --t.part->timers;
      t.part = one;
      ++one->timers;
    }
  }
  for (Partition* p : parts) DropIfIdle(rs, p);
}

void SequenceMatcher::MayInferAgain(RuleState& rs, const Partition* part) {
  if (rs.inferable && !rs.by_inferred && part->key_text.empty()) rs.by_inferred = true;
}

}  // namespace strix::engine
