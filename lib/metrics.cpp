#include "metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace cokka {

namespace detail {

std::size_t LogHistogram::bucket_of(std::uint64_t nanoseconds) noexcept {
  if (nanoseconds < sub_buckets) return nanoseconds;
  const auto power = static_cast<unsigned>(std::bit_width(nanoseconds)) - 1;  // >= 3
  if (power >= top_power) return bucket_count - 1;
  const auto sub = (nanoseconds >> (power - 3)) & (sub_buckets - 1);
  return sub_buckets + (power - 3) * sub_buckets + sub;
}

std::uint64_t LogHistogram::upper_bound(std::size_t bucket) noexcept {
  if (bucket < sub_buckets) return bucket;
  if (bucket == bucket_count - 1) return std::numeric_limits<std::uint64_t>::max();  // holds the overflow too
  const auto power = static_cast<unsigned>((bucket - sub_buckets) / sub_buckets) + 3;
  const auto sub = (bucket - sub_buckets) % sub_buckets;
  const std::uint64_t width = std::uint64_t{1} << (power - 3);
  return (sub_buckets + sub) * width + width - 1;
}

void LogHistogram::record(std::uint64_t nanoseconds) noexcept {
  buckets_[bucket_of(nanoseconds)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(nanoseconds, std::memory_order_relaxed);
  auto max = max_.load(std::memory_order_relaxed);
  while (nanoseconds > max && !max_.compare_exchange_weak(max, nanoseconds, std::memory_order_relaxed)) {
  }
}

metrics::Histogram LogHistogram::snapshot() const {
  std::array<std::uint64_t, bucket_count> counts{};
  metrics::Histogram histogram;
  for (std::size_t bucket = 0; bucket < bucket_count; ++bucket) {
    counts[bucket] = buckets_[bucket].load(std::memory_order_relaxed);
    histogram.count += counts[bucket];
  }
  histogram.sum = std::chrono::nanoseconds(sum_.load(std::memory_order_relaxed));
  const auto max = max_.load(std::memory_order_relaxed);
  histogram.max = std::chrono::nanoseconds(max);
  if (histogram.count == 0) return histogram;
  auto quantile = [&](double q) {
    const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * double(histogram.count))));
    std::uint64_t seen = 0;
    for (std::size_t bucket = 0; bucket < bucket_count; ++bucket) {
      seen += counts[bucket];
      if (seen >= rank) return std::chrono::nanoseconds(std::min(upper_bound(bucket), max));
    }
    return std::chrono::nanoseconds(max);
  };
  histogram.p50 = quantile(0.5);
  histogram.p90 = quantile(0.9);
  histogram.p99 = quantile(0.99);
  return histogram;
}

void TypeMetrics::note_depth(std::uint64_t depth) noexcept {
  auto deepest = depth_max.load(std::memory_order_relaxed);
  while (depth > deepest && !depth_max.compare_exchange_weak(deepest, depth, std::memory_order_relaxed)) {
  }
}

void TypeMetrics::release() noexcept {
  if (references_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

MetricsRegistry::~MetricsRegistry() {
  for (auto& [name, type] : types_) type->release();
}

TypeMetrics* MetricsRegistry::for_type(const std::string& actor) {
  const std::lock_guard lock(mutex_);
  auto& type = types_[actor];
  if (!type) type = new TypeMetrics(sample_mask_);  // the registry's reference
  type->retain();
  return type;
}

metrics::Snapshot MetricsRegistry::snapshot() const {
  metrics::Snapshot snapshot;
  const std::lock_guard lock(mutex_);
  snapshot.actors.reserve(types_.size());
  for (const auto& [name, type] : types_) {  // a std::map: sorted by type name
    auto& figures = snapshot.actors.emplace_back();
    figures.actor = name;
    figures.sent = type->taken.load(std::memory_order_relaxed);
    figures.handled = type->handled.load(std::memory_order_relaxed);
    figures.failed = type->failed.load(std::memory_order_relaxed);
    figures.dropped = type->dropped.load(std::memory_order_relaxed);
    figures.restarts = type->restarts.load(std::memory_order_relaxed);
    figures.mailbox_depth_max = type->depth_max.load(std::memory_order_relaxed);
    figures.time_in_mailbox = type->time_in_mailbox.snapshot();
    figures.handling_time = type->handling_time.snapshot();
  }
  return snapshot;
}

}  // namespace detail

namespace metrics {

const ActorTypeMetrics* Snapshot::find(std::string_view actor) const noexcept {
  const auto found = std::find_if(actors.begin(), actors.end(), [&](const auto& type) { return type.actor == actor; });
  return found == actors.end() ? nullptr : &*found;
}

namespace {

// A label value: backslash, double quote and line feed escaped, as the exposition format requires.
std::string label(std::string_view actor) {
  std::string escaped;
  escaped.reserve(actor.size() + 2);
  for (const char c : actor) {
    if (c == '\\' || c == '"')
      escaped += {'\\', c};
    else if (c == '\n')
      escaped += "\\n";
    else
      escaped += c;
  }
  return escaped;
}

double seconds(std::chrono::nanoseconds duration) { return std::chrono::duration<double>(duration).count(); }

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <class Read>
void samples(std::string& out, const Snapshot& snapshot, std::string_view name, std::string_view type,
             std::string_view help, Read read) {
  family(out, name, type, help);
  for (const auto& figures : snapshot.actors)
    fmt::format_to(std::back_inserter(out), "{}{{actor=\"{}\"}} {}\n", name, label(figures.actor), read(figures));
}

void summary(std::string& out, const Snapshot& snapshot, std::string_view name, std::string_view help,
             Histogram ActorTypeMetrics::*member) {
  family(out, name, "summary", help);
  for (const auto& figures : snapshot.actors) {
    const auto& histogram = figures.*member;
    const auto actor = label(figures.actor);
    for (const auto& [quantile, value] : {std::pair{"0.5", histogram.p50}, std::pair{"0.9", histogram.p90},
                                          std::pair{"0.99", histogram.p99}})
      fmt::format_to(std::back_inserter(out), "{}{{actor=\"{}\",quantile=\"{}\"}} {}\n", name, actor, quantile,
                     seconds(value));
    fmt::format_to(std::back_inserter(out), "{}_sum{{actor=\"{}\"}} {}\n{}_count{{actor=\"{}\"}} {}\n", name, actor,
                   seconds(histogram.sum), name, actor, histogram.count);
  }
}

}  // namespace

std::string to_prometheus(const Snapshot& snapshot) {
  std::string out;
  samples(out, snapshot, "cokka_actors", "gauge", "Actors of the type alive now.",
          [](const ActorTypeMetrics& m) { return m.actors; });
  samples(out, snapshot, "cokka_messages_sent_total", "counter",
          "Messages queued for actors of the type (tells, asks, proxy calls, timer messages).",
          [](const ActorTypeMetrics& m) { return m.sent; });
  samples(out, snapshot, "cokka_messages_handled_total", "counter",
          "Handlers that ended, with a reply or an exception.", [](const ActorTypeMetrics& m) { return m.handled; });
  samples(out, snapshot, "cokka_messages_failed_total", "counter", "Handlers that ended with an exception.",
          [](const ActorTypeMetrics& m) { return m.failed; });
  samples(out, snapshot, "cokka_messages_dropped_total", "counter",
          "Tells dropped by a full drop_newest mailbox or queued behind a stop.",
          [](const ActorTypeMetrics& m) { return m.dropped; });
  samples(out, snapshot, "cokka_actor_restarts_total", "counter", "Restarts by the actors' restart policy.",
          [](const ActorTypeMetrics& m) { return m.restarts; });
  samples(out, snapshot, "cokka_mailbox_depth", "gauge", "Messages queued now, over all actors of the type.",
          [](const ActorTypeMetrics& m) { return m.mailbox_depth; });
  samples(out, snapshot, "cokka_mailbox_depth_max", "gauge", "The deepest one actor's mailbox has been.",
          [](const ActorTypeMetrics& m) { return m.mailbox_depth_max; });
  summary(out, snapshot, "cokka_mailbox_time_seconds", "Time from a send to the start of its handler.",
          &ActorTypeMetrics::time_in_mailbox);
  samples(out, snapshot, "cokka_mailbox_time_max_seconds", "gauge", "The longest time in the mailbox.",
          [](const ActorTypeMetrics& m) { return seconds(m.time_in_mailbox.max); });
  summary(out, snapshot, "cokka_handling_time_seconds", "Time from the start of a handler to its end.",
          &ActorTypeMetrics::handling_time);
  samples(out, snapshot, "cokka_handling_time_max_seconds", "gauge", "The longest handling time.",
          [](const ActorTypeMetrics& m) { return seconds(m.handling_time.max); });
  return out;
}

}  // namespace metrics

}  // namespace cokka
