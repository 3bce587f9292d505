/// @file
/// cokka::ActorRef<A>: the handle through which everyone talks to an actor.
#pragma once

#include <cokka/detail/cell.hpp>
#include <cokka/detail/death_wait.hpp>
#include <cokka/detail/envelopes.hpp>
#include <cokka/detail/room_wait.hpp>
#include <cokka/future.hpp>
#include <cokka/message.hpp>
#include <cokka/promise.hpp>
#include <cokka/timers.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace cokka {

template <class A>
class Proxy;
template <class A = void>
class ActorRef;

/// A reference to a running (or dead) actor of type `A`; `ActorRef<>` (A = void) is the type-erased form.
///
/// Cheap to copy, comparable and hashable by actor identity, usable from any thread. A ref does not keep the
/// actor object alive: a stopped actor's object is destroyed whatever refs remain, and the refs then report
/// it dead. `ActorRef<Derived>` converts implicitly to `ActorRef<Base>` and to `ActorRef<>`.
/// The members that send (`tell`, `ask`, `stop_async`, `stop`) throw InvalidState on an empty ref.
template <class A>
class ActorRef {
public:
  /// An empty ref that points at no actor (`valid()` is false).
  ActorRef() = default;

  /// Widening conversion: to a base class's ref, or to `ActorRef<>`.
  template <class B>
    requires(!std::same_as<A, B> && (std::is_void_v<A> || std::is_base_of_v<A, B>))
  ActorRef(const ActorRef<B>& other) noexcept : cell_(other.cell_) {}  // NOLINT(google-explicit-constructor)

  /// False for an empty (default-constructed) ref. A valid ref may point at a dead actor: see is_alive().
  bool valid() const noexcept { return cell_ != nullptr; }

  /// True while the actor accepts messages (false once its stop or failure has begun).
  bool is_alive() const noexcept { return cell_ && cell_->is_alive(); }

  /// The actor's unique id, `urn:uuid:<uuid4>` (empty for an empty ref); the view stays valid as long as some
  /// ref to the actor exists.
  std::string_view urn() const noexcept { return cell_ ? cell_->urn() : std::string_view{}; }

  /// Sends `message` without waiting. Never blocks. Throws ActorDeadError("<Type> (<urn>) not found")
  /// when the actor is dead. If the handler throws, the actor fails: it is stopped and on_failure runs.
  /// A full bounded mailbox (see MailboxOptions) throws MailboxFull, or drops the message under
  /// OnFull::drop_newest.
  template <class M>
  void tell(M&& message) const {
    auto& cell = checked();  // before the envelope exists: an empty ref must not leak it
    detail::send_tell(cell, new detail::TellEnvelope(Message(std::forward<M>(message))));
  }

  /// tell() that sheds load: false when a bounded mailbox is full (the message is destroyed). Never throws
  /// MailboxFull; ActorDeadError when the actor is dead.
  template <class M>
  bool try_tell(M&& message) const {
    auto& cell = checked();
    detail::EnvelopePtr envelope(new detail::TellEnvelope(Message(std::forward<M>(message))));
    const auto sent = detail::offer(cell, envelope);
    if (sent == detail::Sent::dead) std::rethrow_exception(detail::not_found_error(cell));
    return sent == detail::Sent::queued;
  }

  /// Tells `message` once the mailbox has room: back-pressure without a blocked thread. Completes `token` (any
  /// Asio completion token) with `void(std::exception_ptr)` once the message is queued (null), or with
  /// ActorDeadError when the actor is or dies dead first. Senders that wait are admitted in the order they began
  /// to wait, and a new async_tell queues behind them. Cancelling through the token's cancellation slot while it
  /// waits ends it with asio::error::operation_aborted (as a std::system_error) and the message is destroyed,
  /// never queued. On an unbounded mailbox it is a tell that completes at once. The message is sent when the
  /// operation is initiated (see ask with a token).
  template <class M, class CompletionToken>
  auto async_tell(M&& message, CompletionToken&& token) const {
    detail::reject_redirect_error<std::decay_t<CompletionToken>>();
    return asio::async_initiate<CompletionToken, void(std::exception_ptr)>(
        [](auto handler, std::shared_ptr<detail::ActorCell> cell, Message send) {
          detail::RoomWaitOp<decltype(handler), detail::CompleteWithError>::start(
              std::move(cell), detail::EnvelopePtr(new detail::TellEnvelope(std::move(send))), std::move(handler),
              detail::CompleteWithError{});
        },
        token, checked_ref().cell_, Message(std::forward<M>(message)));
  }

  /// Tells `message` after `delay` (zero or negative: at the next tick), from anywhere. The returned Cancellation
  /// prevents the delivery while it has not begun. Throws ActorDeadError now when the actor is dead; when it
  /// dies before the delivery, the message is dropped (never an exception on an io thread).
  template <class M>
  Cancellation tell_after(Clock::duration delay, M&& message) const {
    auto& cell = checked();
    return detail::tell_after(cell, delay, Message(std::forward<M>(message)));
  }

  /// Sends `message` now and returns the future reply. The handler's return value completes the future when
  /// it is an `R`, or a number whose every value is exactly an `R`: an integer to an integer with at least as
  /// many value bits, never signed to unsigned (`int` to `long`, `unsigned` to `long long`); an integer to a
  /// floating-point type with at least as many mantissa bits (`int` to `double`, not to `float`); a
  /// floating-point type to a wider one (`float` to `double`). bool and characters are not numbers here.
  /// Any other reply fails the future with BadReplyType naming both types (`ask<int>` of a `long`, `ask<bool>`
  /// of an `int`). If the handler throws, the future fails with that exception and the actor lives on. On a
  /// dead actor the future fails with ActorDeadError.
  /// `R = Message` gives the reply as it is; `R = void` ignores it. A C string (`"pong"`) arrives as a
  /// std::string, so `ask<const char*>` fails to compile.
  template <class R = Message, class M>
  Future<R> ask(M&& message) const {
    static_assert(!detail::is_c_string<R>,
                  "cokka::ActorRef::ask<R>: a C-string reply arrives as a std::string, so ask<std::string>");
    auto& cell = checked();
    Promise<R> promise(detail::ProducerKey{}, cell);
    auto future = promise.get_future();
    detail::try_enqueue(cell, new detail::AskEnvelope<R>(Message(std::forward<M>(message)), std::move(promise)));
    return future;
  }

  /// Sends `message` and blocks for the reply for at most `timeout` (throws Timeout; the message is still
  /// handled later). Same failure rules as ask(message).
  template <class R = Message, class M, class Rep, class Period>
  R ask(M&& message, std::chrono::duration<Rep, Period> timeout) const {
    return ask<R>(std::forward<M>(message)).get(timeout);
  }

  /// Sends `message` and completes `token` (any Asio completion token: asio::use_awaitable, asio::use_future,
  /// a callback `void(std::exception_ptr, R)`, ...) with the reply, on the token's executor. The message is
  /// sent when the operation is initiated, as Asio's operations start: at once for a callback or use_future,
  /// when first awaited for use_awaitable, when invoked for deferred; never if a lazy operation is dropped.
  /// Failures arrive as the exception_ptr (thrown by use_awaitable); to look at them without a try block use
  /// `asio::experimental::as_tuple(asio::use_awaitable)`. `asio::redirect_error` fails to compile (see
  /// Future::async_wait).
  template <class R = Message, class M, class CompletionToken>
    requires(!detail::is_duration<std::decay_t<CompletionToken>>)
  auto ask(M&& message, CompletionToken&& token) const {
    return reply_operation<R>(std::forward<M>(message), std::forward<CompletionToken>(token),
                              [](auto handler, const ActorRef& target, Message send) {
                                target.ask<R>(std::move(send)).async_wait(std::move(handler));
                              });
  }

  /// ask(message, token) that waits for room in a full bounded mailbox instead of failing with MailboxFull,
  /// like async_tell; then completes `token` with the reply as ask(message, token) does. A cancellation while it
  /// waits for room fails it with operation_aborted and the message is never queued; once queued, a cancellation
  /// ends only the wait for the reply.
  template <class R = Message, class M, class CompletionToken>
  auto async_ask(M&& message, CompletionToken&& token) const {
    static_assert(!detail::is_c_string<R>,
                  "cokka::ActorRef::async_ask<R>: a C-string reply arrives as a std::string, so async_ask<std::string>");
    return reply_operation<R>(std::forward<M>(message), std::forward<CompletionToken>(token),
                              [](auto handler, const ActorRef& target, Message send) {
                                Promise<R> promise(detail::ProducerKey{}, *target.cell_);
                                detail::WaitForReply<R> then{promise.get_future()};
                                detail::EnvelopePtr envelope(
                                    new detail::AskEnvelope<R>(std::move(send), std::move(promise)));
                                detail::RoomWaitOp<decltype(handler), detail::WaitForReply<R>>::start(
                                    target.cell_, std::move(envelope), std::move(handler), std::move(then));
                              });
  }

  /// A stop through the control lane: the actor stops before any message still queued (it finishes the one it
  /// handles; on_stop runs). Queued asks then fail with ActorDeadError and queued tells are dropped (counted in
  /// debug::ActorSnapshot::dropped). Returns what stop_async() returns.
  Future<bool> stop_now() const { return detail::send_stop(checked(), false, /*control=*/true); }

  /// Queues a stop behind the messages already waiting and returns a future that becomes `true` once the
  /// actor is dead (on_stop has run), or is `false` at once when the actor was already dead. Never fails.
  Future<bool> stop_async() const { return detail::send_stop(checked()); }

  /// stop_async(), then waits: true when the actor was alive (or already stopping) and is now dead,
  /// false when it was already dead. Never throws ActorDeadError. Not for use inside the actor itself
  /// (that throws BlockingCallInActor; an actor stops itself with `stop()` from Actor).
  bool stop() const { return stop_async().get(); }

  /// Like stop(), but throws Timeout after `timeout`; the actor still stops later.
  template <class Rep, class Period>
  bool stop(std::chrono::duration<Rep, Period> timeout) const {
    return stop_async().get(timeout);
  }

  /// Completes `token` once the actor has ended for good (stopped, failed, or given up restarting; at once when
  /// it has), with `void(std::error_code, std::exception_ptr)`: the exception that ended it, null after a clean
  /// stop. Any completion token (`std::exception_ptr why = co_await ref.async_wait_stopped(asio::use_awaitable)`);
  /// cancelling through the token's cancellation slot ends only this wait, with asio::error::operation_aborted.
  /// A handler without an executor of its own runs on asio::system_executor.
  template <class CompletionToken>
  auto async_wait_stopped(CompletionToken&& token) const {
    return asio::async_initiate<CompletionToken, void(std::error_code, std::exception_ptr)>(
        [](auto handler, std::shared_ptr<detail::ActorCell> cell) {
          detail::DeathWaitOp<std::decay_t<decltype(handler)>>::start(std::move(cell), std::move(handler));
        },
        token, checked_ref().cell_);
  }

  /// Blocks until the actor has ended for good and returns what ended it (null after a clean stop). Throws
  /// BlockingCallInActor inside an actor's code (co_await async_wait_stopped there) while it has not ended.
  std::exception_ptr wait_stopped() const { return detail::wait_stopped(checked(), std::nullopt); }

  /// Like wait_stopped(), but throws Timeout after `timeout` (the actor runs on).
  template <class Rep, class Period>
  std::exception_ptr wait_stopped(std::chrono::duration<Rep, Period> timeout) const {
    return detail::wait_stopped(checked(), std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
  }

  /// A proxy that mirrors A's registered members (see cokka/proxy.hpp). Throws ActorDeadError when dead.
  Proxy<A> proxy() const
    requires(!std::is_void_v<A>);

  /// Refs are equal when they point at the same actor.
  template <class B>
  friend bool operator==(const ActorRef& a, const ActorRef<B>& b) noexcept {
    return a.cell_ == b.cell();
  }

  /// "<Type> (<urn>)", Pykka's way to print an actor ("(no actor)" for an empty ref).
  friend std::string to_string(const ActorRef& ref) { return ref.cell_ ? ref.cell_->description() : "(no actor)"; }

  /// @cond COKKA_INTERNAL
  /// The runtime cell (for cokka's own detail code).
  const std::shared_ptr<detail::ActorCell>& cell() const noexcept { return cell_; }

  /// Wraps a cell; used by System::start and the registry.
  explicit ActorRef(std::shared_ptr<detail::ActorCell> cell) noexcept : cell_(std::move(cell)) {}
  /// @endcond

private:
  template <class>
  friend class ActorRef;

  // An Asio operation completing `token` with an R reply: `start(handler, *this, message)` sends and waits.
  // use_awaitable of an R without a default constructor unwraps the std::optional<R> the wait gives.
  template <class R, class M, class CompletionToken, class Start>
  auto reply_operation(M&& message, CompletionToken&& token, Start start) const {
    detail::reject_redirect_error<std::decay_t<CompletionToken>>();
    auto initiate = [this, start](auto&& wait_token, Message boxed) {
      return asio::async_initiate<decltype(wait_token), typename detail::WaitSignature<R>::type>(
          start, wait_token, checked_ref(), std::move(boxed));
    };
    if constexpr (detail::unwraps_wait<R, std::decay_t<CompletionToken>>)
      return detail::unwrap_wait(initiate(std::forward<CompletionToken>(token), Message(std::forward<M>(message))));
    else
      return initiate(std::forward<CompletionToken>(token), Message(std::forward<M>(message)));
  }

  detail::ActorCell& checked() const { return *checked_ref().cell_; }
  const ActorRef& checked_ref() const {
    if (!cell_) throw InvalidState("cokka::ActorRef: this ref is empty (default-constructed)");
    return *this;
  }

  std::shared_ptr<detail::ActorCell> cell_;
};

}  // namespace cokka

/// Hashes an ActorRef by actor identity, consistently with its operator==.
template <class A>
struct std::hash<cokka::ActorRef<A>> {
  /// The hash of the actor `ref` points at (refs of different types to one actor hash alike).
  std::size_t operator()(const cokka::ActorRef<A>& ref) const noexcept {
    return std::hash<const void*>{}(ref.cell().get());
  }
};
