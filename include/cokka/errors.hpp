/// @file
/// Every exception cokka throws derives from cokka::Error, itself a std::runtime_error.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

namespace cokka {

/// Base of all cokka exceptions: catch this to handle any runtime error cokka reports.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The actor is dead (stopped, failed, or never started): it did not and will not handle the message.
class ActorDeadError : public Error {
public:
  using Error::Error;
};

/// A blocking wait (`Future::get(timeout)`, `ActorRef::stop(timeout)`) ran out of time. The operation itself
/// goes on: a later wait on the same future may still see the result.
class Timeout : public Error {
public:
  using Error::Error;
};

/// `Message::as<T>()` was asked for a type the message does not hold; the text names both types.
class BadMessageType : public Error {
public:
  using Error::Error;
};

/// `ask<R>` got a reply that is not an `R`; the text names both types.
class BadReplyType : public Error {
public:
  using Error::Error;
};

/// A `Promise` was completed twice.
class FutureAlreadySet : public Error {
public:
  using Error::Error;
};

/// The `Promise` was destroyed without being completed, so its future can never get a value.
class BrokenPromise : public Error {
public:
  using Error::Error;
};

/// A blocking `get()` was called from inside an actor's handler on a future that is not ready: it could
/// deadlock the thread pool. Inside actors, `co_await fut` or `co_await fut.async_wait(asio::use_awaitable)`.
class BlockingCallInActor : public Error {
public:
  using Error::Error;
};

/// An actor's coroutine handler awaited the reply of an actor that is, directly or through other actors,
/// awaiting this actor's own reply: neither could ever go on (each owns its mailbox until its handler ends).
/// The wait fails at once instead of hanging. what() names the cycle from the actor whose wait failed,
/// "ask cycle: Bob (urn:uuid:...) -> Alice (urn:uuid:...) -> Bob (urn:uuid:...)". Break it by not awaiting
/// inside the handler (tell the reply back, or hand the future to `then`).
class AskCycle : public Error {
public:
  using Error::Error;
};

/// The operation is not allowed in the current state (for example `start()` on a system that is shutting down).
class InvalidState : public Error {
public:
  using Error::Error;
};

/// A blocking `get()` on a cokka::testing::TestSystem's thread found nothing left that could complete the
/// future: no message queued, no timer pending. what() names who waits on whom.
class Deadlock : public Error {
public:
  using Error::Error;
};

namespace detail {
/// "Type: what()", the way cokka's logs and formatters print an exception ("cokka::Timeout: no result ...").
std::string describe_error(const std::exception& error);
}  // namespace detail

}  // namespace cokka
