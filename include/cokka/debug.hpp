/// @file
/// cokka::debug: what every actor of a System is doing right now, for hunting deadlocks and stalls.
///
///     try {
///       reply.get(5s);
///     } catch (const cokka::Timeout&) {
///       cokka::debug::dump(system);  // one critical record per actor, e.g. (samples/deadlock):
///     }
///     // Carol (urn:uuid:...): handling Start for 502 ms, awaiting Dave (urn:uuid:...); mailbox 1
///     // Dave (urn:uuid:...): handling Question for 501 ms, waiting for room in Carol (urn:uuid:...); mailbox 0
#pragma once

#include <cokka/actor_ref.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cokka {
class System;
}  // namespace cokka

namespace cokka::debug {

/// One live actor as snapshot() saw it: a copy, consistent per field (fields are read one after the other
/// while the actor runs on, so two of them may describe neighbouring moments).
struct ActorSnapshot {
  /// The actor.
  ActorRef<> actor;
  /// Its demangled, namespace-qualified type name ("app::Greeter"), as Registry::get_by_class_name takes it.
  std::string type;
  /// Its urn, `urn:uuid:<uuid4>`.
  std::string urn;
  /// True once its stop or failure has begun: it is no longer registered and on_stop / on_failure runs.
  bool stopping = false;
  /// Messages (and stops) waiting in its mailbox, not counting the one being handled.
  std::size_t mailbox_depth = 0;
  /// What it handles now: the message's type, the proxied member ("add", "playback.play"), or a hook
  /// ("on_start", "on_stop", "on_failure"). Empty when idle.
  std::string handling;
  /// For how long, on a coarse clock (a few ms of resolution), counted from the start of the mailbox turn that
  /// began it (a turn is at most 256 messages, so quick messages before it add little). Zero when idle.
  std::chrono::milliseconds handling_for{0};
  /// The actor whose reply it awaits, when a coroutine handler is suspended in
  /// `co_await fut.async_wait(...)` on a future from `ask`, `stop_async` or a proxy call to that actor
  /// (of this System; one of several parallel waits; never a `then` continuation). A blocking `get()` inside
  /// a handler throws BlockingCallInActor instead, so it never shows here.
  std::optional<ActorRef<>> awaiting;
  /// True when `awaiting` is the actor in whose full mailbox its coroutine waits for room (`async_tell`,
  /// `async_ask`), not a reply: printed "waiting for room in <actor>".
  bool awaiting_room = false;
  /// The capacity of its bounded mailbox (0: unbounded).
  std::size_t mailbox_capacity = 0;
  /// Senders waiting for room in its mailbox (`async_tell`, `async_ask`).
  std::size_t waiting_senders = 0;
  /// User messages it dropped: tells into its full OnFull::drop_newest mailbox, tells queued when it stopped.
  std::uint64_t dropped = 0;
};

/// Every actor of `system` that is alive or stopping, in start order.
///
/// Thread-safe: call it from any thread while the actors run (a watchdog thread, a thread that waits for a
/// signal with sigwait), also from inside a handler; it never blocks on an actor. Not async-signal-safe (it
/// allocates and takes short locks): do not call it from a signal handler itself. `system` must outlive the
/// call. Throws std::bad_alloc only.
std::vector<ActorSnapshot> snapshot(System& system);

/// Logs snapshot(system) to cokka's logger (cokka::logger()) at level critical, one record per actor,
/// formatted by to_string(ActorSnapshot), then flushes the logger. Same thread rules as snapshot().
void dump(System& system);

/// "Type (urn)[ stopping]: handling X for N ms[, awaiting Type (urn)]; mailbox M", or "...: idle; mailbox M".
std::string to_string(const ActorSnapshot& actor);

}  // namespace cokka::debug

/// Formats an ActorSnapshot as cokka::debug::to_string does.
template <>
struct fmt::formatter<cokka::debug::ActorSnapshot> : fmt::formatter<std::string_view> {
  /// Writes `cokka::debug::to_string(actor)` to `context`.
  template <class FormatContext>
  auto format(const cokka::debug::ActorSnapshot& actor, FormatContext& context) const -> decltype(context.out()) {
    return fmt::formatter<std::string_view>::format(cokka::debug::to_string(actor), context);
  }
};
