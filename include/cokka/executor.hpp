/// @file
/// cokka::ActorExecutor: an actor's strand as an Asio executor whose work never outlives the actor.
#pragma once

#include <cokka/detail/cell.hpp>

#include <asio/execution/blocking.hpp>
#include <asio/execution/context.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/execution/relationship.hpp>
#include <asio/io_context.hpp>
#include <asio/query.hpp>

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace cokka {

/// The executor of an actor: `Actor::executor()`, and `co_await asio::this_coro::executor` inside its coroutine
/// handlers. Work submitted to it (`asio::post`, `asio::co_spawn`, `bind_executor`, `Future::then`, an Asio
/// I/O object made with it) runs on the actor's strand, serialised with its handlers, with the actor as the
/// thread's current actor (so a blocking `get()` there throws BlockingCallInActor).
///
/// Lifetime rules (the reason this is not a plain `asio::strand`):
/// - Work runs only while the part of the actor's life that handed the executor out lasts: once the actor is
///   dead (or its System's shutdown destroyed the coroutine handler it came from), work submitted or queued
///   through it is **destroyed instead of run**. A coroutine resumed here is destroyed the way a destroyed
///   io_context destroys it (destructors of its locals run; catch blocks and code after the `co_await` do not);
///   a `then` continuation's result fails with BrokenPromise. So a child coroutine spawned here never runs on
///   a dead actor; destructors of such a coroutine's locals must not use the actor.
/// - Copies may outlive the actor and the System: they keep a small part of the actor's runtime alive, never
///   the io_context. Work submitted after the System's destruction is destroyed on the submitting thread.
/// - `outstanding_work.tracked` (which Asio's operations prefer) counts as work on the io_context until the
///   work is done or the System is destroyed, whichever comes first.
///
/// Cheap to copy (a shared pointer and a word); fits `asio::any_io_executor` without an allocation.
/// Thread-safe. Two executors are equal when they belong to the same actor, epoch and properties.
class ActorExecutor {
public:
  /// @cond COKKA_INTERNAL
  /// For cokka itself: the executor of `cell`'s work of `epoch` (see ActorCell::epoch).
  ActorExecutor(std::shared_ptr<detail::ActorCell> cell, std::uint64_t epoch, unsigned flags = 0) noexcept
      : cell_(std::move(cell)), bits_(epoch << flag_bits | flags) {
    if (flags & detail::tracked) cell_->work_started();
  }
  /// The actor's runtime cell (for cokka's own detail code).
  const std::shared_ptr<detail::ActorCell>& cell() const noexcept { return cell_; }
  /// @endcond

  /// Copies the executor (a tracked one counts once more as outstanding work).
  ActorExecutor(const ActorExecutor& other) noexcept : cell_(other.cell_), bits_(other.bits_) {
    if (tracked()) cell_->work_started();
  }
  /// Takes `other`'s place; `other` keeps no work counted.
  ActorExecutor(ActorExecutor&& other) noexcept
      : cell_(std::move(other.cell_)), bits_(std::exchange(other.bits_, other.bits_ & ~std::uint64_t{detail::tracked})) {}
  /// Copy-and-swap.
  ActorExecutor& operator=(ActorExecutor other) noexcept {
    std::swap(cell_, other.cell_);
    std::swap(bits_, other.bits_);
    return *this;
  }
  /// Ends the outstanding work a tracked executor counted.
  ~ActorExecutor() {
    if (tracked()) cell_->work_finished();
  }

  /// True when the calling thread runs the actor's strand now.
  bool running_in_this_thread() const noexcept { return cell_->running_in_this_thread(); }

  /// Submits `function` (see the class notes for when it is destroyed instead of run). Inline when the
  /// executor may block and this thread already runs the strand (asio::dispatch); queued otherwise.
  template <class Function>
  void execute(Function&& function) const {
    cell_->execute(cell_, epoch(), flags(), std::forward<Function>(function));
  }

  // Asio properties, for Asio's customisation points (`asio::query`, `asio::require`, `asio::prefer`); not to
  // be called directly. blocking: possibly (default) or never; relationship: fork (default) or continuation;
  // outstanding_work: untracked (default) or tracked; context: the actor's io_context.
  /// @cond COKKA_INTERNAL
  asio::io_context& query(asio::execution::context_t) const noexcept { return cell_->context(); }
  asio::execution::blocking_t query(asio::execution::blocking_t) const noexcept {
    return has(detail::blocking_never) ? asio::execution::blocking_t(asio::execution::blocking.never)
                                       : asio::execution::blocking_t(asio::execution::blocking.possibly);
  }
  asio::execution::relationship_t query(asio::execution::relationship_t) const noexcept {
    return has(detail::continuation) ? asio::execution::relationship_t(asio::execution::relationship.continuation)
                                     : asio::execution::relationship_t(asio::execution::relationship.fork);
  }
  asio::execution::outstanding_work_t query(asio::execution::outstanding_work_t) const noexcept {
    return tracked() ? asio::execution::outstanding_work_t(asio::execution::outstanding_work.tracked)
                     : asio::execution::outstanding_work_t(asio::execution::outstanding_work.untracked);
  }
  ActorExecutor require(asio::execution::blocking_t::possibly_t) const noexcept { return with(0, detail::blocking_never); }
  ActorExecutor require(asio::execution::blocking_t::never_t) const noexcept { return with(detail::blocking_never, 0); }
  ActorExecutor prefer(asio::execution::relationship_t::fork_t) const noexcept { return with(0, detail::continuation); }
  ActorExecutor prefer(asio::execution::relationship_t::continuation_t) const noexcept {
    return with(detail::continuation, 0);
  }
  ActorExecutor prefer(asio::execution::outstanding_work_t::tracked_t) const noexcept { return with(detail::tracked, 0); }
  ActorExecutor prefer(asio::execution::outstanding_work_t::untracked_t) const noexcept {
    return with(0, detail::tracked);
  }
  /// @endcond

  /// Same actor, epoch and properties.
  friend bool operator==(const ActorExecutor& a, const ActorExecutor& b) noexcept {
    return a.cell_ == b.cell_ && a.bits_ == b.bits_;
  }
  friend bool operator!=(const ActorExecutor& a, const ActorExecutor& b) noexcept { return !(a == b); }

private:
  static constexpr unsigned flag_bits = 3;
  static constexpr std::uint64_t flag_mask = (std::uint64_t{1} << flag_bits) - 1;

  std::uint64_t epoch() const noexcept { return bits_ >> flag_bits; }
  unsigned flags() const noexcept { return static_cast<unsigned>(bits_ & flag_mask); }
  bool has(unsigned flag) const noexcept { return (bits_ & flag) != 0; }
  bool tracked() const noexcept { return has(detail::tracked); }
  ActorExecutor with(unsigned set, unsigned clear) const noexcept {
    return ActorExecutor(cell_, epoch(), (flags() | set) & ~clear);
  }

  std::shared_ptr<detail::ActorCell> cell_;
  std::uint64_t bits_;  // epoch << flag_bits | ExecutorFlags
};

}  // namespace cokka
