#pragma once

#include <cokka/detail/future_source.hpp>
#include <cokka/detail/hand_off.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_allocator.hpp>
#include <asio/awaitable.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/defer.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/prefer.hpp>
#include <asio/recycling_allocator.hpp>
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

/// Compiles only for tokens that see cokka's failures (Future::async_wait, ActorRef::ask with a token).
template <class Token>
constexpr void reject_redirect_error() {
  static_assert(!is_redirect_error<Token>,
                "cokka: asio::redirect_error does not catch cokka's failures (they complete with a "
                "std::exception_ptr, not an error_code, so the error_code stays at success and the exception is "
                "still thrown); use asio::experimental::as_tuple(asio::use_awaitable), which gives a "
                "std::tuple<std::exception_ptr, T>");
}

/// True when a wait for a T with `Token` completes with std::optional<T> that use_awaitable unwraps to the T.
template <class T, class Token>
inline constexpr bool unwraps_wait = !std::is_void_v<T> && !std::is_default_constructible_v<T> && is_use_awaitable<Token>;

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
std::shared_ptr<ActorCell> awaiting_actor(const asio::any_io_executor& executor) noexcept;
/// Other executors never resume an actor's coroutine handler.
template <class Executor>
std::shared_ptr<ActorCell> awaiting_actor(const Executor&) noexcept {
  return nullptr;
}
/// Records that `awaiting`, in wait `op`, waits for a reply of `producer` (null: not an actor's reply).
/// Returns a cokka::AskCycle when `producer` awaits, directly or through other actors, `awaiting`'s own reply
/// (nothing is recorded then), else null (defined in lib/ask_cycle.cpp).
std::exception_ptr note_await(const std::shared_ptr<ActorCell>& awaiting, const void* op,
                              const ActorCell* producer) noexcept;
/// Wait `op` of `awaiting` is over: its reply is there (or the wait was cancelled); the coroutine resumes next.
void note_resumed(ActorCell& awaiting, const void* op) noexcept;

/// The Asio asynchronous operation behind Future<T>::async_wait and Future<T>::then: waits, without blocking
/// a thread, until every root of `source` is ready, then calls `Deliver::complete(handler, aborted, source)`
/// on the handler's associated executor (asio::system_executor for a plain callback). When `Deliver::awaits`
/// and that executor is an actor's, the actor is recorded as awaiting each root's producer (cokka::debug), and
/// the wait fails at once with AskCycle when the producer awaits the actor in turn.
///
/// Rules it keeps, as Asio's own operations do:
/// - The handler never runs inline inside the initiation or inside the thread that completes a root; it is
///   queued with asio::defer (a continuation: when the completing thread runs that executor, the handler runs
///   there next instead of waking another thread).
/// - Outstanding work is tracked on the handler's executor while the op waits (the op owns a tracked copy), and
///   released on that executor right before the handler runs: the completing thread posts through an untracked
///   copy, so it never touches the handler's io_context after the handler may have run (its owner may destroy
///   the context as soon as the handler ran).
/// - The op is allocated with the handler's associated allocator (Asio's per-thread recycling allocator when
///   it has none).
/// - A cancellation slot that fires while roots are pending ends the wait with asio::error::operation_aborted
///   (as a std::system_error in the exception_ptr); the futures and the actors are not affected and a late reply
///   is simply dropped.
/// The op waits on one root at a time; `mutex_` orders root completions against cancellation (lock order:
/// op, then state; a state never calls on_ready under its own lock).
template <class T, class Handler, class Deliver>
class AsyncWaitOp final : public FutureWaiter {
public:
  static void start(FutureSource<T> source, Handler handler) {
    Allocator allocator(asio::get_associated_allocator(handler, asio::recycling_allocator<void>()));
    auto* memory = std::allocator_traits<Allocator>::allocate(allocator, 1);
    AsyncWaitOp* op;
    try {
      op = new (memory) AsyncWaitOp(std::move(source), std::move(handler), allocator);
    } catch (...) {
      std::allocator_traits<Allocator>::deallocate(allocator, memory, 1);
      throw;
    }
    auto slot = asio::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected()) {
      op->slot_ = slot;
      slot.template emplace<CancelHandler>(op);
    }
    if constexpr (Deliver::awaits) op->awaiting_ = awaiting_actor(asio::get_associated_executor(op->handler_));
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
  using Allocator = typename std::allocator_traits<
      asio::associated_allocator_t<Handler, asio::recycling_allocator<void>>>::template rebind_alloc<AsyncWaitOp>;

  /// Destroys the op and gives its memory back through its allocator.
  struct Deleter {
    void operator()(AsyncWaitOp* op) const noexcept {
      Allocator allocator(op->allocator_);
      op->~AsyncWaitOp();
      std::allocator_traits<Allocator>::deallocate(allocator, op, 1);
    }
  };
  using Owned = std::unique_ptr<AsyncWaitOp, Deleter>;

  struct CancelHandler {
    explicit CancelHandler(AsyncWaitOp* waiting) noexcept : op(waiting) {}
    AsyncWaitOp* op;
    void operator()(asio::cancellation_type type) const {
      if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                   asio::cancellation_type::total)) != asio::cancellation_type::none)
        op->cancel();
    }
  };

  AsyncWaitOp(FutureSource<T> source, Handler handler, const Allocator& allocator)
      : source_(std::move(source)),
        handler_(std::move(handler)),
        work_(asio::prefer(asio::get_associated_executor(handler_, asio::system_executor()),
                           asio::execution::outstanding_work.tracked)),
        allocator_(allocator) {}

  static std::exception_ptr operation_aborted() {
    return std::make_exception_ptr(asio::system_error(asio::error::operation_aborted));
  }

  // With mutex_ held: waits on the first root from `first` on that is not ready; false when all are ready.
  bool register_from(std::size_t first) {
    for (next_ = first; next_ < source_.root_count(); ++next_) {
      if (awaiting_) {
        // A cycle found on a root that is ready by now is stale: its producer replied, then asked back (it can
        // only have asked after replying), and this wait ends at once. A real cycle's root is never ready.
        if (auto cycle = note_await(awaiting_, this, source_.root(next_).producer());
            cycle && !source_.root(next_).ready()) {
          aborted_ = std::move(cycle);  // handed over by the completion posted next
          next_ = source_.root_count();
          return false;
        }
      }
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

  // The posted completion owns the op: an executor destroyed without running it destroys the op and its
  // handler (so a then() continuation's promise breaks) instead of leaking them. Posted through an untracked
  // copy: the op's own tracked copy keeps the handler's io_context busy until finish() releases it there.
  // The wait ends here, in the thread that completes it, not when the handler runs: an actor that replied
  // and then awaits its asker must not find the asker still recorded as awaiting it (a false ask cycle).
  void post_completion(std::exception_ptr aborted) noexcept {
    if (awaiting_) note_resumed(*awaiting_, this);
    if (aborted) aborted_ = std::move(aborted);
    detail::hand_off(asio::prefer(work_, asio::execution::outstanding_work.untracked), this);
  }

  template <class>
  friend struct HandedOff;
  template <class Op, class Executor>
  friend void hand_off(const Executor& executor, Op* op) noexcept;
  static void run(AsyncWaitOp* op) { finish(Owned(op), std::move(op->aborted_)); }
  static void discard(AsyncWaitOp* op) noexcept { Deleter{}(op); }

  // Runs on the handler's executor, where the cancellation slot may be touched. The op, with its tracked
  // executor, is gone before the handler runs.
  static void finish(Owned op, std::exception_ptr aborted) {
    if (op->slot_.is_connected()) op->slot_.clear();
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
  Allocator allocator_;
  asio::cancellation_slot slot_;
  std::mutex mutex_;
  std::size_t next_ = 0;  // the root waited on now; root_count() once completion is posted
  bool cancelled_ = false;
  std::shared_ptr<ActorCell> awaiting_;  // the actor whose coroutine waits here, if any (debug, ask cycles)
  std::exception_ptr aborted_;           // what the posted completion hands over (or an AskCycle)
  HandOffState hand_off;
};

/// Deliver policy of async_wait: the handler gets `(error, value)`, computing a derived value first (on the
/// handler's executor).
template <class T>
struct DeliverValue {
  /// An actor's handler bound here waits for the value (a then() continuation does not: it is no wait).
  static constexpr bool awaits = true;
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
