#pragma once

#include <cokka/clock.hpp>
#include <cokka/detail/gate.hpp>
#include <cokka/detail/timer_node.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

namespace cokka::detail {

class TimerWheel;

/// A System's timers: one timing wheel (ticks of 1 ms) driven by one Asio timer on the System's io_context.
/// Every timer, tell_after and sleep of the System lives here.
///
/// Thread rules: schedule, cancel and now from any thread; the driver runs on its own strand, inside the
/// service's gate. close() (~System) ends every pending timer (abort) and waits for the driver to be out;
/// later schedules abort at once. Shared: the driver's pending wait keeps it alive after ~System.
class TimerService : public std::enable_shared_from_this<TimerService> {
public:
  static constexpr auto tick = std::chrono::milliseconds(1);

  /// `virtual_time`: the clock starts at 0 and moves only through fire_next() and advance_to() (the test kit's
  /// clock); no Asio timer is ever armed. Otherwise the clock is Clock::now() and the driver fires timers.
  TimerService(asio::io_context& context, bool virtual_time);
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;
  ~TimerService();

  /// The System's clock.
  Clock::time_point now() const noexcept {
    return virtual_time_ ? Clock::time_point(Clock::duration(virtual_now_.load(std::memory_order_acquire)))
                         : Clock::now();
  }

  /// Virtual time only: fires the timers of the earliest tick that has work, if it is not after `until`, and
  /// moves the clock there. False when no timer is due by `until`.
  bool fire_next(Clock::time_point until) noexcept;
  /// Virtual time only: moves the clock forward to `at` (never back).
  void advance_to(Clock::time_point at) noexcept;

  /// Links `node` to fire at `at` (at the next turn when that passed), taking over its reference: the node is
  /// later fired, cancelled or aborted, exactly once. On a closed service it is aborted at once.
  void schedule(TimerNode* node, Clock::time_point at) noexcept;
  /// Unlinks a pending node and hands it to its cancelled(); false when it was not linked (fired or due already,
  /// aborted, or never scheduled). The service must live (the caller holds an entry of the System).
  bool cancel(TimerNode* node) noexcept;
  /// Number of pending timers.
  std::size_t size() const;
  /// Ends every pending timer (abort()), for ~System; waits for the driver to leave.
  void close() noexcept;

private:
  std::uint64_t tick_of(Clock::time_point at) const noexcept;
  Clock::time_point time_of(std::uint64_t tick) const noexcept;
  void arm() noexcept;
  void wake(std::uint64_t generation) noexcept;

  const bool virtual_time_;
  std::atomic<Clock::rep> virtual_now_{0};  // virtual time: written by the driving thread under mutex_
  mutable std::mutex mutex_;
  std::unique_ptr<TimerWheel> wheel_;  // under mutex_
  bool closed_ = false;                // under mutex_
  const Clock::time_point epoch_;
  Gate gate_;
  std::optional<asio::strand<asio::io_context::executor_type>> strand_;  // until close()
  std::optional<asio::steady_timer> driver_;       // on strand_, inside the gate
  std::uint64_t wait_generation_ = 0;              // on strand_: waits of older generations are stale
  std::atomic<std::uint64_t> armed_tick_;          // what the driver waits for (max: nothing), under mutex_
};

}  // namespace cokka::detail
