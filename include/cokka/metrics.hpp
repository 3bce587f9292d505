/// @file
/// cokka::metrics: per actor type counters, mailbox depths and timings of a System started with
/// `SystemOptions{.metrics = true}`, as a snapshot and in the Prometheus text exposition format.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cokka::metrics {

/// A latency distribution, read off a log-linear histogram: every value falls in a bucket at most 1/8 of its
/// value wide, and a quantile is reported as the upper end of its bucket (never above `max`), so it is at most
/// 12.5% above the exact quantile and never below it.
struct Histogram {
  std::uint64_t count = 0;             ///< values recorded
  std::chrono::nanoseconds sum{};      ///< their sum
  std::chrono::nanoseconds p50{};      ///< the median (0 while count is 0, as are the other quantiles)
  std::chrono::nanoseconds p90{};      ///< the 90th percentile
  std::chrono::nanoseconds p99{};      ///< the 99th percentile
  std::chrono::nanoseconds max{};      ///< the largest value recorded (exact)
};

/// The figures of one actor type (all actors of that type together, the stopped ones included).
struct ActorTypeMetrics {
  std::string actor;                   ///< the type name, as Registry::get_by_class and logs spell it
  std::uint64_t actors = 0;            ///< actors of the type alive now
  /// Messages queued for them: tells, asks, proxy calls, timer messages (those taken from the mailboxes plus
  /// those queued now, read one after the other: exact once the actors are idle).
  std::uint64_t sent = 0;
  std::uint64_t handled = 0;           ///< handlers that ended, with a reply or an exception
  std::uint64_t failed = 0;            ///< of those, handlers that ended with an exception
  std::uint64_t dropped = 0;           ///< tells dropped: a full drop_newest mailbox, queued behind a stop
  std::uint64_t restarts = 0;          ///< restarts by their RestartPolicy
  std::uint64_t mailbox_depth = 0;     ///< messages queued now, over all actors of the type
  std::uint64_t mailbox_depth_max = 0; ///< the deepest one actor's mailbox has been
  /// From the send to the start of its handler, of the timed messages (SystemOptions::metrics_sample).
  /// Measured in steps of 64 ns, and modulo 274.9 s: a message that waited longer counts the remainder.
  Histogram time_in_mailbox;
  /// From the start of a handler to its end, of the timed messages; a coroutine handler's includes its time
  /// suspended.
  Histogram handling_time;
};

/// What `System::metrics()` returns: one entry per actor type ever started, sorted by type name.
struct Snapshot {
  std::vector<ActorTypeMetrics> actors;  ///< one per actor type, sorted by type name

  /// The entry of `actor` (a type name), or nullptr when no actor of that type was started.
  const ActorTypeMetrics* find(std::string_view actor) const noexcept;
};

/// `snapshot` in the Prometheus text exposition format (version 0.0.4): counters `cokka_messages_sent_total`,
/// `cokka_messages_handled_total`, `cokka_messages_failed_total`, `cokka_messages_dropped_total`,
/// `cokka_actor_restarts_total`; gauges `cokka_actors`, `cokka_mailbox_depth`, `cokka_mailbox_depth_max`;
/// summaries `cokka_mailbox_time_seconds` and `cokka_handling_time_seconds` (quantiles 0.5, 0.9, 0.99) with
/// gauges `cokka_mailbox_time_max_seconds` and `cokka_handling_time_max_seconds`; every sample labelled
/// `actor="<type name>"`.
std::string to_prometheus(const Snapshot& snapshot);

}  // namespace cokka::metrics
