#include "cokka/dead_letters.hpp"

#include "dead_letter.hpp"
#include "log.hpp"
#include "system_state.hpp"

#include <algorithm>
#include <utility>

namespace cokka {

std::string_view to_string(DeadLetterReason reason) noexcept {
  switch (reason) {
    case DeadLetterReason::dead_actor:
      return "dead_actor";
    case DeadLetterReason::dropped_at_stop:
      return "dropped_at_stop";
    case DeadLetterReason::stale:
      return "stale";
    case DeadLetterReason::mailbox_full:
      return "mailbox_full";
  }
  return "unknown";
}

DeadLetters::Subscription::Subscription(Subscription&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), id_(other.id_) {}

DeadLetters::Subscription& DeadLetters::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::exchange(other.owner_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

DeadLetters::Subscription::~Subscription() { reset(); }

void DeadLetters::Subscription::reset() noexcept {
  if (auto* owner = std::exchange(owner_, nullptr)) owner->unsubscribe(id_);
}

DeadLetters::Subscription DeadLetters::subscribe(Subscriber subscriber) {
  auto shared = std::make_shared<const Subscriber>(std::move(subscriber));
  std::lock_guard lock(mutex_);
  // Copied on write: publish() calls a snapshot without holding the lock.
  auto next = std::make_shared<Subscribers>(subscribers_ ? *subscribers_ : Subscribers{});
  const auto id = next_id_++;
  next->emplace_back(id, std::move(shared));
  subscribers_ = std::move(next);
  has_subscribers_.store(true, std::memory_order_release);
  return Subscription(this, id);
}

void DeadLetters::unsubscribe(std::uint64_t id) noexcept {
  std::lock_guard lock(mutex_);
  if (!subscribers_) return;
  try {
    auto next = std::make_shared<Subscribers>(*subscribers_);
    std::erase_if(*next, [id](const auto& entry) { return entry.first == id; });
    has_subscribers_.store(!next->empty(), std::memory_order_release);
    subscribers_ = next->empty() ? nullptr : std::move(next);
  } catch (...) {  // std::bad_alloc: drop them all rather than keep calling one that may be gone
    subscribers_.reset();
    has_subscribers_.store(false, std::memory_order_release);
  }
}

std::uint64_t DeadLetters::count(DeadLetterReason reason) const noexcept {
  return counts_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
}

std::uint64_t DeadLetters::total() const noexcept {
  std::uint64_t sum = 0;
  for (const auto& count : counts_) sum += count.load(std::memory_order_relaxed);
  return sum;
}

void DeadLetters::set_log_limit(std::size_t lines, std::chrono::steady_clock::duration period) {
  std::lock_guard lock(mutex_);
  log_lines_ = lines;
  log_period_ = period;
}

void DeadLetters::publish(const DeadLetter& letter) noexcept {
  counts_[static_cast<std::size_t>(letter.reason)].fetch_add(1, std::memory_order_relaxed);
  try {
    if (has_subscribers_.load(std::memory_order_acquire)) {
      std::shared_ptr<const Subscribers> subscribers;
      {
        std::lock_guard lock(mutex_);
        subscribers = subscribers_;
      }
      if (subscribers)
        for (const auto& entry : *subscribers) {
          try {
            (*entry.second)(letter);
          } catch (...) {  // documented: a subscriber's exception is swallowed
          }
        }
    }
    log(letter);
  } catch (...) {  // std::bad_alloc while logging: the letter is counted, that is what matters
  }
}

void DeadLetters::log(const DeadLetter& letter) {
  if (!logger()->should_log(spdlog::level::info)) return;
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now - period_began_ >= log_period_) {
      period_began_ = now;
      logged_in_period_ = 0;
    }
    if (logged_in_period_ >= log_lines_) {
      ++suppressed_;
      return;
    }
    ++logged_in_period_;
    suppressed = std::exchange(suppressed_, 0);
  }
  if (suppressed)
    detail::log(spdlog::level::info, "Dead letter ({}): a {} for {} ({} more not logged before it)",
                to_string(letter.reason), letter.message, to_string(letter.recipient), suppressed);
  else
    detail::log(spdlog::level::info, "Dead letter ({}): a {} for {}", to_string(letter.reason), letter.message,
                to_string(letter.recipient));
}

DeadLetters& dead_letters(System& system) noexcept { return detail::SystemAccess::state(system).dead_letters; }

namespace detail {

void dead_letter(ActorCell& cell, DeadLetterReason reason, const Envelope& envelope) noexcept {
  const auto kind = envelope.kind();
  if (kind != Envelope::Kind::tell && kind != Envelope::Kind::guarded) return;  // askers learn; stops are none
  auto alive = cell.weak_from_this().lock();
  if (!alive) return;  // the cell's destructor drops what a System long gone left queued
  ActorCell::Entry entry(cell);
  if (!entry) return;  // the System is going: its DeadLetters may be gone
  cell.system_state().dead_letters.publish(DeadLetter{reason, ActorRef<>(std::move(alive)), envelope.describe()});
}

}  // namespace detail

}  // namespace cokka
