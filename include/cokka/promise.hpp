/// @file
/// cokka::Promise<T>: the writing end of a cokka::Future<T>.
#pragma once

#include <cokka/future.hpp>

#include <exception>
#include <memory>
#include <utility>

namespace cokka {

/// Completes a Future<T> exactly once, from any thread.
///
/// Move-only. Destroying a promise that was never completed fails its future with BrokenPromise, so a
/// waiter is never left hanging.
template <class T>
class Promise {
public:
  /// A promise with a fresh shared state, not completed yet.
  Promise() : state_(std::make_shared<detail::FutureState<T>>()) {}
  /// @cond COKKA_INTERNAL
  /// For cokka itself: a promise of `producer`'s reply (lets a debug dump say whose reply an actor awaits).
  Promise(detail::ProducerKey, const detail::ActorCell& producer) : Promise() { state_->set_producer(&producer); }
  /// @endcond
  /// Takes over `other`'s future; `other` is left empty (completing it throws InvalidState).
  Promise(Promise&&) noexcept = default;
  /// Fails this promise's own future with BrokenPromise if it was not completed, then takes over `other`'s.
  Promise& operator=(Promise&& other) noexcept {
    if (this != &other) {
      break_unset();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  /// Fails the future with BrokenPromise if it was never completed.
  ~Promise() { break_unset(); }

  /// The future this promise completes; may be called any number of times (all share the result).
  Future<T> get_future() const { return Future<T>(state_); }

  /// Stores the value (nothing for `Promise<void>`) and wakes every waiter. Throws FutureAlreadySet
  /// when the future was already completed.
  template <class... Args>
  void set_value(Args&&... args) {
    state().set_value(std::forward<Args>(args)...);
  }

  /// Stores an exception that every `get()` rethrows. Throws FutureAlreadySet when already completed.
  void set_exception(std::exception_ptr error) { state().set_exception(std::move(error)); }

private:
  detail::FutureState<T>& state() {
    if (!state_) throw InvalidState("cokka::Promise: this promise was moved from");
    return *state_;
  }
  void break_unset() noexcept {
    if (state_ && !state_->ready())
      state_->try_set_exception(std::make_exception_ptr(
          BrokenPromise("cokka::Promise: destroyed without setting a value; the future can never complete")));
  }

  std::shared_ptr<detail::FutureState<T>> state_;
};

/// A future that is already completed with `value` (nothing for `void`).
template <class T, class... Args>
Future<T> make_ready_future(Args&&... args) {
  Promise<T> promise;
  promise.set_value(std::forward<Args>(args)...);
  return promise.get_future();
}

/// A future that is already failed with `error`.
template <class T>
Future<T> make_exceptional_future(std::exception_ptr error) {
  Promise<T> promise;
  promise.set_exception(std::move(error));
  return promise.get_future();
}

}  // namespace cokka
