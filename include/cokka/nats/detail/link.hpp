#pragma once
// The thin templated edge between a RemoteRef and the node's connection (lib/nats/link.cpp): encoding a request
// for its static type, and a sink that decodes the reply into the asker's Future<R>. Everything else is behind
// the type-erased functions at the bottom.

#include <cokka/detail/type_name.hpp>
#include <cokka/future.hpp>
#include <cokka/message.hpp>
#include <cokka/nats/detail/wire.hpp>
#include <cokka/nats/errors.hpp>
#include <cokka/promise.hpp>

#include <chrono>
#include <concepts>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace cokka::nats::detail {

class Link;

/// The outcome of one remote ask, delivered exactly once on the node's strand.
class ReplySink {
public:
  virtual ~ReplySink() = default;
  /// The handler returned a value registered under `name`, encoded in `body`.
  virtual void value(std::string_view name, const Object& body) noexcept = 0;
  /// The handler returned nothing (a void handler).
  virtual void empty() noexcept = 0;
  /// The ask failed (RemoteError, RemoteUnavailable, Timeout, ...).
  virtual void fail(std::exception_ptr error) noexcept = 0;
};

/// "reply <name>" or "no reply" for the errors below.
std::string describe_reply(std::string_view name);

/// Completes a Promise<R>: decodes the reply as an R (a Message: whatever registered type it is; void: ignored),
/// or fails it with BadReplyType naming both types.
template <class R>
class PromiseSink final : public ReplySink {
public:
  explicit PromiseSink(Promise<R> promise) : promise_(std::move(promise)) {}

  void value(std::string_view name, const Object& body) noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        promise_.set_value();
      } else if constexpr (std::same_as<R, Message>) {
        const Codec* codec = find_codec(name);
        if (!codec) throw BadReplyType("cokka::nats: the " + describe_reply(name) + " is not registered in this process");
        promise_.set_value(codec->decode(body));
      } else {
        if (name != wire_name<R>()) bad_type(name);
        R reply{};
        unpack(body, reply);
        promise_.set_value(std::move(reply));
      }
    } catch (...) {
      promise_.set_exception(std::current_exception());
    }
  }

  void empty() noexcept override {
    if constexpr (std::is_void_v<R>) {
      promise_.set_value();
    } else if constexpr (std::same_as<R, Message>) {
      promise_.set_value(Message{});
    } else {
      try {
        bad_type({});
      } catch (...) {
        promise_.set_exception(std::current_exception());
      }
    }
  }

  void fail(std::exception_ptr error) noexcept override { promise_.set_exception(std::move(error)); }

private:
  [[noreturn]] static void bad_type(std::string_view name) {
    throw BadReplyType("cokka::nats: the remote " + describe_reply(name) + " is not a " + cokka::detail::type_name<R>());
  }

  Promise<R> promise_;
};

/// Writes `[name, body]`, the request envelope, for a statically typed message.
template <class M>
void encode_request(Buffer& buffer, const M& message) {
  Packer packer(buffer);
  packer.pack_array(2);
  constexpr std::string_view name = wire_name<M>();
  packer.pack_str(static_cast<std::uint32_t>(name.size()));
  packer.pack_str_body(name.data(), static_cast<std::uint32_t>(name.size()));
  pack(packer, message);
}
/// The same for a type-erased Message, through the registry; throws InvalidState when its type is not registered.
void encode_request(Buffer& buffer, const Message& message);

/// Compile-time gate of every send: a sentence instead of a template backtrace.
template <class M>
constexpr void check_sendable() {
  static_assert(std::same_as<M, Message> || WireMessage<M>,
                "cokka::nats: this message type cannot travel to a remote actor: register it with "
                "COKKA_MESSAGE(Type, \"app.Type/1\", fields...) (top-level messages are COKKA_MESSAGE types, "
                "std::string, bool or arithmetic types)");
}
template <class R>
constexpr void check_reply() {
  static_assert(std::is_void_v<R> || std::same_as<R, Message> || WireMessage<R>,
                "cokka::nats: ask<R>: R must be void, cokka::Message, or a type that can travel (a COKKA_MESSAGE "
                "type, std::string, bool or an arithmetic type)");
}

/// Publishes a tell. Throws RemoteUnavailable when the node is closed or the connection cannot take it.
void send_tell(Link& link, const std::string& subject, const Buffer& request);
/// Publishes an ask whose outcome goes to `sink` (at once when it cannot be sent), at the latest after `timeout`.
void send_ask(Link& link, const std::string& subject, const Buffer& request, std::chrono::milliseconds timeout,
              std::unique_ptr<ReplySink> sink) noexcept;
/// A future that becomes the reason (a RemoteUnavailable) once nobody serves `subject` any more.
Future<std::exception_ptr> watch_presence(Link& link, const std::string& subject);

}  // namespace cokka::nats::detail
