/// @file
/// Timers: an actor's keyed timers (`timers()`), `ActorRef::tell_after`, and `sleep_for` / `sleep_until` for
/// coroutines, all on one timing wheel per System (see cokka::Clock for the time they read).
///
///     struct Poller : cokka::Actor<Poller> {
///       enum class Key { poll, give_up };
///       void on_start() {
///         timers().start_periodic(Key::poll, Poll{}, 1s);     // a key's new timer replaces its old one
///         timers().start_single(Key::give_up, GiveUp{}, 30s);
///       }
///       void on_receive(cokka::Message& m) { if (m.is<Done>()) timers().cancel(Key::give_up); }
///     };
///     cokka::Cancellation c = ref.tell_after(5s, Ping{});     // from anywhere; c.cancel()
///     co_await sleep_for(100ms, asio::use_awaitable);         // inside an actor: any completion token
///     co_await cokka::sleep_for(system, 100ms, asio::use_awaitable);   // anywhere else
#pragma once

#include <cokka/clock.hpp>
#include <cokka/detail/actor_timers.hpp>
#include <cokka/detail/hand_off.hpp>
#include <cokka/detail/timer_key.hpp>
#include <cokka/detail/timer_node.hpp>
#include <cokka/detail/timer_service.hpp>
#include <cokka/message.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/defer.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/prefer.hpp>

#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

namespace cokka {

class System;

namespace detail {
class MessageTimer;
class ActorCell;
/// The timer service of `system` (defined in lib/actor_timers.cpp).
std::shared_ptr<TimerService> timer_service(System& system);
}  // namespace detail

/// Cancels one `ActorRef::tell_after`. Cheap to move; copies share the timer. Destroying it does not cancel.
/// Thread-safe, and harmless after the actor or its System is gone.
class Cancellation {
public:
  /// Cancels nothing.
  Cancellation() noexcept = default;
  /// Another handle on the same timer.
  Cancellation(const Cancellation& other) noexcept;
  /// Takes `other`'s timer; `other` cancels nothing afterwards.
  Cancellation(Cancellation&& other) noexcept : timer_(std::exchange(other.timer_, nullptr)) {}
  /// Lets go of this handle's timer (without cancelling it) and takes `other`'s.
  Cancellation& operator=(Cancellation other) noexcept {
    std::swap(timer_, other.timer_);
    return *this;
  }
  /// Lets go of the timer; does not cancel it.
  ~Cancellation();

  /// Prevents the delivery if it has not begun, also when the message already waits in the mailbox. True when
  /// this call prevented it; false when it was delivered (or is being handled), already cancelled, or the
  /// actor or its System is gone. Idempotent.
  bool cancel() noexcept;

  /// @cond COKKA_INTERNAL
  explicit Cancellation(detail::MessageTimer* timer) noexcept : timer_(timer) {}
  /// @endcond

private:
  detail::MessageTimer* timer_ = nullptr;  // a reference of its own
};

/// An actor's keyed timers: `timers()` inside the actor (see Actor). Each key has at most one timer; starting a
/// key that is active replaces its timer. Timer messages arrive through the mailbox as ordinary tells (a
/// handler that throws fails the actor), after the messages already queued. A cancelled or replaced timer is
/// never delivered afterwards, even when its message already waits in the mailbox. All of an actor's timers end
/// when it stops; a timer never keeps an actor alive.
///
/// Keys: any equality-comparable, hashable, copyable value; an enum is typical. Only on the actor's strand (in
/// its handlers and hooks); `timers()` elsewhere throws InvalidState.
class Timers {
public:
  /// Delivers `message` once, after `delay` (zero or negative: at the next tick, 1 ms).
  template <class K, class M>
  void start_single(K key, M&& message, Clock::duration delay) {
    timers_.start(detail::TimerKey(std::move(key)), Message(std::forward<M>(message)), detail::Repeat::once, delay,
                  nullptr);
  }

  /// Delivers a copy of `message` every `interval`, with a fixed delay: each one is due `interval` after the
  /// previous one was handled, so a slow actor gets fewer, never a backlog. Throws std::invalid_argument
  /// (naming the key) when `interval` is not positive.
  template <class K, class M>
  void start_periodic(K key, const M& message, Clock::duration interval) {
    start_repeating(std::move(key), message, interval, detail::Repeat::fixed_delay);
  }

  /// Delivers a copy of `message` at a fixed rate: due at start + interval, + 2 interval, ...; when the actor
  /// (or the system) falls behind by several ticks, it catches up with one message at once, then goes on with
  /// the grid. Throws std::invalid_argument (naming the key) when `interval` is not positive.
  template <class K, class M>
  void start_at_fixed_rate(K key, const M& message, Clock::duration interval) {
    start_repeating(std::move(key), message, interval, detail::Repeat::fixed_rate);
  }

  /// Ends `key`'s timer; true when it had one (its message will not be delivered, even if queued already).
  template <class K>
  bool cancel(const K& key) {
    return timers_.cancel(detail::TimerKey(key));
  }

  /// Ends every timer of the actor.
  void cancel_all() noexcept { timers_.cancel_all(); }

  /// True while `key` has a timer whose message is still to be delivered (a single timer's until its delivery
  /// begins; a repeating one's until cancelled).
  template <class K>
  bool is_active(const K& key) const {
    return timers_.is_active(detail::TimerKey(key));
  }

  /// @cond COKKA_INTERNAL
  explicit Timers(detail::ActorTimers& timers) noexcept : timers_(timers) {}
  /// @endcond

private:
  template <class K, class M>
  void start_repeating(K key, const M& message, Clock::duration interval, detail::Repeat repeat) {
    static_assert(std::is_copy_constructible_v<M>,
                  "cokka::Timers: a periodic timer's message must be copyable (each delivery gets a copy)");
    detail::TimerKey erased(std::move(key));
    if (interval <= Clock::duration::zero())
      throw std::invalid_argument("cokka::Timers: the interval of " + erased.describe() +
                                  "'s periodic timer must be positive");
    timers_.start(std::move(erased), Message(message), repeat, interval,
                  [](const Message& prototype) { return Message(*prototype.get_if<M>()); });
  }

  detail::ActorTimers& timers_;
};

namespace detail {

/// ActorRef::tell_after's body: throws ActorDeadError when the actor is dead.
Cancellation tell_after(ActorCell& cell, Clock::duration delay, Message message);

/// The Asio operation behind sleep_for / sleep_until: a timer of the System's wheel whose firing completes a
/// handler with `void(std::error_code)` (operation_aborted when cancelled through the handler's cancellation
/// slot, or when its System is destroyed). As AsyncWaitOp: the handler runs on its associated executor (else
/// `Default`), never inline, and the op's tracked executor is released there before it runs.
template <class Handler, class Default>
class SleepOp final : public TimerNode {
public:
  static void start(std::shared_ptr<TimerService> service, Clock::time_point at, Handler handler,
                    const Default& fallback) {
    auto* op = new SleepOp(service, std::move(handler), fallback);
    auto slot = asio::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected()) {
      op->slot_ = slot;
      slot.template emplace<CancelHandler>(op);
    }
    service->schedule(op, at);
  }

  void fire() noexcept override {
    if (!transition(State::pending, State::fired)) return dispose();
    complete({});
  }
  void abort() noexcept override { complete(asio::error::operation_aborted); }
  void cancelled() noexcept override { complete(asio::error::operation_aborted); }

private:
  struct Release {
    void operator()(SleepOp* op) const noexcept { op->dispose(); }
  };
  using Owned = std::unique_ptr<SleepOp, Release>;

  struct CancelHandler {
    explicit CancelHandler(SleepOp* sleeping) noexcept : op(sleeping) {}
    SleepOp* op;
    void operator()(asio::cancellation_type type) const {
      if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                   asio::cancellation_type::total)) != asio::cancellation_type::none)
        op->service_->cancel(op);
    }
  };

  SleepOp(std::shared_ptr<TimerService> service, Handler handler, const Default& fallback)
      : TimerNode(Kind::guarded),
        service_(std::move(service)),
        handler_(std::move(handler)),
        work_(asio::prefer(asio::get_associated_executor(handler_, fallback), asio::execution::outstanding_work.tracked)) {}

  void complete(std::error_code error) noexcept {
    error_ = error;
    detail::hand_off(asio::prefer(work_, asio::execution::outstanding_work.untracked), this);
  }

  template <class>
  friend struct HandedOff;
  template <class Op, class Executor>
  friend void hand_off(const Executor& executor, Op* op) noexcept;
  static void discard(SleepOp* op) noexcept { op->dispose(); }
  // On the handler's executor: the op, with its tracked executor, is gone before the handler runs.
  static void run(SleepOp* raw) {
    Owned op(raw);
    if (op->slot_.is_connected()) op->slot_.clear();
    Handler handler = std::move(op->handler_);
    const auto error = op->error_;
    op.reset();
    std::move(handler)(error);
  }

  using WorkExecutor = std::decay_t<decltype(asio::prefer(
      std::declval<asio::associated_executor_t<Handler, Default>>(), asio::execution::outstanding_work.tracked))>;

  std::shared_ptr<TimerService> service_;
  Handler handler_;
  WorkExecutor work_;
  asio::cancellation_slot slot_;
  std::error_code error_;  // what the posted completion hands over
  HandOffState hand_off;
};

/// sleep_until's initiation with `fallback` as the executor of handlers that have none.
template <class Default, class CompletionToken>
auto async_sleep_until(std::shared_ptr<TimerService> service, Clock::time_point at, const Default& fallback,
                       CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(std::error_code)>(
      [](auto handler, std::shared_ptr<TimerService> timers, Clock::time_point deadline, const Default& executor) {
        SleepOp<std::decay_t<decltype(handler)>, Default>::start(std::move(timers), deadline, std::move(handler),
                                                                   executor);
      },
      token, std::move(service), at, fallback);
}

}  // namespace detail

/// Completes `token` at `at` on `system`'s clock, with `void(std::error_code)`: success, or
/// asio::error::operation_aborted when cancelled through the token's cancellation slot or when the System is
/// destroyed first. Any completion token (asio::use_awaitable throws asio::system_error on abort). A handler
/// without an executor of its own runs on the System's io_context: if that is the System's own, the handler
/// of a sleep outlasting the System is destroyed with it, uncalled, as Asio destroys the handlers of a
/// destroyed io_context.
template <class CompletionToken>
auto sleep_until(System& system, Clock::time_point at, CompletionToken&& token);

/// sleep_until(system, system.now() + duration, token).
template <class CompletionToken>
auto sleep_for(System& system, Clock::duration duration, CompletionToken&& token);

}  // namespace cokka
