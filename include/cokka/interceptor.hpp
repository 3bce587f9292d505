/// @file
/// cokka::Interceptor: sees every message a System's actors are sent and wraps every handling; the tracing
/// context (Headers) of the message being handled flows into each tell, ask and proxy call its handler makes.
///
///     struct Tracing : cokka::Interceptor {
///       void on_send(const cokka::MessageInfo&, cokka::Headers& headers) noexcept override {
///         headers.set("traceparent", child_of(headers.find("traceparent")));  // the sender's context, copied
///       }
///     };
///     system.add_interceptor(std::make_shared<Tracing>());  // before the first start
#pragma once

#include <cokka/headers.hpp>

#include <exception>
#include <string_view>

namespace cokka {

/// The message an interceptor sees: which actor it is for and what it is.
struct MessageInfo {
  /// The recipient's demangled type name ("app::Greeter").
  std::string_view actor_type;
  /// The recipient's urn.
  std::string_view actor_urn;
  /// The message's type name, or the proxied member ("add", "playback.play").
  std::string_view message;
  /// True for an ask (ask, async_ask, a proxy call that returns a future), false for a tell (a proxy `defer`).
  bool ask = false;
};

/// Hooks into every user message of a System (tells, asks, proxy calls; not timer messages such as tell_after's,
/// stops or Terminated notices). Install with System::add_interceptor before the first actor starts. The hooks run on
/// the threads named below, concurrently for different actors: an interceptor shared by many actors must be
/// thread-safe. They are noexcept: an interceptor that must fail should log and let the message pass.
class Interceptor {
public:
  virtual ~Interceptor() = default;

  /// Runs on the sender's thread as the message is sent, in the order the interceptors were added. `headers`
  /// starts as a copy of the sender's context (cokka::current_headers(): empty outside a handler) with what
  /// the interceptors before this one changed; what it holds after the last one travels with the message. Also
  /// for a message that is then not delivered (a full mailbox refuses or drops it, a wait for room is
  /// cancelled): on_handle is what says it arrived.
  virtual void on_send(const MessageInfo& message, Headers& headers) noexcept;
  /// Runs on the recipient's strand as its handler begins, in the order the interceptors were added.
  virtual void on_handle(const MessageInfo& message, const Headers& headers) noexcept;
  /// Runs on the recipient's strand once its handler ended, a coroutine handler when its coroutine ended, in the
  /// reverse order (each on_handle / on_handled pair wraps the ones added after it). `failure`: what the
  /// handler threw, or what ended it unfinished (the System's shutdown); null on success. Exactly once after
  /// each on_handle; for a handler the shutdown ended on a borrowed io_context nobody runs any more, on the
  /// thread that destroys the System.
  virtual void on_handled(const MessageInfo& message, const Headers& headers, const std::exception_ptr& failure) noexcept;
};

/// The headers of the message the calling actor handles now, kept across `co_await` in a coroutine handler
/// (its resumptions run on the actor's strand with the same message). Also seen by what else runs on the actor's
/// strand meanwhile: on_failure (the failed message's), a child coroutine or `then` continuation on the actor's
/// executor (the message handled when it runs). Empty elsewhere (a plain thread, an io thread outside actors,
/// on_start and on_stop) and while no interceptor is installed. Valid while the handler runs; copy what must
/// outlive it.
const Headers& current_headers() noexcept;

}  // namespace cokka
