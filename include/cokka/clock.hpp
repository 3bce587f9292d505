/// @file
/// cokka::Clock: the clock of every System's timers, sleeps and tell_after.
#pragma once

#include <chrono>

namespace cokka {

/// The steady clock behind a System's timers (`system.now()`), with its own type so that a deterministic test
/// kit can make time virtual without changing user code. Meets the C++ Clock requirements (steady), so
/// `asio::basic_waitable_timer<cokka::Clock>` works with it. Thread-safe.
struct Clock {
  using duration = std::chrono::steady_clock::duration;  ///< nanoseconds, as steady_clock's
  using rep = duration::rep;                              ///< the tick count's type
  using period = duration::period;                        ///< the tick's length
  using time_point = std::chrono::time_point<Clock, duration>;  ///< an instant of cokka's clock
  static constexpr bool is_steady = true;                 ///< never goes back

  /// Now, on std::chrono::steady_clock's scale.
  static time_point now() noexcept { return time_point(std::chrono::steady_clock::now().time_since_epoch()); }
};

}  // namespace cokka
