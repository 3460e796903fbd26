// Fuzz target: the event decoder. Any bytes as one input line are decoded against a program
// reading nested paths, lower() and the time, type and id fields; the outcome must be one of
// the decoder's, and a decoded event's values must be readable (copied with Event::Own).
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "adapters/event_decoder.h"
#include "common/json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strix;
  static const std::vector<FieldSpec> fields = {
      {{"type"}}, {{"ts"}}, {{"id"}}, {{"a"}}, {{"a", "b"}}, {{"s"}, Transform::kLower}, {{"n"}}};
  static adapters::EventDecoder decoder(fields, adapters::Clock::kEvent);
  simdjson::padded_string line(reinterpret_cast<const char*>(data), size);
  Event ev;
  adapters::DecodeOutcome o = decoder.Decode(std::string_view(line.data(), line.size()), ev);
  if (o != adapters::DecodeOutcome::kEvent) return 0;
  ev.Own();
  std::string out;
  for (const Value& v : ev.slots) AppendJsonValue(out, v);
  return 0;
}
