#pragma once

#include "cokka/detail/actor_timers.hpp"
#include "cokka/detail/timer_node.hpp"
#include "cokka/message.hpp"

#include <memory>

namespace cokka::detail {

class ActorCell;

/// A timer whose message goes to an actor (ActorRef::tell_after, Actor::timers()): when it fires, the node
/// itself is queued in the actor's mailbox as a tell. It is handled only if accept() says so at delivery.
class MessageTimer : public TimerNode {
public:
  MessageTimer(std::shared_ptr<ActorCell> target, Message message) noexcept
      : TimerNode(Kind::guarded), target_(std::move(target)), message_(std::move(message)) {}

  HandlerResult run(ActorBase& actor) override;
  const char* describe() const noexcept override { return message_.type_name().c_str(); }
  void fire() noexcept override;
  void abort() noexcept override { dispose(); }
  /// Sent to, or queued in, an actor that died first: dropped, and a later cancel() finds nothing to prevent.
  void reject(const ActorCell&) noexcept override { transition(State::fired, State::aborted); }
  void abandon(const ActorCell&) noexcept override { transition(State::fired, State::aborted); }

  /// At delivery: false when the timer was cancelled (the message is dropped).
  bool accept(ActorCell& cell) noexcept override;

  /// Cancellation::cancel: true when this prevented the delivery.
  bool cancel() noexcept;

  const std::shared_ptr<ActorCell>& target() const noexcept { return target_; }

private:
  std::shared_ptr<ActorCell> target_;  // its memory only: a timer never keeps an actor alive

protected:
  Message message_;
};

/// A timer of Actor::timers(): delivered while its generation is its key's current one.
class KeyedTimer final : public MessageTimer {
public:
  KeyedTimer(std::shared_ptr<ActorCell> target, Message message, TimerKey key, std::uint64_t generation) noexcept
      : MessageTimer(std::move(target), std::move(message)), key_(std::move(key)), generation_(generation) {}

  bool accept(ActorCell& cell) noexcept override;
  void handled(ActorCell& cell) override;

  const TimerKey& key() const noexcept { return key_; }
  std::uint64_t generation() const noexcept { return generation_; }

private:
  TimerKey key_;
  std::uint64_t generation_;
};

}  // namespace cokka::detail
