/// @file
/// fmt formatters for cokka's types, so that fmt::format and spdlog print them as cokka's logs do, and
/// `operator<<` writing the same text to a std::ostream:
///
///     spdlog::info("asking {}", ref);      // "asking app::Greeter (urn:uuid:...)"
///     spdlog::info("via {}", proxy);       // "via Proxy of app::Calculator (urn:uuid:...).playback"
///     spdlog::warn("dropped {}", message); // "dropped Message(app::Ping)"
///     std::cerr << error;                  // "cokka::Timeout: no result within 100 ms"
#pragma once

#include <cokka/actor_ref.hpp>
#include <cokka/detail/proxy_path.hpp>
#include <cokka/errors.hpp>
#include <cokka/message.hpp>

#include <fmt/format.h>

#include <concepts>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

/// Formats an ActorRef as `to_string(ref)`: "Type (urn:uuid:...)", or "(no actor)" for an empty ref.
template <class A>
struct fmt::formatter<cokka::ActorRef<A>> : fmt::formatter<std::string_view> {
  /// Writes `to_string(ref)` to `context` (fmt calls it; it may be called from any thread).
  template <class FormatContext>
  auto format(const cokka::ActorRef<A>& ref, FormatContext& context) const -> decltype(context.out()) {
    return fmt::formatter<std::string_view>::format(to_string(ref), context);
  }
};

/// Formats a Proxy as "Proxy of Type (urn:uuid:...)", followed by the traversable members it goes through
/// (".playback.track") for a nested proxy. Needs cokka/proxy.hpp where a proxy is formatted.
template <class X>
struct fmt::formatter<cokka::Proxy<X>> : fmt::formatter<std::string_view> {
  /// Writes the proxy's description to `context` (fmt calls it; it may be called from any thread).
  template <class FormatContext>
  auto format(const cokka::Proxy<X>& proxy, FormatContext& context) const -> decltype(context.out()) {
    std::string text = "Proxy of " + to_string(proxy.cokka_ref_);
    append_path(text, typename cokka::detail::ProxyPathOf<X>::type{});
    return fmt::formatter<std::string_view>::format(text, context);
  }

private:
  template <class Root, auto... Members>
  static void append_path(std::string& text, cokka::Path<Root, Members...>) {
    ((text += '.', text += cokka::detail::traversable_name<Members>()), ...);
  }
};

/// Formats a Message by the type it holds: "Message(app::Ping)", "Message(void)" when empty.
template <>
struct fmt::formatter<cokka::Message> : fmt::formatter<std::string_view> {
  /// Writes "Message(<type>)" to `context`: the held type's name, not the value.
  template <class FormatContext>
  auto format(const cokka::Message& message, FormatContext& context) const -> decltype(context.out()) {
    return fmt::formatter<std::string_view>::format("Message(" + message.type_name() + ")", context);
  }
};

/// Formats a cokka error (any type derived from cokka::Error) as "Type: what()", as cokka's logs print
/// exceptions: "cokka::ActorDeadError: app::Greeter (urn:uuid:...) not found".
template <class E>
struct fmt::formatter<E, char, std::enable_if_t<std::is_base_of_v<cokka::Error, E>>> : fmt::formatter<std::string_view> {
  /// Writes "<type>: <what()>" to `context`, the type being the error's dynamic type.
  template <class FormatContext>
  auto format(const cokka::Error& error, FormatContext& context) const -> decltype(context.out()) {
    return fmt::formatter<std::string_view>::format(cokka::detail::describe_error(error), context);
  }
};

namespace cokka {

namespace detail {
template <class T>
inline constexpr bool is_formatted_by_cokka = std::derived_from<T, Error> || std::same_as<T, Message>;
template <class A>
inline constexpr bool is_formatted_by_cokka<ActorRef<A>> = true;
template <class X>
inline constexpr bool is_formatted_by_cokka<Proxy<X>> = true;
}  // namespace detail

/// Writes `value` (an ActorRef, a Proxy, a Message or a cokka error) to `out` as the formatters above print
/// it, so `std::cout << ref` works like `fmt::print("{}", ref)`. Sets `out`'s failbit as any `<<` does when
/// the stream fails; throws what fmt throws (std::bad_alloc).
template <class T>
  requires detail::is_formatted_by_cokka<T>
std::ostream& operator<<(std::ostream& out, const T& value) {
  return out << fmt::format("{}", value);
}

}  // namespace cokka
