// Moving state onto new rules, and compiling them beside the run (see reload.h).
#include "runtime/reload.h"

#include <chrono>

namespace strix::runtime {

engine::RestoreReport MoveState(const engine::Engine& from, engine::Engine& to,
                                const engine::Engine::DecodeFn& decode) {
  engine::EngineSnapshot snap;
  from.Save(snap);
  snap.Detach();  // owns the events' bytes: `from` may go before it
  return to.Restore(snap, decode);
}

engine::RestoreReport TakeOverState(engine::Engine& from, engine::Engine& to,
                                    const engine::Engine::DecodeFn& decode,
                                    const std::vector<int64_t>* rule_map) {
  if (std::optional<engine::RestoreReport> r = to.TakeOver(from, decode, rule_map)) return *r;
  return MoveState(from, to, decode);
}

Reloader::Reloader(Load load, std::atomic<bool>* asked, std::function<std::string()> stamp,
                   std::function<void(const std::string&)> failed)
    : load_(std::move(load)), asked_(asked), stamp_(std::move(stamp)), failed_(std::move(failed)) {
  watcher_ = std::thread([this] { Watch(); });
}

Reloader::~Reloader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  watcher_.join();
  if (job_.valid()) job_.wait();
}

void Reloader::Watch() {
  std::string last = stamp_ ? stamp_() : std::string();
  auto next_look = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; })) {
    bool want = asked_ && asked_->exchange(false);
    if (stamp_ && std::chrono::steady_clock::now() >= next_look) {
      next_look = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      lock.unlock();
      std::string now = stamp_();
      lock.lock();
      if (now != last) {
        last = std::move(now);
        want = true;
      }
    }
    if (want) Request();
    if (!job_.valid() || job_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      continue;
    Result<std::shared_ptr<const RuleSet>> r = job_.get();
    if (again_) {  // asked for again meanwhile: compile once more; this outcome is superseded
      again_ = false;
      job_ = std::async(std::launch::async, load_, seed_);
    } else if (r.ok()) {
      ready_ = std::move(*r);  // a newer set replaces one not yet taken
    } else {
      ++failures_;
      lock.unlock();
      if (failed_) failed_(r.message());
      lock.lock();
    }
  }
}

void Reloader::Request() {
  if (job_.valid()) {
    again_ = true;  // the files may have changed since the compile in flight read them
    return;
  }
  job_ = std::async(std::launch::async, load_, seed_);
}

void Reloader::SetSeed(std::shared_ptr<const engine::Program> running) {
  std::lock_guard<std::mutex> lock(mu_);
  seed_ = std::move(running);
}

std::shared_ptr<const RuleSet> Reloader::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(ready_);
}

}  // namespace strix::runtime
