// Several inputs read at once (see merged_source.h).
#include "adapters/merged_source.h"

namespace strix::adapters {

MergedSource::MergedSource(std::vector<std::unique_ptr<Source>> inputs, size_t max_queued_bytes)
    : inputs_(std::move(inputs)), errors_(inputs_.size()), max_bytes_(max_queued_bytes) {
  running_ = inputs_.size();
  for (size_t i = 0; i < inputs_.size(); ++i) readers_.emplace_back([this, i] { Read(i); });
}

MergedSource::~MergedSource() {
  {
    // Readers waiting for room may go on: nobody takes their lines any more.
    std::lock_guard<std::mutex> lock(mu_);
    max_bytes_ = SIZE_MAX;
  }
  room_.notify_all();
  for (std::thread& t : readers_) t.join();
}

void MergedSource::Read(size_t i) {
  Source& src = *inputs_[i];
  Line line;
  while (src.Next(line)) {
    OwnedLine item = OwnedLine::From(line);
    item.input = static_cast<uint32_t>(i);
    std::unique_lock<std::mutex> lock(mu_);
    // Back-pressure: wait while the queue is over its budget (one line always fits).
    room_.wait(lock, [&] { return queued_bytes_ == 0 || queued_bytes_ + item.size <= max_bytes_; });
    queued_bytes_ += item.size;
    queue_.push_back(std::move(item));
    ready_.notify_one();
  }
  std::lock_guard<std::mutex> lock(mu_);
  errors_[i] = src.error();
  if (!errors_[i].empty() && error_.empty())
    error_ = "input " + std::to_string(i) + ": " + errors_[i];
  --running_;
  ready_.notify_all();
}

bool MergedSource::Next(Line& line) {
  std::unique_lock<std::mutex> lock(mu_);
  ready_.wait(lock, [&] { return !queue_.empty() || running_ == 0; });
  if (queue_.empty()) return false;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= current_.size;
  room_.notify_all();
  line = current_.View();
  return true;
}

bool MergedSource::LineReady() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !queue_.empty() || running_ == 0;
}

}  // namespace strix::adapters
