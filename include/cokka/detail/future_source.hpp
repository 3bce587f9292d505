#pragma once

#include <cokka/detail/future_state.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace cokka::detail {

/// The plain states (completed by a Promise or an actor's reply) that a derived future depends on.
using FutureRoots = std::vector<std::shared_ptr<FutureStateBase>>;

/// The shared part of a derived future (`map`, `filter`, `reduce`, `join`).
///
/// Lazy: nothing runs until a reader (get, async_wait, co_await, then) finds every root ready; that reader then
/// computes in its own context (its thread, or its handler's executor). The mutex makes exactly one thread
/// compute while concurrent readers wait for that result; it is held only for the computation itself, never
/// while waiting for a reply, and is always taken downstream before upstream, so chains cannot deadlock.
/// A result is cached in `result_`; a computation that throws caches nothing and the next reader computes again.
template <class T>
class DerivedNode {
public:
  explicit DerivedNode(FutureRoots roots) : roots_(std::move(roots)) {}
  DerivedNode(const DerivedNode&) = delete;
  DerivedNode& operator=(const DerivedNode&) = delete;
  virtual ~DerivedNode() = default;

  const FutureRoots& roots() const noexcept { return roots_; }

  /// The completed result, computed first if needed. Precondition: every root is ready.
  /// Throws whatever the computation throws (and then caches nothing).
  FutureState<T>& settle() {
    if (!result_.ready()) {
      std::lock_guard lock(mutex_);
      if (!result_.ready()) compute(result_);
    }
    return result_;
  }

protected:
  /// Completes `out` (set_value) or throws. Called under the mutex, with every root ready.
  virtual void compute(FutureState<T>& out) = 0;

private:
  FutureRoots roots_;
  std::mutex mutex_;
  FutureState<T> result_;
};

/// A DerivedNode whose computation is the callable `Compute`, `void(FutureState<T>&)`.
template <class T, class Compute>
class ComputedNode final : public DerivedNode<T> {
public:
  ComputedNode(FutureRoots roots, Compute compute) : DerivedNode<T>(std::move(roots)), compute_(std::move(compute)) {}

private:
  void compute(FutureState<T>& out) override { compute_(out); }

  Compute compute_;
};

/// What a Future<T> reads: a plain state, or a derived node. Waiting means waiting for the roots (the plain
/// state is its own single root); reading means settle() then FutureState::value().
template <class T>
struct FutureSource {
  std::shared_ptr<FutureState<T>> plain;
  std::shared_ptr<DerivedNode<T>> derived;

  bool valid() const noexcept { return plain || derived; }

  std::size_t root_count() const noexcept { return plain ? 1 : derived->roots().size(); }
  FutureStateBase& root(std::size_t i) const noexcept { return plain ? *plain : *derived->roots()[i]; }
  FutureRoots roots() const { return plain ? FutureRoots{plain} : derived->roots(); }

  /// Every root is ready: settle() will not wait for a reply.
  bool ready() const noexcept {
    for (std::size_t i = 0; i < root_count(); ++i)
      if (!root(i).ready()) return false;
    return true;
  }
  /// Blocks until ready(); throws BlockingCallInActor inside an actor's handler when it would have to wait.
  void wait() const {
    for (std::size_t i = 0; i < root_count(); ++i) root(i).wait();
  }
  /// Like wait() with one deadline shared by all roots; false when it passed first.
  bool wait_until(std::chrono::steady_clock::time_point deadline) const {
    for (std::size_t i = 0; i < root_count(); ++i)
      if (!root(i).wait_until(deadline)) return false;
    return true;
  }
  /// The completed state. Precondition: ready(). Throws what a derived computation throws.
  FutureState<T>& settle() const { return plain ? *plain : derived->settle(); }

  friend bool operator==(const FutureSource&, const FutureSource&) = default;
};

}  // namespace cokka::detail
