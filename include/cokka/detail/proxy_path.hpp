#pragma once
// Paths from an actor to a (possibly nested) proxied object, and the member names used in logs.
// A path is a type: Path<Root, &Root::a, &A::b>. Navigation is a fold over `.*`; names are joined at
// compile time into static storage, as the core's call functions want.

#include <cokka/detail/reflect_impl.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

namespace cokka {

/// Names the object a nested proxy points at: the actor `Root`, then the traversable data members
/// followed from it, e.g. `Proxy<Path<Calculator, &Calculator::playback>>` is the type of `calc.playback`.
/// Only cokka creates such proxies (through members registered with traversable(...)).
template <class Root, auto... Members>
struct Path {};

}  // namespace cokka

namespace cokka::detail {

template <class MemberPointer>
struct MemberClass;
template <class Class, class Member>
struct MemberClass<Member Class::*> {
  using type = Class;
};

/// A Proxy<X> points at Path<X> when X is an actor, or at X itself when X is a Path.
template <class X>
struct ProxyPathOf {
  using type = Path<X>;
};
template <class Root, auto... Members>
struct ProxyPathOf<Path<Root, Members...>> {
  using type = Path<Root, Members...>;
};

template <class P>
struct PathTraits;
template <class Root, auto... Members>
struct PathTraits<Path<Root, Members...>> {
  using root = Root;
  static constexpr std::size_t depth = sizeof...(Members);

  /// From the actor object to the proxied object; only ever called on the actor's strand.
  static auto& navigate(Root& actor) noexcept { return (actor .* ... .* Members); }

  using target = std::remove_reference_t<decltype(navigate(std::declval<Root&>()))>;
};

template <auto Member, class Spec>
constexpr bool registers_member() noexcept {
  if constexpr (requires { Spec::cokka_member; }) {
    if constexpr (std::is_same_v<std::remove_const_t<decltype(Spec::cokka_member)>, decltype(Member)>)
      return Spec::cokka_member == Member;
  }
  return false;
}

template <auto Member, class... Specs>
constexpr std::string_view find_traversable_name(TypeList<Specs...>) noexcept {
  std::string_view found;
  ((registers_member<Member, Specs>() && (found = Specs::cokka_name, true)) || ...);
  return found;
}

/// The name traversable(...) registered for the data member `Member`.
template <auto Member>
constexpr std::string_view traversable_name() noexcept {
  using Class = typename MemberClass<decltype(Member)>::type;
  return find_traversable_name<Member>(typename Descriptor<Class>::cokka_members_{});
}

template <std::size_t Size, std::size_t Count>
constexpr std::array<char, Size + 1> join_dotted(const std::array<std::string_view, Count>& parts) noexcept {
  std::array<char, Size + 1> out{};
  std::size_t at = 0;
  for (std::size_t i = 0; i < Count; ++i) {
    if (i != 0) out[at++] = '.';
    for (char c : parts[i]) out[at++] = c;
  }
  return out;
}

/// "member" for a member of the actor itself, "playback.track.member" for a nested one.
template <class P, class Spec>
struct MemberName;
template <class Root, class Spec>
struct MemberName<Path<Root>, Spec> {
  static constexpr const char* value = Spec::cokka_name;
};
template <class Root, auto... Members, class Spec>
struct MemberName<Path<Root, Members...>, Spec> {
  static constexpr std::array<std::string_view, sizeof...(Members) + 1> parts{traversable_name<Members>()...,
                                                                                Spec::cokka_name};
  static constexpr std::size_t size = [] {
    std::size_t total = parts.size() - 1;  // the dots
    for (std::string_view part : parts) total += part.size();
    return total;
  }();
  static constexpr std::array<char, size + 1> storage = join_dotted<size>(parts);
  static constexpr const char* value = storage.data();
};

}  // namespace cokka::detail
