#pragma once

#include "cokka/dead_letters.hpp"
#include "cokka/interceptor.hpp"
#include "cokka/detail/test_mode.hpp"
#include "cokka/detail/timer_service.hpp"
#include "cokka/registry.hpp"
#include "cokka/system.hpp"
#include "foreign_queue.hpp"
#include "metrics.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace cokka::detail {

/// Everything a System owns; cells point here while their system lives.
class SystemState {
public:
  /// `test`: a cokka::testing::TestSystem's state (virtual time, its drain picker), else null.
  SystemState(System& owner, asio::io_context* borrowed, unsigned thread_count, const TestMode* test = nullptr);

  /// Remembers `cell` so that shutdown can reach actors that are no longer registered.
  void track(const std::shared_ptr<ActorCell>& cell);
  /// Every tracked cell still referenced by someone.
  std::vector<std::shared_ptr<ActorCell>> tracked_cells();
  /// System::add_interceptor: InvalidState once a cell was tracked (the list is read without a lock from then on).
  void add_interceptor(std::shared_ptr<Interceptor> interceptor);
  /// True when an interceptor is installed: the one test a send and a handling pay without one.
  bool intercepted() const noexcept { return !interceptors_.empty(); }
  /// The interceptors, in the order they were added. Fixed once an actor started.
  const std::vector<std::shared_ptr<Interceptor>>& interceptors() const noexcept { return interceptors_; }

  System& owner;
  /// A TestSystem's: the destroying thread drives the borrowed io_context (nobody else runs it).
  const bool driven_by_owner;
  /// Messages a drain handles per turn before it yields its thread; one under the test kit, where each
  /// message is a scheduling point.
  const int drain_batch;
  /// The seeded schedule's picker of ready actors (see DrainPicker); null otherwise.
  DrainPicker* const picker;
  std::unique_ptr<asio::io_context> owned_context;
  asio::io_context& context;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::shared_ptr<ForeignQueue> foreign;  ///< drains requested from outside the io_context
  std::shared_ptr<TimerService> timers;   ///< every timer, tell_after and sleep of the System
  std::vector<std::thread> threads;
  std::atomic<unsigned> running_threads{0};
  Registry registry;
  DeadLetters dead_letters;
  std::unique_ptr<MetricsRegistry> metrics;  ///< null: metrics off (SystemOptions::metrics)
  std::atomic<bool> shutting_down{false};
  /// Some actor's code ran on the io_context (a borrowed one that ran none may be polled by ~System).
  std::atomic<bool> ran{false};
  /// What the asks of coroutine handlers the shutdown ended fail with (one for all: set before shutting_down).
  std::exception_ptr shutdown_error;

private:
  std::mutex cells_mutex_;
  std::vector<std::weak_ptr<ActorCell>> cells_;
  std::size_t prune_at_ = 64;
  bool tracked_any_ = false;  // guarded by cells_mutex_
  std::vector<std::shared_ptr<Interceptor>> interceptors_;
};

/// Reaches a System's state from lib code that is not System's own (cokka::debug).
struct SystemAccess {
  static SystemState& state(System& system) noexcept { return *system.state_; }
};

}  // namespace cokka::detail
