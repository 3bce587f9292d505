/// @file
/// cokka::DeadLetters: the messages that reached no handler, counted by reason and offered to subscribers.
///
///     auto subscription = cokka::dead_letters(system).subscribe([](const cokka::DeadLetter& letter) {
///       std::cerr << to_string(letter.reason) << ": " << letter.message << " for " << to_string(letter.recipient);
///     });
///     cokka::dead_letters(system).count(cokka::DeadLetterReason::dead_actor);  // so far
#pragma once

#include <cokka/actor_ref.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace cokka {

class System;

/// Why a message reached no handler.
enum class DeadLetterReason : std::uint8_t {
  dead_actor,       ///< told to an actor that had already stopped or failed
  dropped_at_stop,  ///< queued behind a stop (or a failure) and dropped when the actor died
  stale,            ///< a cancelled or replaced timer's message, or a Terminated of an actor no longer watched
  mailbox_full,     ///< dropped by a bounded mailbox that was full
};

/// Number of DeadLetterReason values (for arrays indexed by reason).
inline constexpr std::size_t dead_letter_reason_count = 4;

/// "dead_actor", "dropped_at_stop", "stale" or "mailbox_full".
std::string_view to_string(DeadLetterReason reason) noexcept;

/// One message that reached no handler. Asks are not dead letters: their askers learn the failure.
struct DeadLetter {
  /// Why it was not handled.
  DeadLetterReason reason;
  /// The actor it was sent to.
  ActorRef<> recipient;
  /// What it was: its message type, or the proxied member ("add"). Static storage.
  std::string_view message;
};

/// A System's dead letters (cokka::dead_letters(system)). Thread-safe; counting costs one atomic increment, and
/// subscribers and the log line only cost when there is a dead letter.
class DeadLetters {
public:
  /// Called with each dead letter, on the thread that dropped it (an io thread, or a thread that told a
  /// dead actor), possibly from several threads at once: keep it short, do not block, do not throw (what it
  /// throws is swallowed).
  using Subscriber = std::function<void(const DeadLetter&)>;

  /// Keeps a subscriber subscribed until it is destroyed (or reset). Must not outlive its DeadLetters.
  class Subscription {
  public:
    /// Subscribed to nothing.
    Subscription() = default;
    /// Takes over `other`'s subscription (`other` is left subscribed to nothing).
    Subscription(Subscription&& other) noexcept;
    /// Unsubscribes this one, then takes over `other`'s.
    Subscription& operator=(Subscription&& other) noexcept;
    /// Unsubscribes; a call of the subscriber running on another thread may still be finishing.
    ~Subscription();
    /// Unsubscribes now.
    void reset() noexcept;

  private:
    friend class DeadLetters;
    Subscription(DeadLetters* owner, std::uint64_t id) noexcept : owner_(owner), id_(id) {}
    DeadLetters* owner_ = nullptr;
    std::uint64_t id_ = 0;
  };

  /// No subscribers, nothing counted, the default log limit.
  DeadLetters() = default;
  DeadLetters(const DeadLetters&) = delete;
  DeadLetters& operator=(const DeadLetters&) = delete;

  /// Calls `subscriber` with every later dead letter until the returned Subscription goes.
  [[nodiscard]] Subscription subscribe(Subscriber subscriber);

  /// Dead letters so far for `reason`.
  std::uint64_t count(DeadLetterReason reason) const noexcept;
  /// Dead letters so far, all reasons.
  std::uint64_t total() const noexcept;

  /// The log line (level info, logger cokka::logger()): at most `lines` per `period`; the first line after
  /// a quiet period says how many were not logged. Default: 10 lines per second. `lines` 0: never logs.
  void set_log_limit(std::size_t lines, std::chrono::steady_clock::duration period);

  /// Counts `letter`, offers it to the subscribers and logs it within the limit. For cokka and its mailbox
  /// implementations; never throws.
  void publish(const DeadLetter& letter) noexcept;

private:
  using Subscribers = std::vector<std::pair<std::uint64_t, std::shared_ptr<const Subscriber>>>;
  void unsubscribe(std::uint64_t id) noexcept;
  void log(const DeadLetter& letter);

  std::array<std::atomic<std::uint64_t>, dead_letter_reason_count> counts_{};
  std::atomic<bool> has_subscribers_{false};
  mutable std::mutex mutex_;  // subscribers_, next_id_ and the log throttle
  std::shared_ptr<const Subscribers> subscribers_;
  std::uint64_t next_id_ = 1;
  std::size_t log_lines_ = 10;
  std::chrono::steady_clock::duration log_period_ = std::chrono::seconds(1);
  std::chrono::steady_clock::time_point period_began_{};
  std::size_t logged_in_period_ = 0;
  std::uint64_t suppressed_ = 0;
};

/// The dead letters of `system`; valid as long as the System. Thread-safe.
DeadLetters& dead_letters(System& system) noexcept;

}  // namespace cokka
