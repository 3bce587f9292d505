#include "cokka/detail/envelope.hpp"

#include "cokka/detail/actor_model.hpp"
#include "cokka/detail/cell.hpp"
#include "cokka/detail/envelopes.hpp"
#include "dead_letter.hpp"
#include "interceptors.hpp"
#include "log.hpp"
#include "system_state.hpp"

namespace cokka::detail {

// The send time of the metrics fills padding that was there anyway (see Envelope::sent_at); the headers
// pointer is the one word interceptors add to every envelope, null while none is installed.
static_assert(sizeof(Envelope) == 4 * sizeof(void*));
HandlerResult Envelope::run(ActorBase&) { return {}; }
void Envelope::complete(std::exception_ptr, Message) noexcept {}
void Envelope::abandon(const ActorCell&) noexcept {}
void Envelope::reject(const ActorCell&) noexcept {}
const char* Envelope::describe() const noexcept { return "envelope"; }
bool Envelope::accept(ActorCell&) noexcept { return true; }
void Envelope::handled(ActorCell&) {}

HandlerResult TellEnvelope::run(ActorBase& actor) { return receive(actor, message_); }

HandlerResult receive(ActorBase& actor, Message& message) { return actor.cokka_on_receive(message); }

std::exception_ptr not_found_error(const ActorCell& cell) {
  return std::make_exception_ptr(ActorDeadError(cell.description() + " not found"));
}

std::exception_ptr stopped_before_handling_error(const ActorCell& cell) {
  return std::make_exception_ptr(ActorDeadError(cell.description() + " stopped before handling the message"));
}

std::exception_ptr bad_reply_error(const std::string& wanted, const Message& reply) {
  return std::make_exception_ptr(
      BadReplyType("cokka: ask<" + wanted + "> got a reply of type " + reply.type_name()));
}

std::exception_ptr mailbox_full_error(const ActorCell& cell) {
  return std::make_exception_ptr(MailboxFull(
      "cokka: the mailbox of " + cell.description() + " is full (capacity " +
      std::to_string(cell.bound()->capacity()) +
      "): use try_tell to shed load, async_tell / async_ask to wait for room, or a larger capacity"));
}

Sent offer(ActorCell& cell, EnvelopePtr& envelope, bool run_here, bool behind_waiters) noexcept {
  auto phase = cell.phase();
  if (phase == ActorCell::Phase::dead || (phase == ActorCell::Phase::closing && envelope->kind() != Envelope::Kind::stop)) {
    dead_letter(cell, DeadLetterReason::dead_actor, *envelope);
    envelope->reject(cell);
    envelope.reset();
    return Sent::dead;
  }
  if (envelope->control()) {
    cell.enqueue_control(envelope.release());
    return Sent::queued;
  }
  const bool user = envelope->kind() == Envelope::Kind::tell || envelope->kind() == Envelope::Kind::ask;
  if (user && cell.intercepted()) [[unlikely]]
    intercept_send(cell, *envelope);
  // Only user messages count: the actor's own timers and the stops it is sent must always get through.
  auto* bound = cell.bound();
  if (bound && user) {
    if (!bound->try_admit(behind_waiters)) return Sent::full;
    envelope->set_counted();
  }
  cell.enqueue(envelope.release(), run_here);
  return Sent::queued;
}

Sent send(ActorCell& cell, Envelope* raw, bool run_here) noexcept {
  EnvelopePtr envelope(raw);
  const auto sent = offer(cell, envelope, run_here);
  if (sent == Sent::full) {
    if (envelope->kind() == Envelope::Kind::ask)
      envelope->complete(mailbox_full_error(cell), Message{});
    else if (cell.bound()->on_full() == OnFull::drop_newest) {
      cell.count_dropped();
      dead_letter(cell, DeadLetterReason::mailbox_full, *envelope);
    }
  }
  return sent;
}

void send_tell(ActorCell& cell, Envelope* envelope) {
  switch (send(cell, envelope)) {
    case Sent::queued:
      return;
    case Sent::dead:
      std::rethrow_exception(not_found_error(cell));
    case Sent::full:
      if (cell.bound()->on_full() == OnFull::fail) std::rethrow_exception(mailbox_full_error(cell));
      return;
  }
}

void log_unexpected_message(const ActorBase&, const Message& message) {
  auto* cell = ActorCell::current();
  log(spdlog::level::warn, "Unexpected message received by {}: a {}", cell ? cell->description() : std::string("an actor"),
      message.type_name());
}

ActorBase::ActorBase() noexcept : cell_(ActorCell::constructing()) {}

}  // namespace cokka::detail
