#pragma once

#include <cokka/errors.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace cokka::detail {

class ActorCell;

/// True when the calling thread runs an actor's code: a handler, a hook, or work on its executor (defined next to
/// ActorCell). A blocking wait there could deadlock the thread pool.
bool in_actor_code() noexcept;

/// Selects Promise's constructor for the reply of an actor (cokka's own sends use it).
struct ProducerKey {
  explicit ProducerKey() = default;
};

/// Something waiting for a future to complete without blocking a thread (an async_wait, a co_await,
/// a continuation). Owned by whoever registered it; `on_ready` is called at most once, on the thread that
/// completes the future, never under a lock.
struct FutureWaiter {
  virtual void on_ready() noexcept = 0;
  FutureWaiter* next = nullptr;
  FutureWaiter* prev = nullptr;

protected:
  ~FutureWaiter() = default;
};

class FutureStateBase;

/// Runs a system on the thread that blocks on a future (cokka::testing::TestSystem): a blocking wait on a thread
/// with a driver drives instead of sleeping, since nothing else would run the actors.
class BlockingDriver {
public:
  /// Drives until `state` is ready; throws cokka::Deadlock when nothing can make it ready.
  virtual void drive(const FutureStateBase& state) = 0;
  /// Drives until `state` is ready or `timeout` passed on the driver's clock; false on timeout.
  virtual bool drive_for(const FutureStateBase& state, std::chrono::steady_clock::duration timeout) = 0;

protected:
  ~BlockingDriver() = default;
};

/// This thread's driver, or null (the normal case: a blocking wait sleeps).
BlockingDriver*& blocking_driver_slot() noexcept;

/// The non-template part of a future's shared state: completion flag, error, blocking waits and waiter list.
/// The value itself lives in FutureState<T>. Lifecycle: empty -> claimed (one producer writes) -> ready.
class FutureStateBase {
public:
  FutureStateBase() = default;
  FutureStateBase(const FutureStateBase&) = delete;
  FutureStateBase& operator=(const FutureStateBase&) = delete;

  bool ready() const noexcept { return phase_.load(std::memory_order_acquire) == ready_phase; }

  /// Blocks until ready. Throws BlockingCallInActor when called from an actor's handler on a future
  /// that is not ready yet.
  void wait();
  /// Blocks until ready or `deadline`; false when the deadline passed first.
  bool wait_until(std::chrono::steady_clock::time_point deadline);

  /// Registers `waiter`; false when the future is already ready (then the caller continues itself).
  bool add_waiter(FutureWaiter& waiter);
  /// Unregisters `waiter`; false when it was already taken for completion (its on_ready runs or ran).
  bool remove_waiter(FutureWaiter& waiter);

  /// The stored exception, or null.
  const std::exception_ptr& error() const noexcept { return error_; }

  /// The actor whose reply this is (identity only, never dereferenced: it may be gone), or null.
  const ActorCell* producer() const noexcept { return producer_; }
  /// Set once, before the state is shared with another thread.
  void set_producer(const ActorCell* producer) noexcept { producer_ = producer; }

  /// Completes with an exception; throws FutureAlreadySet if already completed.
  void set_exception(std::exception_ptr error);
  /// Completes with an exception unless already completed; returns whether it did.
  bool try_set_exception(std::exception_ptr error) noexcept;

protected:
  /// Out of line: the states of all value types share it.
  ~FutureStateBase();
  /// Gives the calling producer the right to write the value; false when someone else already has it.
  bool claim() noexcept;
  /// Marks the state ready, wakes blocking waiters and runs async waiters.
  void publish() noexcept;
  [[noreturn]] static void throw_already_set();

  std::exception_ptr error_;

private:
  static constexpr int empty_phase = 0, claimed_phase = 1, ready_phase = 2;
  std::atomic<int> phase_{empty_phase};
  std::mutex mutex_;
  std::condition_variable ready_cv_;
  int sleepers_ = 0;
  FutureWaiter* waiters_ = nullptr;
  const ActorCell* producer_ = nullptr;
};

/// Shared state of Future<T> / Promise<T>. `T` may be void.
template <class T>
class FutureState final : public FutureStateBase {
public:
  using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  template <class... Args>
  void set_value(Args&&... args) {
    if (!claim()) throw_already_set();
    emplace_and_publish(std::forward<Args>(args)...);
  }
  template <class... Args>
  bool try_set_value(Args&&... args) {
    if (!claim()) return false;
    emplace_and_publish(std::forward<Args>(args)...);
    return true;
  }

  /// The value of a ready state (rethrows its error). Copies for copyable T; moves out once otherwise.
  decltype(auto) value() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (std::is_void_v<T>) {
      return;
    } else if constexpr (std::is_copy_constructible_v<T>) {
      return T(*value_);
    } else {
      if (taken_.exchange(true)) throw InvalidState("cokka::Future: this move-only result was already taken");
      return T(std::move(*value_));
    }
  }

private:
  template <class... Args>
  void emplace_and_publish(Args&&... args) {
    try {
      value_.emplace(std::forward<Args>(args)...);
    } catch (...) {
      error_ = std::current_exception();
    }
    publish();
  }

  std::optional<Stored> value_;
  std::atomic<bool> taken_{false};
};

}  // namespace cokka::detail
