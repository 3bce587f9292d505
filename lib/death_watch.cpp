#include "cokka/detail/death_watch.hpp"

#include <utility>

namespace cokka::detail {

bool DeathWatchers::add(DeathWatcher& watcher, std::exception_ptr& failure) noexcept {
  Lock lock(*this);
  if (ended_) {
    failure = failure_;
    return false;
  }
  watcher.prev_ = nullptr;
  watcher.next_ = head_;
  if (head_) head_->prev_ = &watcher;
  head_ = &watcher;
  watcher.linked_ = true;
  return true;
}

bool DeathWatchers::remove(DeathWatcher& watcher) noexcept {
  Lock lock(*this);
  if (!watcher.linked_) return false;
  (watcher.prev_ ? watcher.prev_->next_ : head_) = watcher.next_;
  if (watcher.next_) watcher.next_->prev_ = watcher.prev_;
  watcher.linked_ = false;
  return true;
}

void DeathWatchers::notify(const std::exception_ptr& failure) noexcept {
  Lock lock(*this);
  if (ended_) return;
  ended_ = true;
  failure_ = failure;
  for (auto* watcher = std::exchange(head_, nullptr); watcher;) {
    auto* next = watcher->next_;  // on_death may free the watcher
    watcher->linked_ = false;
    watcher->on_death(failure);
    watcher = next;
  }
}

std::size_t DeathWatchers::size() const noexcept {
  Lock lock(*this);
  std::size_t count = 0;
  for (auto* watcher = head_; watcher; watcher = watcher->next_) ++count;
  return count;
}

}  // namespace cokka::detail
