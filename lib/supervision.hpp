#pragma once

#include "cokka/actor_options.hpp"
#include "cokka/detail/actor_factory.hpp"
#include "cokka/detail/cell.hpp"
#include "cokka/detail/death_watch.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

namespace cokka::detail {

class WatchRecord;

/// One actor's supervision state (in its cell, on its strand, made on first use): its registry name, its restart
/// policy, and the watches it holds on other actors.
class Supervision {
public:
  explicit Supervision(ActorCell& cell);
  Supervision(const Supervision&) = delete;
  Supervision& operator=(const Supervision&) = delete;
  ~Supervision();

  std::string name;

  // --- restarts ---
  void set_restart(const RestartPolicy& policy, ActorFactory factory);
  bool restarts() const noexcept { return factory_ != nullptr; }
  /// A failure happened now: true when the policy allows one more restart (then it is counted).
  bool allow_restart(Clock::time_point now);
  /// The delay before the restart just allowed.
  Clock::duration backoff();
  /// Builds the next incarnation (throws what its constructor throws).
  std::unique_ptr<ActorBase> build() const { return factory_(); }
  /// True from a restart until the new incarnation's on_start has finished.
  bool restarted_instance = false;
  int restart_count() const noexcept { return restarts_in_window_; }
  const RestartPolicy& policy() const noexcept { return policy_; }

  // --- watches this actor holds ---
  void watch(const ActorRef<>& target);
  bool unwatch(const ActorRef<>& target);
  /// At the delivery of a Terminated: true when the watch of `target` with `generation` is still held (it ends).
  bool accept_terminated(const ActorCell* target, std::uint64_t generation);
  /// The actor dies or restarts: every watch it holds ends.
  void end_watches() noexcept;

private:
  ActorCell& cell_;
  RestartPolicy policy_{};
  ActorFactory factory_;
  Clock::time_point window_opened_{};  // the first restart of the current window
  int restarts_in_window_ = 0;
  std::minstd_rand random_{std::random_device{}()};
  std::uint64_t generations_ = 0;
  std::unordered_map<const ActorCell*, std::unique_ptr<WatchRecord>> watches_;
};

}  // namespace cokka::detail
