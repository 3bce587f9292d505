#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>

namespace cokka::detail {

/// Somebody to tell when an actor ends for good: a watching actor's watch record, an async_wait_stopped, a
/// blocking wait_stopped. Linked into the watched actor's DeathWatchers; on_death runs at most once, under their
/// lock, on the thread that ends the actor (it must be quick and must not touch that actor's DeathWatchers).
class DeathWatcher {
public:
  virtual void on_death(const std::exception_ptr& failure) noexcept = 0;

private:
  friend class DeathWatchers;
  DeathWatcher* prev_ = nullptr;
  DeathWatcher* next_ = nullptr;
  bool linked_ = false;

protected:
  ~DeathWatcher() = default;
};

/// The watchers of one actor (in its cell). Thread-safe; a spin lock, held only to link, unlink and notify.
class DeathWatchers {
public:
  DeathWatchers() = default;
  DeathWatchers(const DeathWatchers&) = delete;
  DeathWatchers& operator=(const DeathWatchers&) = delete;

  /// Adds `watcher`; false when the actor has ended already: then `failure` is what ended it and nothing is
  /// added.
  bool add(DeathWatcher& watcher, std::exception_ptr& failure) noexcept;
  /// Unlinks `watcher`; false when it was not linked (notified, or never added). After it returns, on_death
  /// is not running for it.
  bool remove(DeathWatcher& watcher) noexcept;
  /// The actor ended for good: every watcher's on_death(failure), once; later adds are refused.
  void notify(const std::exception_ptr& failure) noexcept;
  /// Watchers linked now (for tests and debug dumps).
  std::size_t size() const noexcept;

private:
  class Lock {
  public:
    explicit Lock(const DeathWatchers& owner) noexcept : owner_(owner) {
      while (owner_.locked_.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
    }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    ~Lock() { owner_.locked_.store(false, std::memory_order_release); }

  private:
    const DeathWatchers& owner_;
  };

  mutable std::atomic<bool> locked_{false};
  bool ended_ = false;
  DeathWatcher* head_ = nullptr;
  std::exception_ptr failure_;
};

/// Watch records (Actor::watch) alive in the process: tests prove that none outlives either side of a watch.
std::size_t live_watch_records() noexcept;

}  // namespace cokka::detail
