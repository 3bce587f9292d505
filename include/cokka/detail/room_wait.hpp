#pragma once

#include <cokka/detail/async_wait.hpp>
#include <cokka/detail/cell.hpp>
#include <cokka/detail/envelopes.hpp>
#include <cokka/detail/hand_off.hpp>
#include <cokka/detail/mailbox_bound.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/prefer.hpp>
#include <asio/system_error.hpp>
#include <asio/system_executor.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

namespace cokka::detail {

/// async_tell's ending: the handler gets null (queued), ActorDeadError, or operation_aborted.
struct CompleteWithError {
  template <class Handler>
  void operator()(Handler handler, std::exception_ptr error) const {
    std::move(handler)(std::move(error));
  }
};

/// async_ask's ending: the reply's wait. Whatever ended the message without queueing it has failed its future.
template <class R>
struct WaitForReply {
  Future<R> reply;
  template <class Handler>
  void operator()(Handler handler, std::exception_ptr) {
    reply.async_wait(std::move(handler));
  }
};

/// The Asio operation behind async_tell and async_ask: queues the envelope at once when the mailbox has room and
/// no sender waits before it; otherwise waits in the bound's line without holding a thread. Ends, like
/// DeathWaitOp, on the handler's associated executor (else asio::system_executor), never inline, with outstanding
/// work tracked there meanwhile; then `then(handler, error)`. A cancellation (terminal, partial or total)
/// through the handler's slot while it waits takes the message out of the line, never to be queued: a tell is
/// destroyed, an ask's future fails; the error is operation_aborted. An actor coroutine waiting here shows in
/// cokka::debug as "waiting for room in" the target.
template <class Handler, class Then>
class RoomWaitOp final : public MailboxWaiter {
public:
  static void start(std::shared_ptr<ActorCell> cell, EnvelopePtr message, Handler handler, Then then) {
    auto* op = new RoomWaitOp(std::move(cell), std::move(handler), std::move(then));
    auto& target = *op->cell_;
    switch (offer(target, message, false, /*behind_waiters=*/true)) {
      case Sent::queued:
        return op->finish(nullptr);
      case Sent::dead:
        return op->finish(not_found_error(target));
      case Sent::full:
        break;
    }
    op->envelope = std::move(message);
    auto slot = asio::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected()) {
      op->slot_ = slot;
      slot.template emplace<CancelHandler>(op);
    }
    if ((op->sender_ = awaiting_actor(asio::get_associated_executor(op->handler_))))
      op->sender_->begin_await(op->mark(), &target);  // for cokka::debug; a wait for room is no ask (AskCycle)
    target.bound()->wait(target, *op);  // from here on, the op may be finished and gone
  }

  void finish(std::exception_ptr error) noexcept override {
    error_ = std::move(error);
    if (sender_) note_resumed(*sender_, mark());
    detail::hand_off(asio::prefer(work_, asio::execution::outstanding_work.untracked), this);
  }

private:
  struct CancelHandler {
    explicit CancelHandler(RoomWaitOp* waiting) noexcept : op(waiting) {}
    RoomWaitOp* op;
    void operator()(asio::cancellation_type type) const {
      if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                   asio::cancellation_type::total)) == asio::cancellation_type::none ||
          !op->cell_->bound()->cancel(*op))
        return;
      auto aborted = std::make_exception_ptr(asio::system_error(asio::error::operation_aborted));
      op->envelope->complete(aborted, Message{});  // an ask's future fails; a tell is simply destroyed
      op->envelope.reset();
      op->finish(std::move(aborted));
    }
  };

  RoomWaitOp(std::shared_ptr<ActorCell> cell, Handler handler, Then then)
      : cell_(std::move(cell)),
        handler_(std::move(handler)),
        then_(std::move(then)),
        work_(asio::prefer(asio::get_associated_executor(handler_, asio::system_executor()),
                           asio::execution::outstanding_work.tracked)) {}

  /// The wait's mark in the sender's debug record: its address with the low bit set (ActorCell::activity).
  const void* mark() const noexcept {
    return reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(this) | 1);
  }

  template <class>
  friend struct HandedOff;
  template <class Op, class Executor>
  friend void hand_off(const Executor& executor, Op* op) noexcept;
  static void discard(RoomWaitOp* op) noexcept { delete op; }
  static void run(RoomWaitOp* raw) {
    std::unique_ptr<RoomWaitOp> op(raw);
    if (op->slot_.is_connected()) op->slot_.clear();
    Handler handler = std::move(op->handler_);
    Then then = std::move(op->then_);
    auto error = std::move(op->error_);
    op.reset();
    then(std::move(handler), std::move(error));
  }

  using WorkExecutor = std::decay_t<decltype(asio::prefer(
      std::declval<asio::associated_executor_t<Handler, asio::system_executor>>(),
      asio::execution::outstanding_work.tracked))>;

  std::shared_ptr<ActorCell> cell_;  // keeps the bound (and the line this op waits in) alive
  Handler handler_;
  Then then_;
  WorkExecutor work_;
  asio::cancellation_slot slot_;
  std::shared_ptr<ActorCell> sender_;  // an actor whose coroutine waits here, for cokka::debug
  std::exception_ptr error_;
  HandOffState hand_off;
};

}  // namespace cokka::detail
