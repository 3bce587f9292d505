#include "cokka/detail/envelope.hpp"

#include "cokka/detail/actor_model.hpp"
#include "cokka/detail/cell.hpp"
#include "cokka/detail/envelopes.hpp"
#include "dead_letter.hpp"
#include "log.hpp"

namespace cokka::detail {

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

bool try_enqueue(ActorCell& cell, Envelope* envelope, bool run_here) noexcept {
  auto phase = cell.phase();
  if (phase == ActorCell::Phase::dead || (phase == ActorCell::Phase::closing && envelope->kind() != Envelope::Kind::stop)) {
    EnvelopePtr rejected(envelope);
    dead_letter(cell, DeadLetterReason::dead_actor, *rejected);
    rejected->reject(cell);
    return false;
  }
  cell.enqueue(envelope, run_here);
  return true;
}

void log_unexpected_message(const ActorBase&, const Message& message) {
  auto* cell = ActorCell::current();
  log(spdlog::level::warn, "Unexpected message received by {}: a {}", cell ? cell->description() : std::string("an actor"),
      message.type_name());
}

ActorBase::ActorBase() noexcept : cell_(ActorCell::constructing()) {}

}  // namespace cokka::detail
