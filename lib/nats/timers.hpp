#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace cokka::nats::detail {

/// One-shot timers for a node: ask deadlines, liveness probes, the sweep of dead served actors. The one interface
/// the component needs from a timer facility, so that it can move onto cokka's own timers (design §13) without
/// touching its users. Today's implementation is one asio::steady_timer on the node's strand (Driver).
class Timers {
public:
  using Clock = std::chrono::steady_clock;
  using Id = std::uint64_t;

  /// Runs `fire` once at `when`, on the node's strand, unless cancelled first. Thread-safe.
  virtual Id start(Clock::time_point when, std::function<void()> fire) = 0;
  /// A cancelled timer never fires; unknown and already fired ids are ignored. Thread-safe.
  virtual void cancel(Id id) noexcept = 0;

protected:
  ~Timers() = default;
};

}  // namespace cokka::nats::detail
