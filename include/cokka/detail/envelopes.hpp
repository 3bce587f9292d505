#pragma once

#include <cokka/detail/actor_base.hpp>
#include <cokka/detail/cell.hpp>
#include <cokka/detail/envelope.hpp>
#include <cokka/detail/mailbox_bound.hpp>
#include <cokka/detail/number_reply.hpp>
#include <cokka/promise.hpp>

#include <exception>
#include <string>
#include <utility>

namespace cokka::detail {

/// ActorDeadError("<Type> (<urn>) not found"), for sends to a dead actor.
std::exception_ptr not_found_error(const ActorCell& cell);
/// ActorDeadError("<Type> (<urn>) stopped before handling the message"), for envelopes a dead actor drops.
std::exception_ptr stopped_before_handling_error(const ActorCell& cell);
/// BadReplyType naming the wanted and the received type.
std::exception_ptr bad_reply_error(const std::string& wanted, const Message& reply);

/// Completes `promise` from a handler's outcome, converting the boxed reply to R: an R, or a number that
/// converts to R without loss (number_reply.hpp); anything else fails with BadReplyType.
template <class R>
void fulfil(Promise<R>& promise, std::exception_ptr error, Message&& reply) noexcept {
  try {
    if (error) return promise.set_exception(std::move(error));
    if constexpr (std::is_void_v<R>)
      promise.set_value();
    else if constexpr (std::is_same_v<R, Message>)
      promise.set_value(std::move(reply));
    else if (R* value = reply.get_if<R>())
      promise.set_value(std::move(*value));
    else if (!set_lossless_number(promise, reply))
      promise.set_exception(bad_reply_error(type_name<R>(), reply));
  } catch (...) {  // the value's move constructor threw: the asker gets that exception
    promise.set_exception(std::current_exception());
  }
}

/// A message for on_receive. Tell: no reply.
class TellEnvelope final : public Envelope {
public:
  explicit TellEnvelope(Message message) noexcept : Envelope(Kind::tell), message_(std::move(message)) {}
  HandlerResult run(ActorBase& actor) override;
  const char* describe() const noexcept override { return message_.type_name().c_str(); }

private:
  Message message_;
};

/// A message for on_receive whose reply (or exception) completes a Promise<R>.
template <class R>
class AskEnvelope final : public Envelope {
public:
  AskEnvelope(Message message, Promise<R> promise) noexcept
      : Envelope(Kind::ask), message_(std::move(message)), promise_(std::move(promise)) {}
  HandlerResult run(ActorBase& actor) override { return receive(actor, message_); }
  void complete(std::exception_ptr error, Message reply) noexcept override {
    fulfil(promise_, std::move(error), std::move(reply));
  }
  void abandon(const ActorCell& cell) noexcept override {
    promise_.set_exception(stopped_before_handling_error(cell));
  }
  void reject(const ActorCell& cell) noexcept override { promise_.set_exception(not_found_error(cell)); }
  const char* describe() const noexcept override { return message_.type_name().c_str(); }

private:
  Message message_;
  Promise<R> promise_;
};

/// The poison pill. Resolves true once the actor is dead (also when it was already stopping).
class StopEnvelope final : public Envelope {
public:
  /// `control`: stop_now's pill, ahead of the queued messages.
  StopEnvelope(Promise<bool> promise, bool control) noexcept
      : Envelope(Kind::stop, control), promise_(std::move(promise)) {}
  void abandon(const ActorCell&) noexcept override { promise_.set_value(true); }
  void reject(const ActorCell&) noexcept override { promise_.set_value(false); }
  const char* describe() const noexcept override { return "stop"; }

private:
  Promise<bool> promise_;
};

/// Runs on_start before any message.
class StartEnvelope final : public Envelope {
public:
  StartEnvelope() noexcept : Envelope(Kind::start) {}
  const char* describe() const noexcept override { return "on_start"; }
};

/// Calls the actor's on_receive (a friend of ActorBase lives in lib).
HandlerResult receive(ActorBase& actor, Message& message);

/// Queues `envelope` unless the actor is dead (rejected, `dead`) or its bounded mailbox has no place for a user
/// message (`full`: the envelope stays with the caller). Control envelopes go to the control lane.
/// `behind_waiters`: full while senders wait for room (async_tell keeps their order). `run_here`: see
/// ActorCell::enqueue.
Sent offer(ActorCell& cell, EnvelopePtr& envelope, bool run_here = false, bool behind_waiters = false) noexcept;

/// offer(), and a full mailbox's rule for what it refused: an ask fails with MailboxFull, a tell is dropped (and
/// counted under OnFull::drop_newest).
Sent send(ActorCell& cell, Envelope* envelope, bool run_here = false) noexcept;

/// send() for callers that treat a full mailbox like a delivery: false only when the actor is dead.
inline bool try_enqueue(ActorCell& cell, Envelope* envelope, bool run_here = false) noexcept {
  return send(cell, envelope, run_here) != Sent::dead;
}

/// send() for a tell: ActorDeadError when the actor is dead, MailboxFull when full under OnFull::fail.
void send_tell(ActorCell& cell, Envelope* envelope);

/// Queues the poison pill (ActorRef::stop_async; `control`: stop_now). `run_here`: see ActorCell::enqueue.
inline Future<bool> send_stop(ActorCell& cell, bool run_here = false, bool control = false) {
  Promise<bool> promise(ProducerKey{}, cell);
  auto future = promise.get_future();
  try_enqueue(cell, new StopEnvelope(std::move(promise), control), run_here);
  return future;
}

}  // namespace cokka::detail
