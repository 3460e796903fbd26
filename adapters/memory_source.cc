// Lines from memory as an input (see memory_source.h).
#include "adapters/memory_source.h"

namespace strix::adapters {

MemorySource::MemorySource(const std::vector<std::pair<std::string, uint64_t>>& lines) {
  lines_.reserve(lines.size());
  for (const auto& [text, number] : lines) {
    Line l;
    l.text = text;
    l.number = number;
    lines_.push_back(OwnedLine::From(l));  // padded: the decoder reads past the end
  }
}

bool MemorySource::Next(Line& line) {
  if (next_ >= lines_.size()) return false;
  line = lines_[next_++].View();
  return true;
}

}  // namespace strix::adapters
