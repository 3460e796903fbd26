// The differential cases of random_rules.h: engine against the slow references.
#include "test/random_rules.h"

#include <simdjson.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "adapters/complex_event_writer.h"
#include "adapters/event_decoder.h"
#include "engine/compile.h"
#include "engine/engine.h"
#include "engine/partial_match.h"
#include "test/reference_matcher.h"
#include "test/sequence_reference.h"

namespace strix::test {
namespace {

struct CollectMatches : engine::ComplexEventSink {
  std::vector<RefMatch> got;
  const engine::Program* p = nullptr;
  void Emit(const engine::ComplexEvent& ce) override {
    RefMatch m{ce.rule, "", ""};
    adapters::AppendKeyJson(m.key, ce.key);
    adapters::AppendFieldsJson(m.fields, p->rules[ce.rule], ce.fields);
    got.push_back(std::move(m));
  }
};

std::string Show(const std::vector<RefMatch>& ms) {
  std::string s;
  for (const auto& m : ms)
    s += "r" + std::to_string(m.rule) + " key=" + m.key + " " + m.fields + "\n";
  return s;
}

struct CollectOuts : engine::ComplexEventSink {
  const engine::Program* p = nullptr;
  std::vector<RefOut> got;
  void Emit(const engine::ComplexEvent& ce) override { got.push_back(FromComplexEvent(*p, ce)); }
};

std::string Show(const std::vector<RefOut>& v) {
  std::string s;
  for (const auto& o : v) {
    s += "s" + std::to_string(o.rule) + " t=" + std::to_string(o.time) + " key=" + o.key + " " +
         o.fields + " [" + o.events + "]\n";
  }
  return s;
}

// One to four random sequence rules, their text in `text`; `error` says why they do not load.
ql::CheckedRules RandomSequenceRules(SeqGen& g, std::string& text, std::string& error,
                                     bool many = false) {
  int nrules = many ? g.Int(24, 48) : g.Int(1, 4);
  g.tables = g.Chance(50);
  if (g.tables) text += g.Table();
  for (int i = 0; i < nrules; ++i) text += g.Rule(i);
  ql::CheckedRules rules = ql::LoadRules({{"random.strix", text}});
  if (!rules.ok()) error = "rules do not load:\n" + text + rules.FormatDiagnostics();
  return rules;
}

// Decodes `line` into `ev`; false when it is not an event.
bool Decode(adapters::EventDecoder& dec, const std::string& line, Event& ev) {
  simdjson::padded_string padded(line);
  bool ok = dec.Decode(std::string_view(padded.data(), padded.size()), ev) ==
            adapters::DecodeOutcome::kEvent;
  if (ok) ev.Own();
  return ok;
}

}  // namespace

std::string SingleEventCase(uint64_t seed, int nrules, int nevents, bool conjunctions,
                            bool ranges_only) {
  Gen g(seed);
  std::string text = conjunctions ? g.Conjunctions(nrules, ranges_only) : g.Rules(nrules);
  ql::CheckedRules rules = ql::LoadRules({{"random.strix", text}});
  if (!rules.ok()) return "rules do not load:\n" + text + rules.FormatDiagnostics();
  auto prog = engine::Compile(rules, engine::CompileOptions{});
  if (!prog.ok()) return "rules do not compile: " + prog.message() + "\n" + text;
  const engine::Program& p = **prog;
  engine::Engine eng(p, 0);
  adapters::EventDecoder dec(p.fields, adapters::Clock::kEvent);
  CollectMatches sink;
  sink.p = &p;
  RefTables tables(rules);
  for (int i = 0; i < nevents; ++i) {
    std::string line = g.Event(i);
    std::vector<RefMatch> want = ReferenceMatch(rules, line, &tables);
    Event ev;
    if (!Decode(dec, line, ev)) return "event does not decode: " + line;
    ev.seq = static_cast<uint64_t>(i);
    sink.got.clear();
    eng.Push(std::move(ev), sink);
    if (Show(sink.got) != Show(want)) {
      return "seed " + std::to_string(seed) + "\nevent " + line + "\nrules:\n" + text +
             "\nreference:\n" + Show(want) + "engine:\n" + Show(sink.got);
    }
  }
  return "";
}

SequenceCaseResult SequenceCase(uint64_t seed, bool collide_distinct, int nevents, bool hot,
                                bool join, bool many) {
  SequenceCaseResult out;
  SeqGen g(seed * 7919);
  g.hot = hot;
  g.join = join;
  std::string text;
  ql::CheckedRules rules = RandomSequenceRules(g, text, out.mismatch, many);
  if (!out.mismatch.empty()) return out;
  RefOptions opts;
  opts.max_delay_ms = seed % 3 == 0 ? g.Int(1, 6) : 0;
  opts.max_partial_matches = hot    ? static_cast<size_t>(g.Int(2, 12))
                             : join ? (seed % 2 ? static_cast<size_t>(g.Int(3, 40)) : 10000)
                             : seed % 4 == 0 ? static_cast<size_t>(g.Int(1, 4))
                                             : 10000;
  std::vector<std::string> lines;
  int64_t ts = 0;
  for (int i = 0; i < nevents; ++i) {
    ts += g.Int(0, 3);
    int64_t t = ts;
    if (opts.max_delay_ms > 0) t = std::max<int64_t>(0, ts - g.Int(0, 8));  // out of order
    lines.push_back(g.Event(t));
  }
  std::vector<size_t> late_want;
  std::vector<RefOut> want = ReferenceSequences(rules, lines, opts, &late_want);
  auto prog = engine::Compile(rules, engine::CompileOptions{});
  if (!prog.ok()) {
    out.mismatch = "rules do not compile: " + prog.message() + "\n" + text;
    return out;
  }
  std::string context = "seed " + std::to_string(seed) + "\nrules:\n" + text + "max-delay " +
                        std::to_string(opts.max_delay_ms) + " max-partial " +
                        std::to_string(opts.max_partial_matches) + "\nevents:\n";
  for (const std::string& l : lines) context += l + "\n";
  engine::g_distinct_hash_collides_for_testing = collide_distinct;
  // One thread, then 2 and 3 workers in small batches: all must equal the reference.
  for (unsigned threads : {1u, 2u, 3u}) {
    engine::Engine eng(**prog, opts.max_delay_ms, opts.max_partial_matches, threads,
                       threads == 1 ? 4096 : 7 + seed % 20);
    CollectOuts sink;
    sink.p = prog->get();
    adapters::EventDecoder dec(prog->get()->fields, adapters::Clock::kEvent);
    std::vector<size_t> late_got;
    for (size_t n = 0; n < lines.size(); ++n) {
      Event ev;
      if (!Decode(dec, lines[n], ev)) {
        out.mismatch = "event does not decode: " + lines[n];
        break;
      }
      ev.seq = n;
      ev.line = n + 1;
      // Three workers alternate with one thread's matcher (ParallelChoice's two ways) every few
      // events, mid-batch too, the state moving each time: the output may not change.
      if (threads == 3) eng.SetParallel((n / 5) % 2 == 0, sink);
      if (eng.Push(std::move(ev), sink) == engine::Admit::kLate) late_got.push_back(n + 1);
      // The state --max-state limits is accounted as it changes; a walk must agree.
      // (With three workers, whenever the state is on one thread: as it moved there.)
      const engine::SequenceMatcher& sm = eng.matcher().sequences();
      const bool one_thread = threads == 1 || (threads == 3 && !eng.parallel());
      if (one_thread && sm.accounted_bytes() != sm.RecountBytes()) {
        out.mismatch = context + "state accounting: " + std::to_string(sm.accounted_bytes()) +
                       " bytes accounted, " + std::to_string(sm.RecountBytes()) +
                       " counted, after event " + std::to_string(n + 1);
        break;
      }
      // So are the partial matches of each rule (metrics).
      if (one_thread) {
        std::vector<uint64_t> kept(prog->get()->rules.size()), walked(kept.size());
        sm.PartialMatchesByRule(kept);
        sm.RecountPartialMatchesByRule(walked);
        if (kept != walked) {
          out.mismatch = context + "partial matches by rule differ from a walk after event " +
                         std::to_string(n + 1);
          break;
        }
      }
    }
    if (!out.mismatch.empty()) break;
    eng.Finish(sink);
    if (late_got != late_want) {
      out.mismatch = context + "threads " + std::to_string(threads) + ": late events differ";
      break;
    }
    if (Show(sink.got) != Show(want)) {
      out.mismatch = context + "threads " + std::to_string(threads) + "\nreference:\n" +
                     Show(want) + "engine:\n" + Show(sink.got);
      break;
    }
    if (threads == 1) {
      out.dropped = eng.stats().dropped_partial;
      out.run_steps = eng.matcher().sequences().run_steps();
      out.inferred_steps = eng.matcher().sequences().inferred_steps();
      out.unpartitions = eng.matcher().sequences().unpartitions();
    }
  }
  engine::g_distinct_hash_collides_for_testing = false;
  out.complex_events = want.size();
  return out;
}

RestoreCaseResult RestoreCase(uint64_t seed, const SnapshotRoundtrip& roundtrip, int nevents,
                              bool hot, Capture capture, bool join) {
  RestoreCaseResult out;
  SeqGen g(seed * 104729 + 7);
  g.hot = hot;
  g.join = join;
  std::string text;
  ql::CheckedRules rules = RandomSequenceRules(g, text, out.mismatch);
  if (!out.mismatch.empty()) return out;
  auto prog = engine::Compile(rules, engine::CompileOptions{});
  if (!prog.ok()) {
    out.mismatch = "rules do not compile: " + prog.message();
    return out;
  }
  const engine::Program& p = **prog;
  const int64_t delay = seed % 3 == 0 ? g.Int(1, 6) : 0;
  const size_t max_partial = hot    ? static_cast<size_t>(g.Int(2, 12))
                             : join ? (seed % 2 ? static_cast<size_t>(g.Int(3, 40)) : 10000)
                             : seed % 4 == 0 ? static_cast<size_t>(g.Int(1, 4))
                                             : 10000;
  std::vector<std::string> lines;
  int64_t ts = 0;
  for (int i = 0; i < nevents; ++i) {
    ts += g.Int(0, 3);
    int64_t t = delay > 0 ? std::max<int64_t>(0, ts - g.Int(0, 8)) : ts;
    lines.push_back(g.Event(t));
  }
  // Where to save (after that many events), and the thread count of each leg.
  std::vector<size_t> cuts;
  for (int i = g.Int(1, 3); i > 0; --i) cuts.push_back(static_cast<size_t>(g.Int(0, nevents)));
  std::sort(cuts.begin(), cuts.end());
  std::vector<unsigned> legs;
  for (size_t i = 0; i <= cuts.size(); ++i) legs.push_back(g.Int(0, 1) ? 3u : 1u);

  adapters::EventDecoder dec(p.fields, adapters::Clock::kEvent);
  auto feed = [&](engine::Engine& eng, CollectOuts& sink, size_t from, size_t to) {
    for (size_t n = from; n < to; ++n) {
      Event ev;
      if (!Decode(dec, lines[n], ev)) return false;
      ev.seq = n;
      ev.line = n + 1;
      eng.Push(std::move(ev), sink);
    }
    return true;
  };
  CollectOuts whole;
  whole.p = &p;
  engine::RunStats whole_stats;
  {
    engine::Engine eng(p, delay, max_partial, 1);
    if (!feed(eng, whole, 0, lines.size())) {
      out.mismatch = "an event does not decode";
      return out;
    }
    eng.Finish(whole);
    whole_stats = eng.stats();
  }
  // Counters carry over a restore.
  auto counters = [](const engine::RunStats& s) {
    return std::to_string(s.events_in) + " in, " + std::to_string(s.late) + " late, " +
           std::to_string(s.emitted) + " emitted, " + std::to_string(s.suppressed) +
           " suppressed, " + std::to_string(s.matched) + " matched";
  };
  std::string pieces_stats;
  // The restore decoder: the saved line again, with the saved time and position.
  auto decode = [&](const engine::EventRecord& rec, Event& ev) {
    return adapters::DecodeSaved(dec, rec, ev);
  };
  CollectOuts pieces;
  pieces.p = &p;
  std::string context = "seed " + std::to_string(seed) + "\nrules:\n" + text + "max-delay " +
                        std::to_string(delay) + " max-partial " + std::to_string(max_partial) +
                        "\ncuts:";
  for (size_t c : cuts) context += " " + std::to_string(c);
  context += "\nthreads:";
  for (unsigned t : legs) context += " " + std::to_string(t);
  context += "\n";
  std::optional<engine::EngineSnapshot> saved;
  size_t from = 0;
  for (size_t leg = 0; leg <= cuts.size(); ++leg) {
    engine::Engine eng(p, delay, max_partial, legs[leg], 7 + seed % 20);
    if (saved) out.restored_matches += eng.Restore(*saved, decode).partial_matches;
    size_t to = leg < cuts.size() ? cuts[leg] : lines.size();
    feed(eng, pieces, from, to);
    from = to;
    if (leg < cuts.size()) {
      eng.Flush(pieces);
      engine::EngineSnapshot s;
      if (capture == Capture::kSave) {
        eng.Save(s);
      } else {
        // The run goes on past the cut while the capture completes; what it does there is
        // thrown away (the next leg does it again from the snapshot).
        eng.BeginCapture(s);
        CollectOuts ahead;
        ahead.p = &p;
        const size_t more = static_cast<size_t>(g.Int(0, 80));
        const size_t during = std::min(lines.size(), to + more);
        if (capture == Capture::kBeside) {
          feed(eng, ahead, to, during);
          eng.CompleteCapture(s);
        } else {
          std::thread writer([&] { eng.CompleteCapture(s); });
          feed(eng, ahead, to, during);
          writer.join();
        }
        feed(eng, ahead, during, std::min(lines.size(), during + 20));  // after it
        eng.Flush(ahead);
        context += "captured while " + std::to_string(during - to) + " more events ran\n";
      }
      s.Detach();  // it outlives this leg's engine
      saved = roundtrip(s);
      ++out.snapshots;
    } else {
      eng.Finish(pieces);
      pieces_stats = counters(eng.stats());
    }
  }
  if (Show(whole.got) != Show(pieces.got)) {
    out.mismatch =
        context + "whole run:\n" + Show(whole.got) + "saved and restored:\n" + Show(pieces.got);
  } else if (counters(whole_stats) != pieces_stats) {
    out.mismatch = context + "counters: whole run " + counters(whole_stats) +
                   "; saved and restored " + pieces_stats;
  }
  out.complex_events = whole.got.size();
  return out;
}

RestoreCaseResult TakeOverCase(uint64_t seed, int nevents, bool hot, bool join) {
  RestoreCaseResult out;
  SeqGen g(seed * 7919 + 3);
  g.hot = hot;
  g.join = join;
  g.tables = g.Chance(50);  // both sets then start with the same table, whose rows move
  const std::string table = g.tables ? g.Table() : "";
  std::vector<std::string> before;
  for (int i = g.Int(1, 4); i > 0; --i) before.push_back(g.Rule(static_cast<int>(before.size())));
  std::string text1 = table, text2 = table;
  for (const std::string& r : before) text1 += r;
  // The new set: each old rule kept (most), changed (drawn again under its name) or dropped;
  // maybe a new one; in another order.
  std::vector<std::string> after;
  for (size_t i = 0; i < before.size(); ++i) {
    int fate = g.Int(0, 9);
    if (fate < 6) after.push_back(before[i]);
    if (fate >= 6 && fate < 8) after.push_back(g.Rule(static_cast<int>(i)));
  }
  if (g.Int(0, 1)) after.push_back(g.Rule(static_cast<int>(before.size()) + 1));
  if (after.empty()) after.push_back(before[0]);
  std::shuffle(after.begin(), after.end(), g.rng);
  for (const std::string& r : after) text2 += r;
  ql::CheckedRules rules1 = ql::LoadRules({{"before.strix", text1}});
  ql::CheckedRules rules2 = ql::LoadRules({{"after.strix", text2}});
  if (!rules1.ok() || !rules2.ok()) {
    out.mismatch = "rules do not load:\n" + text1 + rules1.FormatDiagnostics() + text2 +
                   rules2.FormatDiagnostics();
    return out;
  }
  auto p1 = engine::Compile(rules1, engine::CompileOptions{});
  engine::CompileOptions seeded;
  if (p1.ok()) seeded.seed_fields = (*p1)->fields;
  auto p2 = engine::Compile(rules2, seeded);
  if (!p1.ok() || !p2.ok()) {
    out.mismatch = "rules do not compile";
    return out;
  }
  const int64_t delay = seed % 3 == 0 ? g.Int(1, 6) : 0;
  const size_t max_partial = hot    ? static_cast<size_t>(g.Int(2, 12))
                             : join ? (seed % 2 ? static_cast<size_t>(g.Int(3, 40)) : 10000)
                             : seed % 4 == 0 ? static_cast<size_t>(g.Int(1, 4))
                                             : 10000;
  const unsigned threads = seed % 2 ? 3u : 1u;
  std::vector<std::string> lines;
  int64_t ts = 0;
  for (int i = 0; i < nevents; ++i) {
    ts += g.Int(0, 3);
    lines.push_back(g.Event(delay > 0 ? std::max<int64_t>(0, ts - g.Int(0, 8)) : ts));
  }
  const size_t cut = static_cast<size_t>(g.Int(0, nevents));
  std::string context = "seed " + std::to_string(seed) + "\nbefore:\n" + text1 + "after:\n" +
                        text2 + "max-delay " + std::to_string(delay) + " max-partial " +
                        std::to_string(max_partial) + " threads " + std::to_string(threads) +
                        " cut " + std::to_string(cut) + "\n";
  adapters::EventDecoder dec1((*p1)->fields, adapters::Clock::kEvent);
  adapters::EventDecoder dec2((*p2)->fields, adapters::Clock::kEvent);
  auto feed = [&](adapters::EventDecoder& dec, engine::Engine& eng, CollectOuts& sink, size_t from,
                  size_t to) {
    for (size_t n = from; n < to; ++n) {
      Event ev;
      if (!Decode(dec, lines[n], ev)) continue;
      ev.seq = n;
      ev.line = n + 1;
      eng.Push(std::move(ev), sink);
    }
  };
  auto decode = [&](const engine::EventRecord& rec, Event& ev) {
    return adapters::DecodeSaved(dec2, rec, ev);
  };
  auto counters = [](const engine::RunStats& s) {
    return std::to_string(s.events_in) + " in, " + std::to_string(s.late) + " late, " +
           std::to_string(s.emitted) + " emitted, " + std::to_string(s.suppressed) +
           " suppressed, " + std::to_string(s.matched) + " matched, " +
           std::to_string(s.dropped_partial) + " dropped";
  };
  auto report = [](const engine::RestoreReport& r) {
    return std::to_string(r.partial_matches) + " kept, " + std::to_string(r.dropped_rules) +
           " rules dropped with " + std::to_string(r.dropped_partial) + " matches, " +
           std::to_string(r.undecodable_events) + " undecodable";
  };
  CollectOuts first_a, first_b, then_a, then_b;
  first_a.p = first_b.p = p1->get();
  then_a.p = then_b.p = p2->get();
  auto a = std::make_unique<engine::Engine>(**p1, delay, max_partial, threads, 7 + seed % 20);
  auto b = std::make_unique<engine::Engine>(**p1, delay, max_partial, threads, 7 + seed % 20);
  feed(dec1, *a, first_a, 0, cut);
  feed(dec1, *b, first_b, 0, cut);
  a->Flush(first_a);
  b->Flush(first_b);
  engine::Engine a2(**p2, delay, max_partial, threads, 7 + seed % 20);
  engine::Engine b2(**p2, delay, max_partial, threads, 7 + seed % 20);
  std::optional<engine::RestoreReport> ra = a2.TakeOver(*a, decode);
  if (!ra) {
    out.mismatch = context + "the take-over was refused (the seeded fields moved?)";
    return out;
  }
  engine::EngineSnapshot s;
  b->Save(s);
  s.Detach();
  engine::RestoreReport rb = b2.Restore(s, decode);
  a.reset();  // the old engines go before the new ones go on (nothing may still point there)
  b.reset();
  if (report(*ra) != report(rb)) {
    out.mismatch = context + "reports: take-over " + report(*ra) + "; snapshot " + report(rb);
    return out;
  }
  out.restored_matches = ra->partial_matches;
  if (threads == 1) {
    const engine::SequenceMatcher& sm = a2.matcher().sequences();
    if (sm.accounted_bytes() != sm.RecountBytes()) {
      out.mismatch = context + "moved state accounted as " + std::to_string(sm.accounted_bytes()) +
                     " bytes, counted " + std::to_string(sm.RecountBytes());
      return out;
    }
    std::vector<uint64_t> kept((*p2)->rules.size()), walked(kept.size());
    sm.PartialMatchesByRule(kept);
    sm.RecountPartialMatchesByRule(walked);
    if (kept != walked || sm.live_partial_matches() != ra->partial_matches) {
      out.mismatch = context + "partial matches by rule after the take-over differ from a walk";
      return out;
    }
  }
  feed(dec2, a2, then_a, cut, lines.size());
  feed(dec2, b2, then_b, cut, lines.size());
  a2.Finish(then_a);
  b2.Finish(then_b);
  if (Show(then_a.got) != Show(then_b.got)) {
    out.mismatch = context + "after the reload, snapshot path:\n" + Show(then_b.got) +
                   "take-over:\n" + Show(then_a.got);
  } else if (counters(a2.stats()) != counters(b2.stats())) {
    out.mismatch = context + "counters: take-over " + counters(a2.stats()) + "; snapshot " +
                   counters(b2.stats());
  }
  out.complex_events = then_a.got.size();
  return out;
}

}  // namespace strix::test
