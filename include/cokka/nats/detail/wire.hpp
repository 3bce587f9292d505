#pragma once
// The msgpack encoding of values behind COKKA_MESSAGE: which C++ types can travel, how each is packed, and how
// each is read back from a parsed msgpack object, with a DecodeError (never UB) on anything else.

#include <cokka/errors.hpp>
#include <cokka/message.hpp>

#include <msgpack/object.hpp>
#include <msgpack/pack.hpp>
#include <msgpack/sbuffer.hpp>

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cokka::nats::detail {

using Buffer = msgpack::sbuffer;
using Packer = msgpack::packer<msgpack::sbuffer>;
using Object = msgpack::object;

/// The bytes are not an encoding of the expected type; the text says what was expected and what was found.
class DecodeError : public Error {
public:
  using Error::Error;
};

/// A COKKA_MESSAGE type: ADL finds the descriptor the macro wrote next to it.
template <class T>
concept Described = requires { cokka_wire_descriptor(static_cast<const T*>(nullptr)); };
template <class T>
using DescriptorOf = decltype(cokka_wire_descriptor(static_cast<const T*>(nullptr)));

template <class T>
inline constexpr bool is_vector = false;
template <class T, class A>
inline constexpr bool is_vector<std::vector<T, A>> = true;
template <class T>
inline constexpr bool is_set = false;
template <class T, class C, class A>
inline constexpr bool is_set<std::set<T, C, A>> = true;
template <class T>
inline constexpr bool is_array = false;
template <class T, std::size_t N>
inline constexpr bool is_array<std::array<T, N>> = true;
template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;
template <class T>
inline constexpr bool is_map = false;
template <class K, class V, class C, class A>
inline constexpr bool is_map<std::map<K, V, C, A>> = true;
template <class K, class V, class H, class E, class A>
inline constexpr bool is_map<std::unordered_map<K, V, H, E, A>> = true;
template <class T>
inline constexpr bool is_pair = false;
template <class A, class B>
inline constexpr bool is_pair<std::pair<A, B>> = true;
template <class T>
inline constexpr bool is_duration = false;
template <class R, class P>
inline constexpr bool is_duration<std::chrono::duration<R, P>> = true;

/// An enum whose every value of its underlying type is a valid value (enum class, or `enum E : int`): decoding a
/// number no enumerator names is then well-defined. (Only those allow `E{underlying}`.)
template <class T>
concept FixedEnum = std::is_enum_v<T> && requires { T{std::underlying_type_t<T>{}}; };

/// True for the types a field may have. Nested containers are checked when they are packed.
template <class T>
inline constexpr bool is_wire_value =
    std::is_arithmetic_v<T> || FixedEnum<T> || std::same_as<T, std::string> || is_vector<T> || is_set<T> ||
    is_array<T> || is_optional<T> || is_map<T> || is_pair<T> || is_duration<T> || Described<T>;

/// What a top-level message or reply may be: a COKKA_MESSAGE type, std::string, bool or an arithmetic type.
template <class T>
concept WireMessage = Described<T> || std::is_arithmetic_v<T> || std::same_as<T, std::string>;

/// The stable name a top-level value travels under.
template <WireMessage T>
constexpr std::string_view wire_name() {
  if constexpr (Described<T>) {
    return DescriptorOf<T>::cokka_wire_name;
  } else if constexpr (std::same_as<T, std::string>) {
    return "string";
  } else if constexpr (std::same_as<T, bool>) {
    return "bool";
  } else if constexpr (std::is_floating_point_v<T>) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8, "cokka::nats: long double cannot travel; use double");
    return sizeof(T) == 4 ? "f32" : "f64";
  } else if constexpr (std::is_signed_v<T>) {
    constexpr std::string_view names[] = {"", "i8", "i16", "", "i32", "", "", "", "i64"};
    return names[sizeof(T)];
  } else {
    constexpr std::string_view names[] = {"", "u8", "u16", "", "u32", "", "", "", "u64"};
    return names[sizeof(T)];
  }
}

[[noreturn]] void throw_decode_error(std::string_view expected, const Object& found);
/// Length of a msgpack container or string, checked against what the receiving C++ type can hold.
std::size_t checked_size(const Object& object, msgpack::type::object_type expected, std::string_view what);

template <class T>
void pack(Packer& packer, const T& value);
template <class T>
void unpack(const Object& object, T& out);

template <class T>
void pack(Packer& packer, const T& value) {
  if constexpr (std::same_as<T, bool>) {
    value ? packer.pack_true() : packer.pack_false();
  } else if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T>)
      packer.pack_int64(static_cast<std::int64_t>(value));
    else
      packer.pack_uint64(static_cast<std::uint64_t>(value));
  } else if constexpr (std::is_floating_point_v<T>) {
    if constexpr (sizeof(T) <= sizeof(float))
      packer.pack_float(value);
    else
      packer.pack_double(static_cast<double>(value));
  } else if constexpr (FixedEnum<T>) {
    pack(packer, static_cast<std::underlying_type_t<T>>(value));
  } else if constexpr (std::same_as<T, std::string>) {
    packer.pack_str(static_cast<std::uint32_t>(value.size()));
    packer.pack_str_body(value.data(), static_cast<std::uint32_t>(value.size()));
  } else if constexpr (std::same_as<T, std::vector<std::byte>>) {
    packer.pack_bin(static_cast<std::uint32_t>(value.size()));
    packer.pack_bin_body(reinterpret_cast<const char*>(value.data()), static_cast<std::uint32_t>(value.size()));
  } else if constexpr (is_vector<T> || is_set<T> || is_array<T>) {
    packer.pack_array(static_cast<std::uint32_t>(value.size()));
    for (const auto& element : value) pack(packer, element);
  } else if constexpr (is_optional<T>) {
    if (value)
      pack(packer, *value);
    else
      packer.pack_nil();
  } else if constexpr (is_map<T>) {
    packer.pack_map(static_cast<std::uint32_t>(value.size()));
    for (const auto& [key, mapped] : value) {
      pack(packer, key);
      pack(packer, mapped);
    }
  } else if constexpr (is_pair<T>) {
    packer.pack_array(2);
    pack(packer, value.first);
    pack(packer, value.second);
  } else if constexpr (is_duration<T>) {
    pack(packer, value.count());
  } else if constexpr (Described<T>) {
    packer.pack_array(static_cast<std::uint32_t>(DescriptorOf<T>::cokka_field_count));
    DescriptorOf<T>::cokka_visit(value, [&packer](const char*, const auto& field) { pack(packer, field); });
  } else {
    static_assert(is_wire_value<T>,
                  "cokka::nats: this type cannot travel. Fields may be bool, integers, floating-point numbers, enums "
                  "with a fixed underlying type (enum class, or enum E : int), "
                  "std::string, std::vector, std::array, std::set, std::optional, std::map, std::unordered_map, "
                  "std::pair, std::chrono::duration and COKKA_MESSAGE types (and combinations of them).");
  }
}

template <class T>
void unpack(const Object& object, T& out) {
  using msgpack::type::object_type;
  if constexpr (std::same_as<T, bool>) {
    if (object.type != object_type::BOOLEAN) throw_decode_error("a bool", object);
    out = object.via.boolean;
  } else if constexpr (std::is_integral_v<T>) {
    if (object.type == object_type::POSITIVE_INTEGER) {
      if (object.via.u64 > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        throw_decode_error("an integer that fits its field", object);
      out = static_cast<T>(object.via.u64);
    } else if (object.type == object_type::NEGATIVE_INTEGER) {
      if constexpr (std::is_unsigned_v<T>) {
        throw_decode_error("a non-negative integer", object);
      } else {
        if (object.via.i64 < static_cast<std::int64_t>(std::numeric_limits<T>::min()))
          throw_decode_error("an integer that fits its field", object);
        out = static_cast<T>(object.via.i64);
      }
    } else {
      throw_decode_error("an integer", object);
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (object.type == object_type::FLOAT32 || object.type == object_type::FLOAT64)
      out = static_cast<T>(object.via.f64);
    else if (object.type == object_type::POSITIVE_INTEGER)
      out = static_cast<T>(object.via.u64);
    else if (object.type == object_type::NEGATIVE_INTEGER)
      out = static_cast<T>(object.via.i64);
    else
      throw_decode_error("a number", object);
  } else if constexpr (FixedEnum<T>) {
    std::underlying_type_t<T> raw{};
    unpack(object, raw);
    out = static_cast<T>(raw);
  } else if constexpr (std::same_as<T, std::string>) {
    out.assign(object.via.str.ptr, checked_size(object, object_type::STR, "a string"));
  } else if constexpr (std::same_as<T, std::vector<std::byte>>) {
    auto size = checked_size(object, object_type::BIN, "binary data");
    auto* bytes = reinterpret_cast<const std::byte*>(object.via.bin.ptr);
    out.assign(bytes, bytes + size);
  } else if constexpr (is_vector<T> || is_set<T>) {
    auto size = checked_size(object, object_type::ARRAY, "an array");
    out.clear();
    if constexpr (is_vector<T>) out.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
      typename T::value_type element{};
      unpack(object.via.array.ptr[i], element);
      if constexpr (is_vector<T>)
        out.push_back(std::move(element));
      else
        out.insert(std::move(element));
    }
  } else if constexpr (is_array<T>) {
    if (checked_size(object, object_type::ARRAY, "an array") != out.size())
      throw_decode_error("an array of the field's fixed size", object);
    for (std::size_t i = 0; i < out.size(); ++i) unpack(object.via.array.ptr[i], out[i]);
  } else if constexpr (is_optional<T>) {
    if (object.type == object_type::NIL) {
      out.reset();
    } else {
      typename T::value_type value{};
      unpack(object, value);
      out = std::move(value);
    }
  } else if constexpr (is_map<T>) {
    auto size = checked_size(object, object_type::MAP, "a map");
    out.clear();
    for (std::size_t i = 0; i < size; ++i) {
      typename T::key_type key{};
      typename T::mapped_type mapped{};
      unpack(object.via.map.ptr[i].key, key);
      unpack(object.via.map.ptr[i].val, mapped);
      out.insert_or_assign(std::move(key), std::move(mapped));
    }
  } else if constexpr (is_pair<T>) {
    if (checked_size(object, object_type::ARRAY, "a pair") != 2) throw_decode_error("an array of two", object);
    unpack(object.via.array.ptr[0], out.first);
    unpack(object.via.array.ptr[1], out.second);
  } else if constexpr (is_duration<T>) {
    typename T::rep count{};
    unpack(object, count);
    out = T(count);
  } else if constexpr (Described<T>) {
    using Descriptor = DescriptorOf<T>;
    if (checked_size(object, object_type::ARRAY, "an array of fields") != Descriptor::cokka_field_count)
      throw DecodeError(std::string("cokka::nats: ") + Descriptor::cokka_wire_name + " has " +
                        std::to_string(Descriptor::cokka_field_count) + " fields, the message has " +
                        std::to_string(object.via.array.size));
    std::size_t index = 0;
    Descriptor::cokka_visit(out, [&](const char* name, auto& field) {
      try {
        unpack(object.via.array.ptr[index++], field);
      } catch (const DecodeError& e) {
        throw DecodeError(std::string(e.what()) + " (field " + name + " of " + Descriptor::cokka_wire_name + ")");
      }
    });
  } else {
    static_assert(is_wire_value<T>, "cokka::nats: this type cannot travel (see the list in pack())");
  }
}

/// How one registered top-level type is written and read: the body of a message of that type (no name).
struct Codec {
  std::string_view name;
  const std::type_info* type;
  void (*encode)(Packer&, const Message&);
  Message (*decode)(const Object&);
};

/// Adds `codec` to the process-wide registry (COKKA_MESSAGE's static initialiser calls this). A second type under
/// a name already taken is logged as an error and ignored: both processes would disagree about the bytes.
bool register_codec(const Codec& codec) noexcept;
/// The codec registered for `type`, or null.
const Codec* find_codec(const std::type_info& type) noexcept;
/// The codec registered under `name`, or null.
const Codec* find_codec(std::string_view name) noexcept;

template <WireMessage T>
Codec codec_for() {
  return Codec{wire_name<T>(), &typeid(T),
               [](Packer& packer, const Message& message) { pack(packer, *message.get_if<T>()); },
               [](const Object& object) {
                 T value{};
                 unpack(object, value);
                 return Message(std::move(value));
               }};
}

template <WireMessage T>
bool register_message() noexcept {
  static_assert(std::is_default_constructible_v<T>,
                "cokka::nats: a COKKA_MESSAGE type must be default-constructible (the decoder fills in its fields)");
  return register_codec(codec_for<T>());
}

}  // namespace cokka::nats::detail
