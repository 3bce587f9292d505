#pragma once

#include <cokka/detail/envelope.hpp>

#include <exception>

namespace cokka::detail {

class ActorCell;
class ActorBase;
HandlerResult receive(ActorBase& actor, Message& message);

/// Polymorphic root of every actor object. The cell calls the hooks through these virtuals; they are
/// implemented by ActorModel<A>, the most-derived type System::start<A> creates, which finds A's hooks by name.
class ActorBase {
public:
  ActorBase(const ActorBase&) = delete;
  ActorBase& operator=(const ActorBase&) = delete;
  virtual ~ActorBase() = default;

protected:
  /// Binds to the cell that System::start is constructing on this thread (nullptr outside start).
  ActorBase() noexcept;

  /// The actor's cell; null when the object was not created by System::start.
  ActorCell* cell() const noexcept { return cell_; }

private:
  friend class ActorCell;
  friend HandlerResult receive(ActorBase& actor, Message& message);
  virtual HandlerResult cokka_on_start() = 0;
  virtual HandlerResult cokka_on_stop() = 0;
  virtual HandlerResult cokka_on_failure(std::exception_ptr error) = 0;
  virtual HandlerResult cokka_on_receive(Message& message) = 0;

  ActorCell* cell_;
};

}  // namespace cokka::detail
