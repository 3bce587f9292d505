// The registry of wire types (COKKA_MESSAGE and the built-in scalars) and the request and reply envelopes.
#include "envelope.hpp"

#include "../log.hpp"

#include <msgpack/unpack.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <typeindex>
#include <unordered_map>

namespace cokka::nats::detail {

namespace {

class Registry {
public:
  Registry() {
    add(codec_for<bool>());
    add(codec_for<signed char>());
    add(codec_for<short>());
    add(codec_for<int>());
    add(codec_for<long>());
    add(codec_for<unsigned char>());
    add(codec_for<unsigned short>());
    add(codec_for<unsigned>());
    add(codec_for<unsigned long>());
    add(codec_for<float>());
    add(codec_for<double>());
    add(codec_for<std::string>());
    // Same width, same wire name: sent like the types above, decoded as them when the receiver asks for a Message.
    alias(codec_for<char>());
    alias(codec_for<long long>());
    alias(codec_for<unsigned long long>());
  }

  bool add(const Codec& codec) noexcept {
    std::lock_guard lock(mutex_);
    auto [named, inserted] = by_name_.try_emplace(codec.name, codec);
    if (!inserted && *named->second.type != *codec.type) {
      // Both types would claim the same bytes: keep the first, and let sends of the second fail as unregistered.
      cokka::detail::log(spdlog::level::err, "cokka::nats: COKKA_MESSAGE name \"{}\" is already registered for {}; {} is ignored",
          codec.name, cokka::detail::demangle(*named->second.type), cokka::detail::demangle(*codec.type));
      return false;
    }
    by_type_.try_emplace(std::type_index(*codec.type), codec);
    return true;
  }

  void alias(const Codec& codec) {
    std::lock_guard lock(mutex_);
    by_type_.try_emplace(std::type_index(*codec.type), codec);
  }

  const Codec* find(const std::type_info& type) const noexcept {
    std::lock_guard lock(mutex_);
    auto it = by_type_.find(std::type_index(type));
    return it == by_type_.end() ? nullptr : &it->second;
  }

  const Codec* find(std::string_view name) const noexcept {
    std::lock_guard lock(mutex_);
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &it->second;
  }

private:
  mutable std::mutex mutex_;
  // Node-based maps: the Codec pointers handed out stay valid while others are added.
  std::map<std::string_view, Codec, std::less<>> by_name_;
  std::unordered_map<std::type_index, Codec> by_type_;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

const char* type_word(msgpack::type::object_type type) {
  using msgpack::type::object_type;
  switch (type) {
    case object_type::NIL: return "nil";
    case object_type::BOOLEAN: return "a bool";
    case object_type::POSITIVE_INTEGER:
    case object_type::NEGATIVE_INTEGER: return "an integer";
    case object_type::FLOAT32:
    case object_type::FLOAT64: return "a floating-point number";
    case object_type::STR: return "a string";
    case object_type::BIN: return "binary data";
    case object_type::ARRAY: return "an array";
    case object_type::MAP: return "a map";
    case object_type::EXT: return "an extension value";
  }
  return "an unknown value";
}

void pack_string(Packer& packer, std::string_view text) {
  packer.pack_str(static_cast<std::uint32_t>(text.size()));
  packer.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

std::string_view string_at(const Object& object, std::string_view what) {
  return {object.via.str.ptr, checked_size(object, msgpack::type::STR, what)};
}

}  // namespace

bool register_codec(const Codec& codec) noexcept { return registry().add(codec); }
const Codec* find_codec(const std::type_info& type) noexcept { return registry().find(type); }
const Codec* find_codec(std::string_view name) noexcept { return registry().find(name); }

void throw_decode_error(std::string_view expected, const Object& found) {
  throw DecodeError("cokka::nats: expected " + std::string(expected) + ", found " + type_word(found.type));
}

std::size_t checked_size(const Object& object, msgpack::type::object_type expected, std::string_view what) {
  if (object.type != expected) throw_decode_error(what, object);
  switch (expected) {
    case msgpack::type::STR: return object.via.str.size;
    case msgpack::type::BIN: return object.via.bin.size;
    case msgpack::type::ARRAY: return object.via.array.size;
    case msgpack::type::MAP: return object.via.map.size;
    default: return 0;
  }
}

std::string describe_reply(std::string_view name) {
  return name.empty() ? std::string("reply (nothing: a void handler)") : "reply \"" + std::string(name) + "\"";
}

void encode_request(Buffer& buffer, const Message& message) {
  const Codec* codec = find_codec(message.type());
  if (!codec)
    throw InvalidState("cokka::nats: a message of type " + message.type_name() +
                       " cannot travel: register it with COKKA_MESSAGE(Type, \"app.Type/1\", fields...)");
  Packer packer(buffer);
  packer.pack_array(2);
  pack_string(packer, codec->name);
  codec->encode(packer, message);
}

msgpack::object_handle parse(const char* data, std::size_t size) {
  // Every element takes at least one byte of input: bounding counts by the size bounds the decoder's allocations.
  const msgpack::unpack_limit limit(size, size / 2, size, size, size, 32);
  try {
    std::size_t offset = 0;
    auto handle = msgpack::unpack(data, size, offset, nullptr, nullptr, limit);
    if (offset != size) throw DecodeError("cokka::nats: trailing bytes after the message");
    return handle;
  } catch (const DecodeError&) {
    throw;
  } catch (const std::exception& e) {  // msgpack's parse, size and type errors
    throw DecodeError(std::string("cokka::nats: not a msgpack value: ") + e.what());
  }
}

Request read_request(const Object& envelope) {
  if (checked_size(envelope, msgpack::type::ARRAY, "a request [name, body]") != 2)
    throw DecodeError("cokka::nats: a request is an array of two: [name, body]");
  return Request{string_at(envelope.via.array.ptr[0], "a message name"), &envelope.via.array.ptr[1]};
}

void deliver_reply(const char* data, std::size_t size, ReplySink& sink) noexcept {
  try {
    auto handle = parse(data, size);
    const Object& reply = handle.get();
    auto length = checked_size(reply, msgpack::type::ARRAY, "a reply");
    const Object* parts = reply.via.array.ptr;
    std::uint8_t kind = 0xff;
    if (length > 0) unpack(parts[0], kind);
    if (kind == 0 && length == 3) {
      sink.value(string_at(parts[1], "a reply name"), parts[2]);
    } else if (kind == 1 && length == 1) {
      sink.empty();
    } else if (kind == 2 && length == 3) {
      sink.fail(std::make_exception_ptr(
          RemoteError(std::string(string_at(parts[1], "an exception type")), std::string(string_at(parts[2], "what()")))));
    } else if (kind == 3 && length == 2) {
      sink.fail(std::make_exception_ptr(RemoteUnavailable(std::string(string_at(parts[1], "a reason")))));
    } else {
      throw DecodeError("cokka::nats: not a reply envelope");
    }
  } catch (const std::exception& e) {
    sink.fail(std::make_exception_ptr(RemoteError("cokka::nats::DecodeError", e.what())));
  }
}

void write_value_reply(Buffer& buffer, const Message& reply) {
  const Codec* codec = find_codec(reply.type());
  if (!codec)
    throw InvalidState("cokka::nats: the handler's reply of type " + reply.type_name() +
                       " cannot travel: register it with COKKA_MESSAGE in the serving process");
  Packer packer(buffer);
  packer.pack_array(3);
  packer.pack_uint8(0);
  pack_string(packer, codec->name);
  codec->encode(packer, reply);
}

void write_empty_reply(Buffer& buffer) {
  Packer packer(buffer);
  packer.pack_array(1);
  packer.pack_uint8(1);
}

void write_error_reply(Buffer& buffer, std::string_view type, std::string_view what) {
  Packer packer(buffer);
  packer.pack_array(3);
  packer.pack_uint8(2);
  pack_string(packer, type);
  pack_string(packer, what);
}

void write_unavailable_reply(Buffer& buffer, std::string_view what) {
  Packer packer(buffer);
  packer.pack_array(2);
  packer.pack_uint8(3);
  pack_string(packer, what);
}

}  // namespace cokka::nats::detail
