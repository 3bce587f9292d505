/// @file
/// cokka::MailboxOptions: a bound on an actor's mailbox and what a send into a full one does.
#pragma once

#include <cokka/errors.hpp>

#include <cstddef>

namespace cokka {

/// What `tell` does when the mailbox is full (`ask` always fails its future with MailboxFull then).
enum class OnFull : unsigned char {
  fail,         ///< `tell` throws MailboxFull
  drop_newest,  ///< `tell` drops the message it was given and counts it (debug::ActorSnapshot::dropped)
};

/// `ActorOptions::mailbox`. Capacity counts user messages waiting in the mailbox (tells, asks, proxy calls);
/// control messages (stop, stop_now, Terminated, the actor's timer deliveries) bypass it.
struct MailboxOptions {
  /// The most user messages queued at once; 0 (the default) is unbounded.
  std::size_t capacity = 0;
  /// What a plain `tell` into a full mailbox does. `try_tell` returns false and `async_tell` waits either way.
  OnFull on_full = OnFull::fail;
};

/// A send into a bounded mailbox found it full: `tell` with OnFull::fail throws it, an `ask` fails its future with
/// it. what() names the actor and its capacity.
class MailboxFull : public Error {
public:
  using Error::Error;
};

}  // namespace cokka
