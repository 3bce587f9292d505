/// @file
/// COKKA_MESSAGE: registers a message type for the wire, from its named fields (msgpack on the wire).
#pragma once

#include <cokka/detail/reflect_pp.hpp>
#include <cokka/nats/detail/wire.hpp>

#include <cstddef>

namespace cokka::nats {

/// True for the types that can be sent to or returned from a remote actor: COKKA_MESSAGE types, std::string,
/// bool and arithmetic types. Anything else fails to compile at the sending call, with a message naming the fix.
template <class T>
concept WireMessage = detail::WireMessage<T>;

}  // namespace cokka::nats

/// Registers `Type` for the wire under the stable name `wire_name`, encoded as the msgpack array of the listed
/// fields, in the order written (the field names appear only in error messages):
///
/// ```cpp
/// namespace app {
/// struct Resolve { std::string host; std::optional<int> port; };
/// COKKA_MESSAGE(Resolve, "app.Resolve/1", host, port);
/// }
/// ```
///
/// Write it at namespace scope, in `Type`'s namespace, after the type (an anonymous namespace works); `Type` is a
/// plain identifier (no `::`, no template arguments). Both processes must register the type under the same name
/// with the same fields: change the name (`/2`) when the fields change, since a message under a name the receiver
/// does not know, or whose fields do not decode, is refused there (a dead letter; an ask gets a RemoteError).
/// The type must be default-constructible, and every field must be a type the codec supports (bool, integers,
/// floating-point numbers, enums with a fixed underlying type (enum class, `enum E : int`), std::string,
/// std::vector, std::array, std::set, std::optional, std::map, std::unordered_map, std::pair,
/// std::chrono::duration and other COKKA_MESSAGE types): anything else fails to compile here. A second type registered under a name already taken is logged as an error and ignored.
#define COKKA_MESSAGE(Type, wire_name, ...)                                                                     \
  struct CokkaWire_##Type {                                                                                     \
    static constexpr const char* cokka_wire_name = wire_name;                                                   \
    static constexpr ::std::size_t cokka_field_count = 0 COKKA_DETAIL_NAMES(COKKA_NATS_DETAIL_COUNT, Type,      \
                                                                             __VA_ARGS__);                      \
    template <class Value, class Visitor>                                                                       \
    static void cokka_visit([[maybe_unused]] Value& value, [[maybe_unused]] Visitor&& visitor) {                \
      COKKA_DETAIL_NAMES(COKKA_NATS_DETAIL_VISIT, Type, __VA_ARGS__)                                            \
    }                                                                                                           \
  };                                                                                                            \
  [[maybe_unused]] inline CokkaWire_##Type cokka_wire_descriptor(const Type*) { return {}; }                    \
  [[maybe_unused]] inline const bool cokka_wire_registered_##Type =                                             \
      ::cokka::nats::detail::register_message<Type>();                                                          \
  static_assert(true)

/// @cond COKKA_INTERNAL
#define COKKA_NATS_DETAIL_COUNT(Type, field) +1
#define COKKA_NATS_DETAIL_VISIT(Type, field) visitor(#field, value.field);
/// @endcond
