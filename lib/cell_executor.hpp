#pragma once

#include "cokka/detail/cell.hpp"

#include <asio/execution.hpp>
#include <asio/query.hpp>
#include <asio/prefer.hpp>
#include <asio/require.hpp>

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

namespace cokka::detail {

/// The thread's "cell whose handler runs here" mark behind ActorCell::current().
ActorCell*& current_cell_slot() noexcept;

/// Marks the thread as running `cell`'s handlers (restores the previous mark: drains can nest in tests that
/// run io_context::poll inside a handler).
class CurrentScope {
public:
  explicit CurrentScope(ActorCell* cell) noexcept : previous_(std::exchange(current_cell_slot(), cell)) {}
  CurrentScope(const CurrentScope&) = delete;
  CurrentScope& operator=(const CurrentScope&) = delete;
  ~CurrentScope() { current_cell_slot() = previous_; }

private:
  ActorCell* previous_;
};

/// The executor coroutine handlers run on: the actor's strand, marking the thread with the actor's cell around
/// every piece of the coroutine it runs. So ActorCell::current() is right also after a handler's co_await
/// resumes (BlockingCallInActor, the unexpected-message log), and a future awaited there can tell which actor
/// waits (cokka::debug). Forwards every query, require and prefer to the strand, so any_io_executor takes it.
///
/// Once ~System has cancelled a coroutine (ActorCell::discards its number), the executor no longer runs the
/// coroutine's resumption: it destroys it, on the strand, which destroys the coroutine's frames the way a
/// destroyed io_context does (destructors of locals run; catch blocks and code after the co_await do not).
/// Resuming would throw operation_aborted through every frame, and that unwinding was the largest cost of
/// ~System with many waiting handlers (two throws per coroutine, measured).
///
/// The raw cell pointer is safe: whoever holds a copy runs inside the actor's coroutine, whose completion
/// handler keeps the cell alive.
template <class Inner>
class CellExecutor {
public:
  CellExecutor(Inner inner, ActorCell* cell, std::uint64_t coroutine) noexcept
      : inner_(std::move(inner)), cell_(cell), coroutine_(coroutine) {}

  ActorCell* cell() const noexcept { return cell_; }

  template <class Property>
  auto query(const Property& property) const noexcept(noexcept(asio::query(std::declval<const Inner&>(), property)))
      -> decltype(asio::query(std::declval<const Inner&>(), property)) {
    return asio::query(inner_, property);
  }

  template <class Property>
  auto require(const Property& property) const
      -> CellExecutor<std::decay_t<decltype(asio::require(std::declval<const Inner&>(), property))>> {
    return {asio::require(inner_, property), cell_, coroutine_};
  }

  template <class Property>
  auto prefer(const Property& property) const
      -> CellExecutor<std::decay_t<decltype(asio::prefer(std::declval<const Inner&>(), property))>> {
    return {asio::prefer(inner_, property), cell_, coroutine_};
  }

  template <class Function>
  void execute(Function&& function) const {
    if (!cell_->discards(coroutine_)) {
      inner_.execute(Marked<std::decay_t<Function>>{cell_, std::forward<Function>(function)});
    } else if (inner_.running_in_this_thread()) {
      CurrentScope scope(cell_);
      [[maybe_unused]] std::decay_t<Function> destroyed(std::forward<Function>(function));
    } else {
      inner_.execute(Destroyed<std::decay_t<Function>>{cell_, std::forward<Function>(function)});
    }
  }

  friend bool operator==(const CellExecutor& a, const CellExecutor& b) noexcept {
    return a.cell_ == b.cell_ && a.coroutine_ == b.coroutine_ && a.inner_ == b.inner_;
  }
  friend bool operator!=(const CellExecutor& a, const CellExecutor& b) noexcept { return !(a == b); }

private:
  template <class Function>
  struct Marked {
    ActorCell* cell;
    Function function;
    void operator()() {
      CurrentScope scope(cell);
      function();
    }
  };

  /// Destroys the function on the strand instead of calling it.
  template <class Function>
  struct Destroyed {
    ActorCell* cell;
    std::optional<Function> function;
    void operator()() {
      CurrentScope scope(cell);
      function.reset();
    }
  };

  Inner inner_;
  ActorCell* cell_;
  std::uint64_t coroutine_;
};

}  // namespace cokka::detail
