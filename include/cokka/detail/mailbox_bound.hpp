#pragma once

#include <cokka/detail/envelope.hpp>
#include <cokka/mailbox.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>

namespace cokka::detail {

class ActorCell;

/// A sender waiting for room in a bounded mailbox (async_tell, async_ask), holding its message. It ends exactly
/// once through `finish`: admitted (null: its envelope is queued) or not (the envelope was rejected, or dropped
/// by a cancellation, and `error` says why).
class MailboxWaiter {
public:
  MailboxWaiter() = default;
  MailboxWaiter(const MailboxWaiter&) = delete;
  MailboxWaiter& operator=(const MailboxWaiter&) = delete;

  /// Called once, from any thread, outside the bound's lock.
  virtual void finish(std::exception_ptr error) noexcept = 0;

  EnvelopePtr envelope;

protected:
  ~MailboxWaiter() = default;

private:
  friend class MailboxBound;
  MailboxWaiter* next_ = nullptr;
  MailboxWaiter* previous_ = nullptr;
  MailboxWaiter* done_next_ = nullptr;  // the batch finished after the lock is released
};

/// The bound of a bounded mailbox (an unbounded actor has none, and pays nothing for it). `used` counts user
/// envelopes queued and not yet taken by the drain; a place freed while senders wait goes to the oldest waiter
/// under the lock, so waiters are admitted, and their messages queued, in the order they began to wait.
///
/// The count and the waiters' number are seq_cst on both sides (a waiter adds itself, then retries; a drain frees a
/// place, then looks for waiters), so a place freed while a sender starts waiting is never missed.
class MailboxBound {
public:
  explicit MailboxBound(const MailboxOptions& options) noexcept : capacity_(options.capacity), on_full_(options.on_full) {}
  MailboxBound(const MailboxBound&) = delete;
  MailboxBound& operator=(const MailboxBound&) = delete;
  ~MailboxBound();

  std::size_t capacity() const noexcept { return capacity_; }
  OnFull on_full() const noexcept { return on_full_; }
  std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }
  std::size_t waiting() const noexcept { return waiting_.load(std::memory_order_relaxed); }

  /// Takes a place if there is one. `behind_waiters`: not while senders wait (an async_tell queues behind them).
  bool try_admit(bool behind_waiters) noexcept {
    if (behind_waiters && waiting_.load() != 0) return false;
    auto used = used_.load(std::memory_order_relaxed);
    do {
      if (used >= capacity_) return false;
    } while (!used_.compare_exchange_weak(used, used + 1));
    return true;
  }

  /// A counted envelope left the queue (the drain took it, or a dead actor's mailbox dropped it).
  void release(ActorCell& cell) noexcept {
    used_.fetch_sub(1);
    if (waiting_.load() != 0) admit_waiters(cell);
  }

  /// Queues `waiter` behind the others; it may be admitted (or refused: `cell` is dead) before this returns.
  void wait(ActorCell& cell, MailboxWaiter& waiter) noexcept;

  /// Takes `waiter` out of the line: true when it was still waiting (the caller then finishes it).
  bool cancel(MailboxWaiter& waiter) noexcept;

private:
  void admit_waiters(ActorCell& cell) noexcept;
  MailboxWaiter* admit_locked(ActorCell& cell) noexcept;
  static void finish_all(ActorCell& cell, MailboxWaiter* done) noexcept;
  void unlink(MailboxWaiter& waiter) noexcept;

  const std::size_t capacity_;
  const OnFull on_full_;
  std::atomic<std::size_t> used_{0};
  std::atomic<std::size_t> waiting_{0};
  // Recursive: queueing an admitted message into an actor that died meanwhile empties its mailbox, which frees
  // places and admits the next waiters from inside the first admission.
  std::recursive_mutex mutex_;
  MailboxWaiter* first_ = nullptr;
  MailboxWaiter* last_ = nullptr;
};

/// How a user message ended at the mailbox's door.
enum class Sent : unsigned char {
  queued,
  dead,  ///< the actor is dead: rejected (an ask's future fails with ActorDeadError)
  full,  ///< a bounded mailbox is full: an ask's future failed with MailboxFull, a tell was dropped (and counted
         ///< under OnFull::drop_newest)
};

/// MailboxFull naming the actor and its capacity.
std::exception_ptr mailbox_full_error(const ActorCell& cell);

}  // namespace cokka::detail
