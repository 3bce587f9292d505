#pragma once

#include <cokka/detail/cell.hpp>
#include <cokka/detail/death_watch.hpp>
#include <cokka/detail/hand_off.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/prefer.hpp>
#include <asio/system_executor.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <system_error>
#include <type_traits>

namespace cokka::detail {

/// ActorRef::wait_stopped's body: blocks until the actor ended for good (or `timeout` passed: Timeout) and
/// returns what ended it; BlockingCallInActor inside an actor's code while it has not ended.
std::exception_ptr wait_stopped(ActorCell& cell, std::optional<std::chrono::steady_clock::duration> timeout);

/// The Asio operation behind ActorRef::async_wait_stopped: completes `void(std::error_code, std::exception_ptr)`
/// once the actor ended for good (at once when it has), or with operation_aborted through the handler's
/// cancellation slot. Like AsyncWaitOp: on the handler's associated executor (else asio::system_executor), never
/// inline, tracked work released there before the handler runs.
template <class Handler>
class DeathWaitOp final : public DeathWatcher {
public:
  static void start(std::shared_ptr<ActorCell> cell, Handler handler) {
    auto* op = new DeathWaitOp(std::move(cell), std::move(handler));
    auto slot = asio::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected()) {
      op->slot_ = slot;
      slot.template emplace<CancelHandler>(op);
    }
    std::exception_ptr failure;
    if (!op->cell_->death_watchers().add(*op, failure)) op->complete({}, std::move(failure));
  }

  void on_death(const std::exception_ptr& failure) noexcept override { complete({}, failure); }

private:
  struct CancelHandler {
    explicit CancelHandler(DeathWaitOp* waiting) noexcept : op(waiting) {}
    DeathWaitOp* op;
    void operator()(asio::cancellation_type type) const {
      if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                   asio::cancellation_type::total)) != asio::cancellation_type::none &&
          op->cell_->death_watchers().remove(*op))
        op->complete(asio::error::operation_aborted, nullptr);
    }
  };

  DeathWaitOp(std::shared_ptr<ActorCell> cell, Handler handler)
      : cell_(std::move(cell)),
        handler_(std::move(handler)),
        work_(asio::prefer(asio::get_associated_executor(handler_, asio::system_executor()),
                           asio::execution::outstanding_work.tracked)) {}

  void complete(std::error_code error, std::exception_ptr failure) noexcept {
    error_ = error;
    failure_ = std::move(failure);
    detail::hand_off(asio::prefer(work_, asio::execution::outstanding_work.untracked), this);
  }

  template <class>
  friend struct HandedOff;
  template <class Op, class Executor>
  friend void hand_off(const Executor& executor, Op* op) noexcept;
  static void discard(DeathWaitOp* op) noexcept { delete op; }
  static void run(DeathWaitOp* raw) {
    std::unique_ptr<DeathWaitOp> op(raw);
    if (op->slot_.is_connected()) op->slot_.clear();
    Handler handler = std::move(op->handler_);
    const auto error = op->error_;
    auto failure = std::move(op->failure_);
    op.reset();
    std::move(handler)(error, std::move(failure));
  }

  using WorkExecutor = std::decay_t<decltype(asio::prefer(
      std::declval<asio::associated_executor_t<Handler, asio::system_executor>>(),
      asio::execution::outstanding_work.tracked))>;

  std::shared_ptr<ActorCell> cell_;
  Handler handler_;
  WorkExecutor work_;
  asio::cancellation_slot slot_;
  std::error_code error_;
  std::exception_ptr failure_;
  HandOffState hand_off;
};

}  // namespace cokka::detail
