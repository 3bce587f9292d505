#pragma once
// The two envelopes on the wire. A request is the msgpack array [name, body]; a reply is [0, name, body] (a value),
// [1] (a void handler), [2, type, what] (the handler threw) or [3, what] (nobody could handle it).

#include "cokka/nats/detail/link.hpp"
#include "cokka/nats/detail/wire.hpp"

#include <msgpack/object.hpp>

#include <cstddef>
#include <string_view>

namespace cokka::nats::detail {

/// The request name of a liveness probe: answered by the serving node itself ([0, "bool", alive]), never by the
/// actor.
inline constexpr std::string_view probe_name = "cokka.probe/1";

/// One msgpack value parsed from `data`, with sizes bounded by the input's length and nesting by 32 levels, so
/// hostile bytes cannot make it allocate more than a small multiple of their size. Throws DecodeError.
msgpack::object_handle parse(const char* data, std::size_t size);

/// A request's parts, viewing into the parsed value.
struct Request {
  std::string_view name;
  const Object* body;
};
/// The parts of a parsed request envelope; throws DecodeError when it is not one.
Request read_request(const Object& envelope);

/// Decodes a reply envelope into `sink`: exactly one of its members is called. Bytes that are not a reply fail it
/// with a RemoteError of type "cokka::nats::DecodeError".
void deliver_reply(const char* data, std::size_t size, ReplySink& sink) noexcept;

/// [0, name, body] for a handler's reply; throws InvalidState when its type is not registered here.
void write_value_reply(Buffer& buffer, const Message& reply);
/// [1].
void write_empty_reply(Buffer& buffer);
/// [2, type, what].
void write_error_reply(Buffer& buffer, std::string_view type, std::string_view what);
/// [3, what].
void write_unavailable_reply(Buffer& buffer, std::string_view what);

}  // namespace cokka::nats::detail
