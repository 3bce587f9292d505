#pragma once

#include <cokka/detail/actor_base.hpp>

#include <functional>
#include <memory>

namespace cokka::detail {

/// Builds a new incarnation of an actor from copies of its start arguments (for restarts).
using ActorFactory = std::function<std::unique_ptr<ActorBase>()>;

}  // namespace cokka::detail
