#pragma once

#include <memory>

namespace cokka::detail {

class ActorCell;

/// The seeded schedule's hook (cokka::testing::TestSystem with a Seed): every drain an actor requests goes here
/// instead of to its strand, and the kit releases one ready actor at a time, picked by its generator
/// (ActorCell::post_picked_drain). Called on the thread that drives the system.
class DrainPicker {
public:
  /// `cell` has messages to handle and waits to be picked.
  virtual void ready(std::shared_ptr<ActorCell> cell) noexcept = 0;

protected:
  ~DrainPicker() = default;
};

/// How cokka::testing::TestSystem builds its System: virtual time, one message per drain turn (so that each
/// message is a point where the schedule can switch actors), the destructor driving the borrowed io_context
/// itself, and the seeded schedule's picker (null: FIFO, as Asio queues the drains).
struct TestMode {
  DrainPicker* picker = nullptr;
};

}  // namespace cokka::detail
