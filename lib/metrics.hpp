#pragma once

#include "cokka/metrics.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace cokka::detail {

/// A log-linear histogram of nanoseconds (HDR-style): 8 exact buckets below 8 ns, then 8 buckets per power of
/// two up to 2^40 ns (18 minutes; longer values count in the last bucket). Lock-free: `record` is a few relaxed
/// atomic additions, from any thread.
class LogHistogram {
public:
  static constexpr unsigned sub_buckets = 8;  // per power of two: a bucket is at most 1/8 of its values wide
  static constexpr unsigned top_power = 40;
  static constexpr std::size_t bucket_count = sub_buckets + (top_power - 3) * sub_buckets;

  void record(std::uint64_t nanoseconds) noexcept;
  /// Count, sum, quantiles and max as of now (values recorded meanwhile may be half counted: a live view).
  metrics::Histogram snapshot() const;

  static std::size_t bucket_of(std::uint64_t nanoseconds) noexcept;
  /// The largest value bucket `bucket` holds.
  static std::uint64_t upper_bound(std::size_t bucket) noexcept;

private:
  std::atomic<std::uint64_t> sum_{0};
  std::atomic<std::uint64_t> max_{0};
  std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
};

/// The live figures of one actor type. Counted by its cells from any thread; a cell keeps its type's figures
/// alive by a reference (cells may outlive their System: a late send to a dead actor is still counted).
class TypeMetrics {
public:
  explicit TypeMetrics(std::uint64_t sample_mask) : sample_mask(sample_mask) {}

  /// A message is timed when its number among its actor's mailbox pushes has these bits clear.
  const std::uint64_t sample_mask;
  // Written by the actors' strands only (as they take a message and as its handler ends), never by senders:
  // many senders counting into one line would pass it between their cores on every message. What was sent
  // is what was taken plus what is queued now (System::metrics adds the live mailboxes' depths).
  alignas(64) std::atomic<std::uint64_t> taken{0};  // user messages taken from the mailboxes
  std::atomic<std::uint64_t> depth_max{0};          // the deepest mailbox seen as a message was taken
  std::atomic<std::uint64_t> handled{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> restarts{0};
  std::atomic<std::uint64_t> dropped{0};  // by senders too, but only when a message is dropped
  LogHistogram time_in_mailbox;
  LogHistogram handling_time;

  void note_depth(std::uint64_t depth) noexcept;

  void retain() noexcept { references_.fetch_add(1, std::memory_order_relaxed); }
  /// Drops a reference; the last one deletes the figures.
  void release() noexcept;

private:
  std::atomic<std::uint32_t> references_{1};
};

/// A System's metrics: the figures of each actor type it started (their cells count into them).
class MetricsRegistry {
public:
  /// `sample`: time one message in `sample` per actor (rounded up to a power of two).
  explicit MetricsRegistry(unsigned sample) : sample_mask_(std::bit_ceil(std::max(sample, 1u)) - 1) {}
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;
  ~MetricsRegistry();

  /// The figures of type `actor`, with a reference for the caller (a new cell). Any thread.
  TypeMetrics* for_type(const std::string& actor);
  /// Every type's figures as of now; `actors` and `mailbox_depth` are 0, and `sent` and `mailbox_depth_max`
  /// lack the messages queued now (the live cells know them).
  metrics::Snapshot snapshot() const;

private:
  const std::uint64_t sample_mask_;
  mutable std::mutex mutex_;
  std::map<std::string, TypeMetrics*> types_;
};

/// Nanoseconds on the steady clock, the time base of the figures.
inline std::uint64_t metrics_now() noexcept {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

}  // namespace cokka::detail
