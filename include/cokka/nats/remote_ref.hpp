/// @file
/// cokka::nats::RemoteRef: tell and ask an actor that another node serves, by name.
#pragma once

#include <cokka/detail/async_wait.hpp>
#include <cokka/future.hpp>
#include <cokka/message.hpp>
#include <cokka/nats/detail/link.hpp>
#include <cokka/promise.hpp>

#include <asio/async_result.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace cokka::nats {

class Node;

/// A reference to whatever actor serves `name` on the NATS cluster (Node::serve, Node::serve_group), made by
/// Node::ref. Cheap to copy, usable from any thread; it may outlive its Node, and then every send fails with
/// RemoteUnavailable.
///
/// Delivery is at most once: a message is handed to NATS once and never retried, so a connection that drops may
/// lose it; an ask then ends with RemoteUnavailable, a tell is lost silently. Every ask ends: with the reply, the
/// remote handler's exception as a RemoteError, RemoteUnavailable (at once when nobody serves the name, or when
/// the connection drops or the node closes), or Timeout after the ref's timeout (the node's `ask_timeout`
/// unless with_timeout() chose another). Messages and replies must be registered with COKKA_MESSAGE (or be
/// std::string, bool or arithmetic): other types do not compile.
class RemoteRef {
public:
  /// An empty ref (`valid()` is false); its members throw InvalidState.
  RemoteRef() = default;

  /// False for a default-constructed ref.
  bool valid() const noexcept { return link_ != nullptr; }

  /// The name it was made with ("svc.resolver").
  const std::string& name() const noexcept { return name_; }
  /// The NATS subject its messages go to ("cokka.svc.resolver").
  const std::string& subject() const noexcept { return subject_; }
  /// How long an ask through this ref may take before it fails with Timeout.
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }

  /// A copy whose asks fail with Timeout after `timeout` instead.
  RemoteRef with_timeout(std::chrono::milliseconds timeout) const {
    RemoteRef copy = checked();
    copy.timeout_ = timeout;
    return copy;
  }

  /// Sends `message` without waiting for anything (at most once; see the class notes). Throws RemoteUnavailable
  /// when the node is closed or NATS refuses the message (too large, connection closed), and InvalidState when a
  /// cokka::Message holds a type that is not registered.
  template <class M>
  void tell(const M& message) const {
    detail::check_sendable<M>();
    detail::Buffer request;
    detail::encode_request(request, message);
    detail::send_tell(*checked().link_, subject_, request);
  }

  /// Sends `message` now and returns the future reply, converted to `R` (`R = Message`: whatever registered type
  /// the handler returned; `R = void`: ignored). A reply of another type fails the future with BadReplyType. See
  /// the class notes for how an ask ends. Throws only for a cokka::Message of an unregistered type (InvalidState).
  template <class R = Message, class M>
  Future<R> ask(const M& message) const {
    detail::check_sendable<M>();
    detail::check_reply<R>();
    checked();
    detail::Buffer request;
    detail::encode_request(request, message);
    return send_ask<R>(request);
  }

  /// Sends `message` and blocks for the reply for at most `timeout` (the ask itself ends then too: Timeout).
  /// Throws BlockingCallInActor inside an actor's handler.
  template <class R = Message, class M, class Rep, class Period>
  R ask(const M& message, std::chrono::duration<Rep, Period> timeout) const {
    return with_timeout(std::chrono::ceil<std::chrono::milliseconds>(timeout)).template ask<R>(message).get();
  }

  /// Sends `message` when the operation is initiated and completes `token` (any Asio completion token) with
  /// `(std::exception_ptr, R)` on the token's executor, like ActorRef::ask.
  template <class R = Message, class M, class CompletionToken>
    requires(!cokka::detail::is_duration<std::decay_t<CompletionToken>>)
  auto ask(const M& message, CompletionToken&& token) const {
    detail::check_sendable<M>();
    detail::check_reply<R>();
    detail::Buffer request;  // encoded now: a lazy token may outlive `message`
    detail::encode_request(request, message);
    return asio::async_initiate<CompletionToken, typename cokka::detail::WaitSignature<R>::type>(
        [](auto handler, const RemoteRef& target, const detail::Buffer& encoded) {
          target.send_ask<R>(encoded).async_wait(std::move(handler));
        },
        token, checked(), std::move(request));
  }

  /// Completes `token` with `(std::exception_ptr error, std::exception_ptr why)` once nobody serves the name any
  /// more, checked by a liveness probe every `heartbeat` of the node: `why` is a RemoteUnavailable saying what was
  /// seen (no responders, the served actor is dead, or `missed_heartbeats` probes unanswered). `error` is
  /// asio::error::operation_aborted (as a std::system_error) when the node closes first or the wait is
  /// cancelled through the token's cancellation slot. Probing stops once the answer is known.
  template <class CompletionToken>
  auto async_wait_stopped(CompletionToken&& token) const {
    return detail::watch_presence(*checked().link_, subject_).async_wait(std::forward<CompletionToken>(token));
  }

  /// Refs are equal when they go through the same node to the same name (timeouts aside).
  friend bool operator==(const RemoteRef& a, const RemoteRef& b) noexcept {
    return a.link_ == b.link_ && a.subject_ == b.subject_;
  }

  /// "svc.resolver (remote, subject cokka.svc.resolver)", or "(no remote actor)" for an empty ref.
  friend std::string to_string(const RemoteRef& ref) {
    return ref.link_ ? ref.name_ + " (remote, subject " + ref.subject_ + ")" : "(no remote actor)";
  }

private:
  friend class Node;
  RemoteRef(std::shared_ptr<detail::Link> link, std::string name, std::string subject, std::chrono::milliseconds timeout)
      : link_(std::move(link)), name_(std::move(name)), subject_(std::move(subject)), timeout_(timeout) {}

  template <class R>
  Future<R> send_ask(const detail::Buffer& request) const {
    Promise<R> promise;
    auto future = promise.get_future();
    detail::send_ask(*link_, subject_, request, timeout_, std::make_unique<detail::PromiseSink<R>>(std::move(promise)));
    return future;
  }

  const RemoteRef& checked() const {
    if (!link_) throw InvalidState("cokka::nats::RemoteRef: this ref is empty (default-constructed)");
    return *this;
  }

  std::shared_ptr<detail::Link> link_;
  std::string name_;
  std::string subject_;
  std::chrono::milliseconds timeout_{0};
};

}  // namespace cokka::nats
