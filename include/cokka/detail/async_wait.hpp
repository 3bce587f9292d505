#pragma once

#include <cokka/detail/future_state.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/system_error.hpp>
#include <asio/system_executor.hpp>

#include <memory>

namespace cokka::detail {

/// Completion signature of Future<T>::async_wait.
template <class T>
struct WaitSignature {
  using type = void(std::exception_ptr, T);
};
template <>
struct WaitSignature<void> {
  using type = void(std::exception_ptr);
};

/// The Asio asynchronous operation behind Future<T>::async_wait. Completion signature
/// `void(std::exception_ptr, T)` (`void(std::exception_ptr)` for void).
///
/// Rules it keeps: the handler never runs inline inside async_wait or inside the thread that completes the
/// future; it is posted to the handler's associated executor (asio::system_executor for a plain callback),
/// with outstanding work tracked meanwhile. A cancellation slot that fires before the future is ready ends
/// the wait with asio::error::operation_aborted (as a std::system_error in the exception_ptr); the future and
/// the actor are not affected.
template <class T, class Handler>
class AsyncWaitOp final : public FutureWaiter {
public:
  static void start(std::shared_ptr<FutureState<T>> state, Handler handler) {
    auto* op = new AsyncWaitOp(std::move(state), std::move(handler));
    auto slot = asio::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected()) {
      op->slot_ = slot;
      slot.template emplace<CancelHandler>(op);
    }
    if (!op->state_->add_waiter(*op)) op->on_ready();
  }

  void on_ready() noexcept override { post_completion(nullptr); }

private:
  struct CancelHandler {
    AsyncWaitOp* op;
    void operator()(asio::cancellation_type type) const {
      if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                   asio::cancellation_type::total)) != asio::cancellation_type::none &&
          op->state_->remove_waiter(*op))
        op->post_completion(std::make_exception_ptr(asio::system_error(asio::error::operation_aborted)));
    }
  };

  AsyncWaitOp(std::shared_ptr<FutureState<T>> state, Handler handler)
      : state_(std::move(state)),
        handler_(std::move(handler)),
        work_(asio::prefer(asio::get_associated_executor(handler_, asio::system_executor()),
                           asio::execution::outstanding_work.tracked)) {}

  void post_completion(std::exception_ptr aborted) noexcept {
    auto executor = work_;
    asio::post(executor, [this, aborted = std::move(aborted)]() mutable { finish(std::move(aborted)); });
  }

  // Runs on the handler's executor, where the cancellation slot may be touched.
  void finish(std::exception_ptr aborted) {
    if (slot_.is_connected()) slot_.clear();
    std::unique_ptr<AsyncWaitOp> self(this);
    Handler handler = std::move(handler_);
    auto state = std::move(state_);
    self.reset();
    std::exception_ptr error = aborted ? aborted : state->error();
    if constexpr (std::is_void_v<T>) {
      std::move(handler)(error);
    } else {
      static_assert(std::is_default_constructible_v<T>,
                    "cokka::Future<T>::async_wait needs a default-constructible T (Asio passes a T next to the "
                    "error); use Future<std::optional<T>> or a blocking get()");
      if (error) return std::move(handler)(error, T{});
      std::optional<T> value;
      try {
        value.emplace(state->value());
      } catch (...) {
        return std::move(handler)(std::current_exception(), T{});
      }
      std::move(handler)(std::exception_ptr{}, std::move(*value));
    }
  }

  using WorkExecutor = std::decay_t<decltype(asio::prefer(
      std::declval<asio::associated_executor_t<Handler, asio::system_executor>>(),
      asio::execution::outstanding_work.tracked))>;

  std::shared_ptr<FutureState<T>> state_;
  Handler handler_;
  WorkExecutor work_;
  asio::cancellation_slot slot_;
};

}  // namespace cokka::detail
