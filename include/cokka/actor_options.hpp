/// @file
/// cokka::ActorOptions: everything an actor is started with besides its constructor arguments.
#pragma once

#include <cokka/mailbox.hpp>
#include <cokka/supervision.hpp>

#include <optional>
#include <string>

namespace cokka {

/// The optional first argument of `System::start`: `system.start<A>(cokka::ActorOptions{...}, args...)`. Every
/// field is defaulted so that an actor started without options behaves as one started with `ActorOptions{}`.
struct ActorOptions {
  /// A registry name, unique among the System's live actors: `registry().get_by_name(name)` finds the actor.
  /// Empty: no name. `start` throws InvalidState when a live actor already has it.
  std::string name{};
  /// Restart the actor when it fails, instead of stopping it (Pykka's default, without a policy).
  std::optional<RestartPolicy> restart{};
  /// A bound on the mailbox (default: unbounded). See cokka/mailbox.hpp and docs/mailboxes.md.
  MailboxOptions mailbox{};
};

}  // namespace cokka
