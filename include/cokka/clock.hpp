/// @file
/// cokka::Clock: the clock of every System's timers, sleeps and tell_after.
#pragma once

#include <chrono>

namespace cokka {

/// The steady clock behind a System's timers (`system.now()`), with its own type so that a deterministic test
/// kit can make time virtual without changing user code. Meets the C++ Clock requirements (steady), so
/// `asio::basic_waitable_timer<cokka::Clock>` works with it. Thread-safe.
struct Clock {
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<Clock, duration>;
  static constexpr bool is_steady = true;

  /// Now, on std::chrono::steady_clock's scale.
  static time_point now() noexcept { return time_point(std::chrono::steady_clock::now().time_since_epoch()); }
};

}  // namespace cokka
