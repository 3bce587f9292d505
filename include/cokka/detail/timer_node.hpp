#pragma once

#include <cokka/detail/envelope.hpp>

#include <atomic>
#include <cstdint>

namespace cokka::detail {

class TimerService;

/// One pending timer of a System's timing wheel (TimerService): an actor's timer message or a tell_after (the
/// node itself then becomes the mailbox envelope when it fires: no copy, no allocation), or a sleep.
///
/// Ownership: the wheel holds one reference while the node is pending, and hands it to `fire()` or `abort()`;
/// a Cancellation holds another. `dispose()` drops one. The wheel's links and deadline are guarded by the
/// TimerService's mutex; `state_` moves pending -> fired | cancelled | aborted once, by compare-and-swap, and a
/// fired message timer may still be cancelled (fired -> cancelled) until it is delivered.
class TimerNode : public Envelope {
public:
  enum class State : std::uint8_t { pending, fired, cancelled, aborted, delivered };

  explicit TimerNode(Kind kind) noexcept : Envelope(kind) {}

  /// Due: called by the TimerService without its lock, with the wheel's reference.
  virtual void fire() noexcept = 0;
  /// The System is gone (its TimerService closed): ends without firing, with the wheel's reference.
  virtual void abort() noexcept = 0;
  /// Cancelled while pending (the TimerService unlinked it), with the wheel's reference.
  virtual void cancelled() noexcept { dispose(); }

  void dispose() noexcept override {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }

  /// Moves the state from `from` to `to`; false when it was not `from`.
  bool transition(State from, State to) noexcept { return state_.compare_exchange_strong(from, to); }
  State state() const noexcept { return state_.load(); }

  // --- the wheel's (under the TimerService's mutex) ---
  TimerNode* wheel_prev = nullptr;
  TimerNode* wheel_next = nullptr;
  std::uint64_t deadline = 0;  // in ticks of the service
  bool linked = false;
  std::uint8_t wheel_level = 0;  // where the node is linked
  std::uint8_t wheel_slot = 0;

private:
  std::atomic<State> state_{State::pending};
  std::atomic<std::uint32_t> refs_{1};
};

}  // namespace cokka::detail
