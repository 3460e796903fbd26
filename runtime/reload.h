// Reload: new rules taking over a running pipeline (CLI.md "Live operation"). Stage: runtime.
// Interface: TakeOverState() and MoveState() (a run's matching state onto an engine for the new
// program), Reloader (watches for reloads and compiles the new rules while the run goes on). Rules
// whose identity (a hash of the rule's text with lets expanded) is unchanged keep their partial
// matches, timers, suppression windows; new and changed rules start empty; removed rules' state is
// dropped, and the report counts it. Events held for --max-delay move too. Covered by
// test/reload_test.sh and test/partition_engines_test.cc.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/status.h"
#include "engine/engine.h"
#include "runtime/rule_set.h"

namespace strix::runtime {

// Saves `from` (which must be flushed: nothing waiting in worker batches), detaches the
// snapshot from its events and restores it into `to` (a fresh engine for the new program);
// `decode` decodes saved events with the new program's fields. `from` can be destroyed after.
engine::RestoreReport MoveState(const engine::Engine& from, engine::Engine& to,
                                const engine::Engine::DecodeFn& decode);
// The same without a snapshot where it can (Engine::TakeOver: unchanged rules' state moves
// whole; `from` gives it up); MoveState where it cannot (the new program moved fields).
engine::RestoreReport TakeOverState(engine::Engine& from, engine::Engine& to,
                                    const engine::Engine::DecodeFn& decode,
                                    const std::vector<int64_t>* rule_map = nullptr);

// Watches for reloads and compiles beside the run: a thread of its own looks at `asked`
// (set by SIGHUP) every 100 ms and, when `stamp` is given (--watch), at the rule files once a
// second, and compiles them again. Rules that do not load are reported at once (`failed`,
// called on that thread) and counted; rules that load wait for the run to take them between
// two events (Take()).
class Reloader {
 public:
  using Load = std::function<Result<std::shared_ptr<const RuleSet>>(
      std::shared_ptr<const engine::Program> seed)>;
  Reloader(Load load, std::atomic<bool>* asked, std::function<std::string()> stamp,
           std::function<void(const std::string&)> failed);
  ~Reloader();  // stops watching; waits for a compile in flight
  // Rules compiled and not yet taken (once); null while there are none. When the files were
  // asked for again during a compile, its outcome is dropped and they are compiled once more,
  // so that the newest files are the ones that end up loaded.
  std::shared_ptr<const RuleSet> Take();
  uint64_t failures() const { return failures_.load(); }
  // The program now running: the next compile keeps its fields' slots and maps its rules (so
  // that the state can move without a snapshot: Engine::TakeOver). Held until replaced.
  void SetSeed(std::shared_ptr<const engine::Program> running);

 private:
  void Watch();
  void Request();  // under mu_
  Load load_;
  std::atomic<bool>* asked_;
  std::function<std::string()> stamp_;
  std::function<void(const std::string&)> failed_;
  std::atomic<uint64_t> failures_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::future<Result<std::shared_ptr<const RuleSet>>> job_;
  bool again_ = false;
  std::shared_ptr<const RuleSet> ready_;
  std::shared_ptr<const engine::Program> seed_;
  std::thread watcher_;
};

}  // namespace strix::runtime
