/// @file
/// fmt formatters for cokka's types, so that fmt::format and spdlog print them as cokka's logs do:
///
///     spdlog::info("asking {}", ref);      // "asking app::Greeter (urn:uuid:...)"
///     spdlog::info("via {}", proxy);       // "via Proxy of app::Calculator (urn:uuid:...).playback"
///     spdlog::warn("dropped {}", message); // "dropped Message(app::Ping)"
#pragma once

#include <cokka/actor_ref.hpp>
#include <cokka/detail/proxy_path.hpp>
#include <cokka/message.hpp>

#include <fmt/format.h>

#include <string>
#include <string_view>

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
