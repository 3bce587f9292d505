/// @file
/// cokka::Future<T>: the result of an `ask` or a proxy call, to block on, co_await, pass to Asio, or compose.
#pragma once

#include <cokka/detail/async_wait.hpp>
#include <cokka/detail/future_source.hpp>
#include <cokka/errors.hpp>

#include <asio/async_result.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace cokka {

template <class T>
class Promise;

namespace detail {
struct FutureAccess;
}  // namespace detail

/// A value of type T (or an exception) that becomes available later. `T` may be `void`.
///
/// Futures are cheap to copy; all copies share one result. Every member may be called from any thread, any
/// number of times, also concurrently: a stored exception is rethrown by each `get()`. A move-only `T` can be
/// taken out only once (a second `get()` throws InvalidState).
///
/// **Derived futures** (`map`, `filter`, `reduce`, `cokka::join`) are lazy: their function runs when somebody
/// first reads them (get, async_wait, co_await, then) and the replies they derive from have arrived, in that
/// reader's context (its thread, or its completion handler's executor). Exactly one thread computes; readers
/// arriving meanwhile wait for that same result, which is then cached. A computation that throws is not cached:
/// that read throws, and the next read runs the function again. So a function may run more than once only
/// when it threw. A failed source is passed on without calling the function. A future whose value is itself a
/// Future is never flattened: `map` returning `Future<int>` gives `Future<Future<int>>`.
template <class T>
class Future {
public:
  /// The type of the result (`void` for a future that only signals completion).
  using value_type = T;

  /// An invalid future (`valid()` is false); waiting on it throws InvalidState.
  Future() = default;

  /// True when this future has a shared state (it came from a Promise, an ask, a proxy call or composition).
  bool valid() const noexcept { return source_.valid(); }

  /// True once the value or exception is there, so `get()` will not wait for anybody's reply (a derived
  /// future may still run its function inside `get()`). Throws InvalidState on an invalid future.
  bool ready() const { return checked().ready(); }

  /// Blocks until the result is there and returns it, or rethrows the stored exception (or the exception of a
  /// derived future's function). Throws BlockingCallInActor when called on an unfinished future from inside an
  /// actor's handler.
  T get() const {
    const auto& source = checked();
    source.wait();
    return source.settle().value();
  }

  /// Like get(), but throws Timeout when no result arrives within `timeout`. The future stays usable:
  /// a later get() may still return the late result. The timeout bounds the wait for replies, not a derived
  /// future's own computation.
  template <class Rep, class Period>
  T get(std::chrono::duration<Rep, Period> timeout) const {
    const auto& source = checked();
    if (!source.wait_until(std::chrono::steady_clock::now() + timeout))
      throw Timeout("cokka::Future: no result within " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) + " ms");
    return source.settle().value();
  }

  /// Waits without blocking a thread, as an Asio asynchronous operation with completion signature
  /// `void(std::exception_ptr, T)` (`void(std::exception_ptr)` for `Future<void>`): works with
  /// `asio::use_awaitable`, `asio::use_future`, `asio::experimental::as_tuple(...)` and callbacks.
  /// The handler runs on its associated executor (a coroutine resumes on its own executor), never inline.
  /// Cancelling through the handler's cancellation slot ends only this wait, with asio::error::operation_aborted.
  /// For a `T` without a default constructor the signature is `void(std::exception_ptr, std::optional<T>)`,
  /// the optional empty on error (Asio passes a value next to every error); `asio::use_awaitable` still gives
  /// the `T` itself, since an error throws there instead.
  /// `asio::redirect_error` fails to compile: it only redirects an error_code, so the exception would still
  /// be thrown; `asio::experimental::as_tuple(asio::use_awaitable)` gives `std::tuple<std::exception_ptr, T>`.
  template <class CompletionToken>
  auto async_wait(CompletionToken&& token) const {
    detail::reject_redirect_error<std::decay_t<CompletionToken>>();
    if constexpr (detail::unwraps_wait<T, std::decay_t<CompletionToken>>)
      return detail::unwrap_wait(initiate_wait(std::forward<CompletionToken>(token)));
    else
      return initiate_wait(std::forward<CompletionToken>(token));
  }

  /// `co_await fut` in coroutine types that accept any awaiter. The coroutine resumes on the thread that
  /// completes the future; inside `asio::awaitable` use `co_await fut.async_wait(asio::use_awaitable)`.
  auto operator co_await() const { return detail::FutureAwaiter<T>(checked()); }

  /// Runs `f(ready_future)` on `executor` once this future is ready, and returns a Future of its result
  /// (`Future<void>` when f returns void). `f` receives this future, ready, so `get()` inside it does not
  /// wait and rethrows a failure; an exception thrown by `f` fails the returned future. Eager: runs once
  /// per call, whoever reads the result. Keeps the executor's context busy (outstanding work) until then;
  /// if the executor is destroyed without running f, the returned future fails with BrokenPromise.
  template <class Executor, class F>
  auto then(const Executor& executor, F&& f) const;

  /// A derived future of `f(value)` (`f()` for Future<void>), computed lazily and once (see the class notes).
  /// A failure of this future is passed on without calling `f`.
  template <class F>
  auto map(F&& f) const;

  /// For a future of a range (any container or view): a derived `Future<std::vector<E>>` (E the element
  /// type) of the elements for which `pred(const E&)` is true, in order.
  template <class Pred>
  auto filter(Pred&& pred) const;

  /// For a future of a non-empty range: a derived `Future<E>` of `f(...f(f(e0, e1), e2)..., en)`.
  /// On an empty range the derived future fails with InvalidState: pass an initial value instead.
  template <class F>
  auto reduce(F&& f) const;

  /// For a future of a range: a derived `Future<I>` (I = the decayed type of `init`) of
  /// `f(...f(f(init, e0), e1)..., en)`; `init` itself for an empty range. `init` is copied for each computation.
  template <class F, class Init>
  auto reduce(F&& f, Init&& init) const;

  /// Futures are equal when they share one result.
  friend bool operator==(const Future& a, const Future& b) noexcept { return a.source_ == b.source_; }

private:
  using signature = typename detail::WaitSignature<T>::type;

  template <class CompletionToken>
  auto initiate_wait(CompletionToken&& token) const {
    return asio::async_initiate<CompletionToken, signature>(
        [](auto handler, detail::FutureSource<T> source) {
          using Handler = std::decay_t<decltype(handler)>;
          detail::AsyncWaitOp<T, Handler, detail::DeliverValue<T>>::start(std::move(source), std::move(handler));
        },
        token, checked());
  }

  friend class Promise<T>;
  friend struct detail::FutureAccess;
  explicit Future(std::shared_ptr<detail::FutureState<T>> state) : source_{std::move(state), nullptr} {}
  explicit Future(detail::FutureSource<T> source) : source_(std::move(source)) {}

  const detail::FutureSource<T>& checked() const {
    if (!source_.valid()) throw InvalidState("cokka::Future: this future is empty (default-constructed or moved from)");
    return source_;
  }

  detail::FutureSource<T> source_;
};

/// A derived `Future<std::tuple<T1, T2, ...>>` of all the futures' values (std::monostate for a Future<void>),
/// computed lazily and once. It is ready when every input is; if some failed, it fails with the first failure
/// in argument order. Throws InvalidState now if a future is invalid.
template <class... Ts>
auto join(const Future<Ts>&... futures);

/// Blocks until every future in `futures` (any range of `Future<T>`) has its result and returns the values in
/// order (nothing for Future<void>); rethrows the first failure in range order. Throws Timeout when they are not
/// all there within `timeout`: one deadline shared by all of them, not a timeout per future.
/// Throws BlockingCallInActor inside an actor's handler (co_await each future there instead).
template <class Range, class Rep, class Period>
auto get_all(const Range& futures, std::chrono::duration<Rep, Period> timeout);

/// get_all(futures, timeout) without a deadline.
template <class Range>
auto get_all(const Range& futures);

}  // namespace cokka

#include <cokka/detail/future_compose.hpp>
