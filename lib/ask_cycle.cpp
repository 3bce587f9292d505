// Ask-cycle detection: who awaits whose reply, across all Systems, and the check made when a wait begins.
#include "cokka/detail/async_wait.hpp"
#include "cokka/errors.hpp"
#include "log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace cokka::detail {

namespace {

/// The waits of actors' coroutines on replies of other actors. An awaiting cell is a key only while one of its
/// waits is recorded, and each wait's AsyncWaitOp holds that cell until the wait is erased, so every key is
/// alive; producers are known by address only and are looked at just when they are keys themselves.
class WaitGraph {
public:
  /// Records wait `op` of `awaiting` on `producer`, replacing what `op` waited on before; or, when `producer`
  /// awaits `awaiting` (directly or through others), records nothing and returns the cycle as text,
  /// "A (urn) -> B (urn) -> A (urn)".
  std::string begin(const ActorCell& awaiting, const void* op, const ActorCell* producer) {
    std::lock_guard lock(mutex_);
    erase(awaiting, op);
    if (!producer) return {};
    // An actor whose coroutine has ended (the wait belongs to a coroutine it spawned and left running) handles
    // its mailbox: it closes no cycle.
    if (awaiting.runs_coroutine()) {
      std::vector<const ActorCell*> path{&awaiting};
      std::vector<const ActorCell*> visited;
      if (reaches(producer, &awaiting, path, visited)) {
        // Formatted under the lock: the cells of the path are keys (alive) only as long as it is held.
        std::string text;
        for (const auto* cell : path) text += fmt::format("{}{}", text.empty() ? "" : " -> ", *cell);
        return text;
      }
    }
    waits_.emplace(&awaiting, Wait{op, producer});
    return {};
  }

  void end(const ActorCell& awaiting, const void* op) {
    std::lock_guard lock(mutex_);
    erase(awaiting, op);
  }

private:
  struct Wait {
    const void* op;
    const ActorCell* producer;
  };

  void erase(const ActorCell& awaiting, const void* op) {
    auto [first, last] = waits_.equal_range(&awaiting);
    auto found = std::find_if(first, last, [op](const auto& entry) { return entry.second.op == op; });
    if (found != last) waits_.erase(found);
  }

  // Depth first from `at` along the recorded waits of actors that own their mailbox with a coroutine; on
  // success `path` ends with `target`.
  bool reaches(const ActorCell* at, const ActorCell* target, std::vector<const ActorCell*>& path,
               std::vector<const ActorCell*>& visited) {
    if (at == target) {
      path.push_back(at);
      return true;
    }
    if (std::find(visited.begin(), visited.end(), at) != visited.end()) return false;
    visited.push_back(at);
    auto [first, last] = waits_.equal_range(at);
    if (first == last || !at->runs_coroutine()) return false;  // idle, or busy without awaiting an actor
    path.push_back(at);
    for (auto it = first; it != last; ++it)
      if (reaches(it->second.producer, target, path, visited)) return true;
    path.pop_back();
    return false;
  }

  std::mutex mutex_;
  std::unordered_multimap<const ActorCell*, Wait> waits_;
};

WaitGraph& wait_graph() {
  // Never destroyed: a wait may end (a promise completed by some thread) while statics are torn down.
  static auto* graph = new WaitGraph;
  return *graph;
}

}  // namespace

std::exception_ptr note_await(const std::shared_ptr<ActorCell>& awaiting, const void* op,
                              const ActorCell* producer) noexcept {
  try {
    if (auto cycle = wait_graph().begin(*awaiting, op, producer); !cycle.empty())
      return std::make_exception_ptr(AskCycle(
          "ask cycle: " + cycle +
          " (each awaits the next one's reply inside its handler, so none would ever handle the message that "
          "ends the wait; reply with a tell, or do not await an actor that may ask back)"));
  } catch (...) {
    return std::current_exception();
  }
  awaiting->begin_await(op, producer);
  return nullptr;
}

void note_resumed(ActorCell& awaiting, const void* op) noexcept {
  wait_graph().end(awaiting, op);
  awaiting.end_await(op);
}

}  // namespace cokka::detail
