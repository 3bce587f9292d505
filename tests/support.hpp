// Small helpers shared by the tests.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

namespace test {

/// A one-shot gate: handlers block on it until the test opens it.
class Gate {
public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
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
