#include "cokka/detail/future_state.hpp"

#include <thread>

namespace cokka::detail {

namespace {
// Waking a sleeping thread costs 10-30 us on the target VMs; replies often arrive sooner than that.
constexpr int spin_iterations = 4000;

bool spin_until_ready(const FutureStateBase& state) {
  for (int i = 0; i < spin_iterations; ++i) {
    if (state.ready()) return true;
    if (i > spin_iterations / 2) std::this_thread::yield();
  }
  return state.ready();
}
}  // namespace

FutureStateBase::~FutureStateBase() = default;

BlockingDriver*& blocking_driver_slot() noexcept {
  thread_local BlockingDriver* driver = nullptr;
  return driver;
}

void FutureStateBase::wait() {
  if (ready()) return;
  if (in_actor_code())
    throw BlockingCallInActor(
        "cokka: blocking get() on an unfinished future inside an actor's handler could deadlock the thread pool; "
        "make the handler a coroutine (asio::awaitable) and co_await fut.async_wait(asio::use_awaitable) instead");
  if (auto* driver = blocking_driver_slot()) return driver->drive(*this);
  if (spin_until_ready(*this)) return;
  std::unique_lock lock(mutex_);
  ++sleepers_;
  ready_cv_.wait(lock, [this] { return ready(); });
  --sleepers_;
}

bool FutureStateBase::wait_until(std::chrono::steady_clock::time_point deadline) {
  if (ready()) return true;
  if (in_actor_code() && deadline > std::chrono::steady_clock::now())
    throw BlockingCallInActor(
        "cokka: blocking get(timeout) on an unfinished future inside an actor's handler could deadlock the thread "
        "pool; co_await fut.async_wait(asio::use_awaitable) instead");
  if (auto* driver = blocking_driver_slot()) return driver->drive_for(*this, deadline - std::chrono::steady_clock::now());
  std::unique_lock lock(mutex_);
  ++sleepers_;
  bool done = ready_cv_.wait_until(lock, deadline, [this] { return ready(); });
  --sleepers_;
  return done;
}

bool FutureStateBase::add_waiter(FutureWaiter& waiter) {
  std::lock_guard lock(mutex_);
  if (ready()) return false;
  waiter.prev = nullptr;
  waiter.next = waiters_;
  if (waiters_) waiters_->prev = &waiter;
  waiters_ = &waiter;
  return true;
}

bool FutureStateBase::remove_waiter(FutureWaiter& waiter) {
  std::lock_guard lock(mutex_);
  if (ready()) return false;  // publish() took the list: on_ready is running or ran
  if (waiter.prev)
    waiter.prev->next = waiter.next;
  else
    waiters_ = waiter.next;
  if (waiter.next) waiter.next->prev = waiter.prev;
  return true;
}

bool FutureStateBase::claim() noexcept {
  int expected = empty_phase;
  return phase_.compare_exchange_strong(expected, claimed_phase, std::memory_order_acq_rel);
}

void FutureStateBase::publish() noexcept {
  FutureWaiter* waiters = nullptr;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    phase_.store(ready_phase, std::memory_order_release);
    waiters = std::exchange(waiters_, nullptr);
    wake = sleepers_ > 0;
  }
  if (wake) ready_cv_.notify_all();
  while (waiters) {
    FutureWaiter* next = waiters->next;  // on_ready may free the waiter
    waiters->on_ready();
    waiters = next;
  }
}

void FutureStateBase::set_exception(std::exception_ptr error) {
  if (!try_set_exception(std::move(error))) throw_already_set();
}

bool FutureStateBase::try_set_exception(std::exception_ptr error) noexcept {
  if (!claim()) return false;
  error_ = std::move(error);
  publish();
  return true;
}

void FutureStateBase::throw_already_set() {
  throw FutureAlreadySet("cokka::Promise: the future was already completed; a promise can be set only once");
}

}  // namespace cokka::detail
