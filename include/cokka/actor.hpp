/// @file
/// cokka::Actor<Derived>: the base class of every actor.
#pragma once

#include <cokka/actor_ref.hpp>
#include <cokka/detail/actor_base.hpp>
#include <cokka/detail/cell.hpp>
#include <cokka/executor.hpp>
#include <cokka/timers.hpp>

#include <memory>
#include <string_view>

namespace cokka {

class System;

/// Derive your actor from `Actor<YourActor>` and start it with `System::start<YourActor>(args...)`.
///
/// Hooks, all optional and found by name (declare them public or protected), each either a plain function
/// or a coroutine returning `asio::awaitable<T>`:
/// - `on_start()`: runs on the actor before any message. Throwing stops the actor (neither on_stop nor
///   on_failure runs).
/// - `on_receive(cokka::Message&)`: handles one message; the return value is the reply to an ask. Without
///   it, messages are logged as unexpected (warning) and asks get a void reply.
/// - `on_stop()`: runs once after a stop; `on_failure(std::exception_ptr)`: runs instead when a tell's
///   handler threw. Exceptions from either are logged; the actor is dead anyway.
///
/// A member named like a hook that cokka cannot call as that hook (private, or with other parameters, such as
/// `on_receive(cokka::Message)` or `on_failure(const std::exception&)`) fails to compile with a sentence that
/// names the signature. A member that looks like a missing hook (`on_recieve`, `onStart`, `receive`, ...) is
/// logged at warning when the first actor of the type starts.
///
/// One message at a time: the next handler starts only after the current one, coroutine or not, finished.
/// All hooks run on the actor's strand, so the actor's own state needs no lock.
///
/// Ownership: the System owns the actor object (refs do not keep it alive) and destroys it on the actor's
/// strand right after on_stop or on_failure (or in ~System). The constructor runs in the thread calling
/// System::start; the members below work from the constructor on.
template <class Derived>
class Actor : public detail::ActorBase {
public:
  /// This actor's own ref. Throws InvalidState if the object was not created by System::start.
  ActorRef<Derived> self() const { return ActorRef<Derived>(bound().shared_from_this()); }

  /// Queues a stop behind the messages already waiting (a message this handler tells itself first is still
  /// handled) and returns at once. Same as `self().stop_async()`.
  void stop() const { self().stop_async(); }

  /// The system that started this actor; it outlives the actor object.
  System& system() const { return bound().system(); }

  /// The actor's executor, its strand: co_spawn (or post, or bind) work here to keep it serialised with the
  /// actor's handlers. Work submitted through it runs only while the actor lives; after that it is destroyed
  /// instead of run (see ActorExecutor).
  ActorExecutor executor() const {
    auto& cell = bound();
    return ActorExecutor(cell.shared_from_this(), cell.epoch());
  }

  /// The actor's keyed timers (see Timers). Only on the actor's strand, in its handlers and hooks: elsewhere it
  /// throws InvalidState (a timer is the actor's own state).
  Timers timers() const { return Timers(on_strand("timers").timers()); }

  /// cokka::sleep_until on the actor's System; a handler without an executor of its own completes on the actor's
  /// executor. In a coroutine handler it suspends the handler: the actor handles nothing else meanwhile.
  template <class CompletionToken>
  auto sleep_until(Clock::time_point at, CompletionToken&& token) const {
    return detail::async_sleep_until(detail::timer_service(system()), at, executor(),
                                     std::forward<CompletionToken>(token));
  }

  /// sleep_until(now + duration, token) (see sleep_until).
  template <class CompletionToken>
  auto sleep_for(Clock::duration duration, CompletionToken&& token) const {
    return sleep_until(system().now() + duration, std::forward<CompletionToken>(token));
  }

  /// Watches `target`: one cokka::Terminated{target, failure} message arrives when it has ended for good (at once
  /// when it has already); watching it again changes nothing. The watch ends with this actor's death or restart,
  /// or with unwatch. Only on the actor's strand (InvalidState elsewhere).
  void watch(const ActorRef<>& target) const { detail::watch(on_strand("watch"), target); }

  /// Ends the watch of `target`: its Terminated is not delivered, even if already queued. False when not watched.
  bool unwatch(const ActorRef<>& target) const { return detail::unwatch(on_strand("unwatch"), target); }

  /// `urn:uuid:<uuid4>`, unique per actor.
  std::string_view urn() const { return bound().urn(); }

protected:
  Actor() = default;

private:
  /// The cell, when this thread runs the actor's code; InvalidState naming `member` otherwise.
  detail::ActorCell& on_strand(const char* member) const {
    auto& cell = bound();
    if (detail::ActorCell::current() != &cell) detail::refuse_off_strand(cell, member);
    return cell;
  }

  detail::ActorCell& bound() const {
    if (!cell()) throw InvalidState("cokka::Actor: this object was not created by System::start");
    return *cell();
  }
};

}  // namespace cokka
