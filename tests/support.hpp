// Small helpers shared by the tests.
#pragma once

#include <dirent.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace test {

/// A one-shot gate: handlers block on it until the test opens it.
class Gate {
public:
  /// Notifies under the lock: a waiter may destroy the gate as soon as it returns from wait().
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  /// Waits for open(); false after 10 s (so a broken test fails instead of hanging).
  bool wait() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [this] { return open_; });
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// A thread-safe list of events, to assert on orderings.
class Journal {
public:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

private:
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

/// Counts constructions and destructions of actor objects.
struct Census {
  std::atomic<int> constructed{0};
  std::atomic<int> destroyed{0};
};

/// Threads of this process right now (from /proc/self/task). ThreadSanitizer starts a helper thread with
/// the first thread created: one is created and joined first so that the count is a stable baseline.
inline int thread_count() {
  static const bool warmed_up = [] {
    std::thread([] {}).join();
    return true;
  }();
  (void)warmed_up;
  int count = 0;
  if (DIR* tasks = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(tasks))
      if (entry->d_name[0] != '.') ++count;
    closedir(tasks);
  }
  return count;
}

/// Polls `done` every 10 ms until it holds, for at most 10 s (a hang guard). `done` runs once per round and never
/// again after it held: a predicate that acts (sends an ask) may not hold twice in a row on a slow machine.
template <class Predicate>
bool eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

/// The what() of `error`; "clean" for none.
inline std::string what(const std::exception_ptr& error) {
  if (!error) return "clean";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
}

/// A minimal eager coroutine type with no await_transform: checks `co_await future` outside Asio.
struct Task {
  struct promise_type {
    Task get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

}  // namespace test
