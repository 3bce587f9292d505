#pragma once

#include <cokka/detail/future_source.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/defer.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/prefer.hpp>
#include <asio/redirect_error.hpp>
#include <asio/system_error.hpp>
#include <asio/system_executor.hpp>
#include <asio/use_awaitable.hpp>

#include <coroutine>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>

namespace cokka::detail {

template <class Token>
inline constexpr bool is_redirect_error = false;
template <class Token>
inline constexpr bool is_redirect_error<asio::redirect_error_t<Token>> = true;

template <class Token>
inline constexpr bool is_use_awaitable = false;
template <class Executor>
inline constexpr bool is_use_awaitable<asio::use_awaitable_t<Executor>> = true;

/// The value async_wait hands over next to the error: T, or std::optional<T> (empty on error) for a T without a
/// default constructor, because Asio passes a value next to every error and there is no T to pass then.
template <class T>
using WaitValue = std::conditional_t<std::is_default_constructible_v<T>, T, std::optional<T>>;

/// Completion signature of Future<T>::async_wait.
template <class T>
struct WaitSignature {
  using type = void(std::exception_ptr, WaitValue<T>);
};
template <>
struct WaitSignature<void> {
  using type = void(std::exception_ptr);
};

/// The actor whose coroutine handler `executor` resumes, or null. Lets cokka::debug report whose reply an
/// actor awaits (defined in lib/debug.cpp).
ActorCell* awaiting_actor(const asio::any_io_executor& executor) noexcept;
/// Other executors never resume an actor's coroutine handler.
template <class Executor>
ActorCell* awaiting_actor(const Executor&) noexcept {
  return nullptr;
}
/// Records that `awaiting`, in wait `op`, waits for a reply of `producer` (null: not an actor's reply).
void note_await(ActorCell& awaiting, const void* op, const ActorCell* producer) noexcept;
/// Wait `op` of `awaiting` is over (its coroutine resumes next).
void note_resumed(ActorCell& awaiting, const void* op) noexcept;

/// The Asio asynchronous operation behind Future<T>::async_wait and Future<T>::then: waits, without blocking
/// a thread, until every root of `source` is ready, then calls `Deliver::complete(handler, aborted, source)`
/// on the handler's associated executor (asio::system_executor for a plain callback).
///
/// Rules it keeps: the handler never runs inline inside the initiation or inside the thread that completes a
/// root; it is queued with asio::defer (a continuation: when the completing thread runs that executor, the
/// handler runs there next instead of waking another thread), with outstanding work tracked on its executor
/// meanwhile. A cancellation slot that fires while roots are pending ends the wait with
/// asio::error::operation_aborted (as a std::system_error in the exception_ptr); the futures and the actors
/// are not affected and a late reply is simply dropped.
/// The op waits on one root at a time; `mutex_` orders root completions against cancellation (lock order:
/// op, then state; a state never calls on_ready under its own lock).
template <class T, class Handler, class Deliver>
class AsyncWaitOp final : public FutureWaiter {
public:
  static void start(FutureSource<T> source, Handler handler) {
    auto* op = new AsyncWaitOp(std::move(source), std::move(handler));
    auto slot = asio::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected()) {
      op->slot_ = slot;
      slot.template emplace<CancelHandler>(op);
    }
    op->awaiting_ = awaiting_actor(asio::get_associated_executor(op->handler_));
    std::unique_lock lock(op->mutex_);
    if (op->register_from(0)) return;  // from here on, a root completion may finish and free the op
    lock.unlock();
    op->post_completion(nullptr);
  }

  void on_ready() noexcept override {
    std::unique_lock lock(mutex_);
    if (!cancelled_ && register_from(next_ + 1)) return;
    const bool aborted = std::exchange(cancelled_, false);
    next_ = source_.root_count();
    lock.unlock();
    post_completion(aborted ? operation_aborted() : nullptr);
  }

private:
  struct CancelHandler {
    explicit CancelHandler(AsyncWaitOp* waiting) noexcept : op(waiting) {}
    AsyncWaitOp* op;
    void operator()(asio::cancellation_type type) const {
      if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                   asio::cancellation_type::total)) != asio::cancellation_type::none)
        op->cancel();
    }
  };

  AsyncWaitOp(FutureSource<T> source, Handler handler)
      : source_(std::move(source)),
        handler_(std::move(handler)),
        work_(asio::prefer(asio::get_associated_executor(handler_, asio::system_executor()),
                           asio::execution::outstanding_work.tracked)) {}

  static std::exception_ptr operation_aborted() {
    return std::make_exception_ptr(asio::system_error(asio::error::operation_aborted));
  }

  // With mutex_ held: waits on the first root from `first` on that is not ready; false when all are ready.
  bool register_from(std::size_t first) {
    for (next_ = first; next_ < source_.root_count(); ++next_) {
      if (awaiting_) note_await(*awaiting_, this, source_.root(next_).producer());
      if (source_.root(next_).add_waiter(*this)) return true;
    }
    return false;
  }

  void cancel() {
    std::unique_lock lock(mutex_);
    if (next_ >= source_.root_count()) return;  // completion already posted
    if (!source_.root(next_).remove_waiter(*this)) {
      cancelled_ = true;  // that root's on_ready is on its way and finishes the wait as aborted
      return;
    }
    next_ = source_.root_count();
    lock.unlock();
    post_completion(operation_aborted());
  }

  // The posted function owns the op: an executor destroyed without running it destroys the op and its
  // handler (so a then() continuation's promise breaks) instead of leaking them.
  void post_completion(std::exception_ptr aborted) noexcept {
    auto executor = work_;
    asio::defer(executor, [op = std::unique_ptr<AsyncWaitOp>(this), aborted = std::move(aborted)]() mutable {
      finish(std::move(op), std::move(aborted));
    });
  }

  // Runs on the handler's executor, where the cancellation slot may be touched.
  static void finish(std::unique_ptr<AsyncWaitOp> op, std::exception_ptr aborted) {
    if (op->slot_.is_connected()) op->slot_.clear();
    if (op->awaiting_) note_resumed(*op->awaiting_, op.get());
    Handler handler = std::move(op->handler_);
    FutureSource<T> source = std::move(op->source_);
    op.reset();
    Deliver::complete(std::move(handler), std::move(aborted), source);
  }

  using WorkExecutor = std::decay_t<decltype(asio::prefer(
      std::declval<asio::associated_executor_t<Handler, asio::system_executor>>(),
      asio::execution::outstanding_work.tracked))>;

  FutureSource<T> source_;
  Handler handler_;
  WorkExecutor work_;
  asio::cancellation_slot slot_;
  std::mutex mutex_;
  std::size_t next_ = 0;  // the root waited on now; root_count() once completion is posted
  bool cancelled_ = false;
  ActorCell* awaiting_ = nullptr;  // alive while this op is: the op holds its coroutine, which holds the cell
};

/// Deliver policy of async_wait: the handler gets `(error, value)`, computing a derived value first (on the
/// handler's executor).
template <class T>
struct DeliverValue {
  template <class Handler>
  static void complete(Handler handler, std::exception_ptr aborted, const FutureSource<T>& source) {
    if constexpr (std::is_void_v<T>) {
      if (!aborted) {
        try {
          source.settle().value();
        } catch (...) {
          aborted = std::current_exception();
        }
      }
      std::move(handler)(aborted);
    } else {
      if (aborted) return std::move(handler)(aborted, WaitValue<T>{});
      std::optional<T> value;
      try {
        value.emplace(source.settle().value());
      } catch (...) {
        return std::move(handler)(std::current_exception(), WaitValue<T>{});
      }
      std::move(handler)(std::exception_ptr{}, WaitValue<T>(std::move(*value)));
    }
  }
};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// g++ 12 flags the coroutine frame of a template instantiated with a type from an anonymous namespace, as if
// the frame were a class with external linkage (it is not visible outside the translation unit either).
#pragma GCC diagnostic ignored "-Wsubobject-linkage"
#endif
/// `co_await fut.async_wait(asio::use_awaitable)` for a T without a default constructor: awaits the
/// std::optional<T> the operation completes with and gives the T. Never empty there: an error throws first.
template <class T, class Executor>
asio::awaitable<T, Executor> unwrap_wait(asio::awaitable<std::optional<T>, Executor> waiting) {
  std::optional<T> value = co_await std::move(waiting);
  co_return std::move(*value);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// `co_await future` for coroutine types without a restrictive await_transform. Waits on the roots one at a
/// time; the coroutine resumes on the thread that completes the last one and computes a derived value there.
template <class T>
class FutureAwaiter final : public FutureWaiter {
public:
  explicit FutureAwaiter(FutureSource<T> source) : source_(std::move(source)) {}

  bool await_ready() const noexcept { return source_.ready(); }
  bool await_suspend(std::coroutine_handle<> handle) {
    continuation_ = handle;
    return register_from(0);
  }
  decltype(auto) await_resume() { return source_.settle().value(); }

  void on_ready() noexcept override {
    if (!register_from(next_ + 1)) continuation_.resume();
  }

private:
  // `next_` is written before add_waiter publishes this waiter to a completing thread.
  bool register_from(std::size_t first) {
    for (next_ = first; next_ < source_.root_count(); ++next_)
      if (source_.root(next_).add_waiter(*this)) return true;
    return false;
  }

  FutureSource<T> source_;
  std::coroutine_handle<> continuation_;
  std::size_t next_ = 0;
};

}  // namespace cokka::detail
