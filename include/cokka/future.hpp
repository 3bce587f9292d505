/// @file
/// cokka::Future<T>: the result of an `ask` or a proxy call, to block on, co_await, or pass to Asio.
#pragma once

#include <cokka/detail/async_wait.hpp>
#include <cokka/detail/future_state.hpp>
#include <cokka/errors.hpp>

#include <asio/async_result.hpp>

#include <chrono>
#include <coroutine>
#include <memory>
#include <string>

namespace cokka {

template <class T>
class Promise;

/// A value of type T (or an exception) that becomes available later. `T` may be `void`.
///
/// Futures are cheap to copy; all copies share one result. Every member may be called from any thread, any
/// number of times, also concurrently: a stored exception is rethrown by each `get()`. A move-only `T` can be
/// taken out only once (a second `get()` throws InvalidState).
template <class T>
class Future {
public:
  using value_type = T;

  /// An invalid future (`valid()` is false); waiting on it throws InvalidState.
  Future() = default;

  /// True when this future has a shared state (it came from a Promise, an ask, or a proxy call).
  bool valid() const noexcept { return state_ != nullptr; }

  /// True once the value or exception is there; `get()` will not block.
  bool ready() const { return checked().ready(); }

  /// Blocks until the result is there and returns it, or rethrows the stored exception.
  /// Throws BlockingCallInActor when called on an unfinished future from inside an actor's handler.
  T get() const {
    checked().wait();
    return state_->value();
  }

  /// Like get(), but throws Timeout when no result arrives within `timeout`. The future stays usable:
  /// a later get() may still return the late result.
  template <class Rep, class Period>
  T get(std::chrono::duration<Rep, Period> timeout) const {
    if (!checked().wait_until(std::chrono::steady_clock::now() + timeout))
      throw Timeout("cokka::Future: no result within " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) + " ms");
    return state_->value();
  }

  /// Waits without blocking a thread, as an Asio asynchronous operation with completion signature
  /// `void(std::exception_ptr, T)` (`void(std::exception_ptr)` for `Future<void>`): works with
  /// `asio::use_awaitable`, `asio::use_future`, `asio::experimental::as_tuple(...)` and callbacks.
  /// The handler runs on its associated executor (a coroutine resumes on its own executor), never inline.
  /// Cancelling through the handler's cancellation slot ends only this wait, with asio::error::operation_aborted.
  template <class CompletionToken>
  auto async_wait(CompletionToken&& token) const {
    return asio::async_initiate<CompletionToken, signature>(
        [](auto handler, std::shared_ptr<detail::FutureState<T>> state) {
          detail::AsyncWaitOp<T, std::decay_t<decltype(handler)>>::start(std::move(state), std::move(handler));
        },
        token, state_ptr());
  }

  /// `co_await fut` in coroutine types that accept any awaiter. The coroutine resumes on the thread that
  /// completes the future; inside `asio::awaitable` use `co_await fut.async_wait(asio::use_awaitable)`.
  auto operator co_await() const {
    struct Awaiter final : detail::FutureWaiter {
      explicit Awaiter(std::shared_ptr<detail::FutureState<T>> s) : state(std::move(s)) {}
      std::shared_ptr<detail::FutureState<T>> state;
      std::coroutine_handle<> continuation;
      bool await_ready() const noexcept { return state->ready(); }
      bool await_suspend(std::coroutine_handle<> handle) {
        continuation = handle;
        return state->add_waiter(*this);
      }
      T await_resume() { return state->value(); }
      void on_ready() noexcept override { continuation.resume(); }
    };
    return Awaiter(state_ptr());
  }

  friend bool operator==(const Future& a, const Future& b) noexcept { return a.state_ == b.state_; }

private:
  using signature = typename detail::WaitSignature<T>::type;

  friend class Promise<T>;
  template <class>
  friend class Future;
  explicit Future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}

  detail::FutureState<T>& checked() const {
    if (!state_) throw InvalidState("cokka::Future: this future is empty (default-constructed or moved from)");
    return *state_;
  }
  std::shared_ptr<detail::FutureState<T>> state_ptr() const {
    checked();
    return state_;
  }

  std::shared_ptr<detail::FutureState<T>> state_;
};

}  // namespace cokka
