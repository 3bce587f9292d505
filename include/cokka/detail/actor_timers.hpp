#pragma once

#include <cokka/clock.hpp>
#include <cokka/detail/timer_key.hpp>
#include <cokka/message.hpp>

#include <cstdint>
#include <memory>
#include <unordered_map>

namespace cokka::detail {

class ActorCell;
class KeyedTimer;

/// How a keyed timer repeats.
enum class Repeat : std::uint8_t {
  once,        ///< start_single
  fixed_delay, ///< start_periodic: the next message is due `interval` after the previous one was handled
  fixed_rate,  ///< start_at_fixed_rate: on a grid of `interval`; missed ticks collapse into one catch-up
};

/// Copies a periodic timer's message for each delivery (start_periodic needs a copyable message).
using MessageCopy = Message (*)(const Message&);

/// An actor's keyed timers (Actor::timers()): the table from key to its current timer. Lives in the actor's
/// cell; strand only. A timer's message carries its key and generation; it is delivered only while the table
/// still names that generation for that key, so a cancelled or replaced timer is never delivered, even when
/// its message is already in the mailbox.
class ActorTimers {
public:
  explicit ActorTimers(ActorCell& cell) noexcept : cell_(cell) {}
  ActorTimers(const ActorTimers&) = delete;
  ActorTimers& operator=(const ActorTimers&) = delete;
  ~ActorTimers();

  /// Starts (or replaces) the timer of `key`. `interval` must be positive for repeating timers (checked by
  /// the caller); `copy` is set for repeating ones.
  void start(TimerKey key, Message message, Repeat repeat, Clock::duration delay, MessageCopy copy);
  /// True when `key` had a timer, which will never deliver now.
  bool cancel(const TimerKey& key);
  void cancel_all() noexcept;
  bool is_active(const TimerKey& key) const;

  /// At delivery: true when `timer` is still its key's current timer (else its message is dropped).
  bool deliverable(KeyedTimer& timer);
  /// After the handler of `timer`'s message finished: ends a single timer, schedules a repeating one's next.
  void handled(const KeyedTimer& timer);

private:
  struct Entry {
    std::uint64_t generation;
    Repeat repeat;
    Clock::duration interval;
    Clock::time_point scheduled;  // when the timer now pending (or in flight) was due
    MessageCopy copy;
    Message prototype;             // a repeating timer's message, copied for each delivery
    KeyedTimer* pending;           // a reference of ours on the timer not delivered yet (in the wheel or queued), or null
  };

  void schedule(const TimerKey& key, Entry& entry, Message message, Clock::time_point at);
  void unschedule(Entry& entry, bool service) noexcept;

  ActorCell& cell_;
  std::uint64_t generations_ = 0;
  std::unordered_map<TimerKey, Entry, TimerKey::Hash> entries_;
};

}  // namespace cokka::detail
