/// @file
/// Death watch and supervision: `watch(ref)` and cokka::Terminated inside actors, `ActorRef::async_wait_stopped`
/// and `wait_stopped` from anywhere, and cokka::RestartPolicy for actors that restart when they fail.
///
///     watch(worker);                                  // inside an actor: one cokka::Terminated arrives
///     if (auto* t = msg.get_if<cokka::Terminated>()) { /* t->ref; t->failure: null after a clean stop */ }
///     std::exception_ptr why = co_await ref.async_wait_stopped(asio::use_awaitable);   // from anywhere
///     auto w = system.start<Worker>(cokka::ActorOptions{.restart = cokka::RestartPolicy{
///         .max_restarts = 10, .within = 10s, .backoff_min = 100ms, .backoff_max = 10s, .jitter = 0.2}}, cfg);
#pragma once

#include <cokka/actor_ref.hpp>
#include <cokka/clock.hpp>

#include <chrono>
#include <exception>

namespace cokka {

/// The message a watching actor gets, once per watch, when the actor it watches has ended for good (stopped,
/// failed, or given up restarting). Delivered as a tell, after the messages already queued.
struct Terminated {
  /// The actor that ended.
  ActorRef<> ref;
  /// What ended it: the exception of the failure (the last one, for an actor that gave up restarting), or null
  /// after a clean stop (a stop, or its System's shutdown).
  std::exception_ptr failure;
};

/// When an actor restarts instead of dying (`ActorOptions{.restart = RestartPolicy{...}}`).
///
/// What fails an actor: a tell's (or a proxy defer's) handler that throws, and the on_start of a restarted
/// instance that throws; an ask's handler that throws only fails that ask (Pykka's rule) unless
/// `restart_on_ask_failure`. A restart keeps the ActorRef, the urn and the mailbox: the failing message is
/// dropped, the old object's on_failure(ep) runs and the object is destroyed, a new object is built from copies
/// of the start arguments, and its on_start runs; messages queued meanwhile wait for it (through the backoff).
/// The old incarnation's timers, watches and the work it spawned on its executor end. After `max_restarts`
/// restarts within `within`, the next failure stops the actor for good with that failure, and only then do its
/// watchers get Terminated.
struct RestartPolicy {
  /// Restarts allowed within `within`; one more failure stops the actor.
  int max_restarts = 10;
  /// The window restarts are counted in: it opens at a restart and lasts this long; the first restart after
  /// it opens the next window, counting from one again (Akka's rule: a storm costs no memory per restart).
  Clock::duration within = std::chrono::seconds(60);
  /// The delay before the first restart; each further restart within the window doubles it, up to backoff_max.
  Clock::duration backoff_min = std::chrono::milliseconds(0);
  /// The longest delay before a restart.
  Clock::duration backoff_max = std::chrono::seconds(10);
  /// Random spread of each delay: 0.2 makes it 80% to 120% of the computed one (0 to 1).
  double jitter = 0.0;
  /// Also restart when an ask's handler throws (the asker still gets the exception).
  bool restart_on_ask_failure = false;
};

}  // namespace cokka
