#pragma once

#include <cokka/actor_ref.hpp>
#include <cokka/detail/actor_model.hpp>
#include <cokka/detail/envelopes.hpp>

#include <functional>
#include <string>
#include <type_traits>
#include <utility>

namespace cokka::detail {

/// What a call of `Fn` on an `A` replies: R for `R` and for `asio::awaitable<R>`, except that a C string is
/// a std::string (as in any reply: a Message holds it so).
template <class A, class Fn>
using call_result_t = message_value_t<unwrap_awaitable_t<std::invoke_result_t<Fn&, A&>>>;

/// Runs a function on the actor object as one message (proxy calls, field reads and writes).
template <class A, class Fn>
class CallEnvelope final : public Envelope {
public:
  using Result = call_result_t<A, Fn>;

  CallEnvelope(const char* member, Fn fn, Promise<Result> promise)
      : Envelope(Kind::ask), member_(member), fn_(std::move(fn)), promise_(std::move(promise)) {}

  HandlerResult run(ActorBase& actor) override {
    return run_boxed([this, &actor] { return std::invoke(fn_, static_cast<A&>(actor)); });
  }
  void complete(std::exception_ptr error, Message reply) noexcept override {
    fulfil(promise_, std::move(error), std::move(reply));
  }
  void abandon(const ActorCell& cell) noexcept override {
    promise_.set_exception(stopped_before_handling_error(cell));
  }
  void reject(const ActorCell& cell) noexcept override { promise_.set_exception(not_found_error(cell)); }
  const char* describe() const noexcept override { return member_; }

private:
  const char* member_;
  Fn fn_;
  Promise<Result> promise_;
};

/// The tell form: no reply; a throwing call fails the actor.
template <class A, class Fn>
class TellCallEnvelope final : public Envelope {
public:
  TellCallEnvelope(const char* member, Fn fn) : Envelope(Kind::tell), member_(member), fn_(std::move(fn)) {}

  HandlerResult run(ActorBase& actor) override {
    return run_boxed([this, &actor] { return std::invoke(fn_, static_cast<A&>(actor)); });
  }
  const char* describe() const noexcept override { return member_; }

private:
  const char* member_;
  Fn fn_;
};

/// Runs `fn(actor)` on the actor's strand as one message on the ask path. `fn` may return R, void or
/// asio::awaitable<R> (run on the strand; no other message starts until it completes). The future fails with
/// the exception `fn` throws (the actor lives on), or with ActorDeadError when the actor is dead.
/// `member` (static storage) names what is called, for logs and debug dumps.
template <class A, class Fn>
Future<call_result_t<A, Fn>> call_ask(const ActorRef<A>& ref, const char* member, Fn fn) {
  if (!ref.valid()) throw InvalidState("cokka: call through an empty ActorRef");
  Promise<call_result_t<A, Fn>> promise(ProducerKey{}, *ref.cell());
  auto future = promise.get_future();
  try_enqueue(*ref.cell(), new CallEnvelope<A, Fn>(member, std::move(fn), std::move(promise)));
  return future;
}

/// Runs `fn(actor)` on the actor's strand on the tell path: no future; an exception from `fn` is logged,
/// stops the actor and runs on_failure. Throws ActorDeadError at once when the actor is dead.
template <class A, class Fn>
void call_tell(const ActorRef<A>& ref, const char* member, Fn fn) {
  if (!ref.valid()) throw InvalidState("cokka: call through an empty ActorRef");
  send_tell(*ref.cell(), new TellCallEnvelope<A, Fn>(member, std::move(fn)));
}

}  // namespace cokka::detail
