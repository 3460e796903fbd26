// Test helper: pushes JSON lines through a decoder into an engine, as `run` does for one input
// (seq = `first` + position, line from `first` + 1). Every line must decode to an event. Returns
// the lines (from 1) that the engine found late. The caller decides when the input ends
// (Engine::Finish).
#pragma once

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "adapters/event_decoder.h"
#include "engine/engine.h"

namespace strix::test {

inline std::vector<size_t> FeedLines(engine::Engine& eng, const engine::Program& p,
                                     const std::vector<std::string>& lines,
                                     engine::ComplexEventSink& sink, uint64_t first = 0) {
  adapters::EventDecoder dec(p.fields, adapters::Clock::kEvent);
  std::vector<size_t> late;
  for (size_t n = 0; n < lines.size(); ++n) {
    simdjson::padded_string padded(lines[n]);
    Event ev;
    REQUIRE(dec.Decode(std::string_view(padded.data(), padded.size()), ev) ==
            adapters::DecodeOutcome::kEvent);
    ev.seq = first + n;
    ev.line = first + n + 1;
    if (eng.Push(std::move(ev), sink) == engine::Admit::kLate) late.push_back(first + n + 1);
  }
  return late;
}

}  // namespace strix::test
