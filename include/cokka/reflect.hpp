/// @file
/// COKKA_REFLECT registers a class's methods, fields and traversable members; cokka::reflect<T> lists them.
/// The registration is what cokka::Proxy builds on, and the names it records appear in logs and errors.
#pragma once

#include <cokka/detail/reflect_impl.hpp>
#include <cokka/detail/reflect_macros.hpp>

#include <array>
#include <cstddef>
#include <string_view>

/// Registers members of `Type` for proxies and cokka::reflect:
///
///     COKKA_REFLECT(Calculator, methods(add, sub), fields(last_result), traversable(playback));
///
/// Write it at namespace scope, after the class definition, in the namespace that declares `Type`, with
/// `Type` unqualified. Every section is optional and may be empty; sections may come in any order.
/// - `methods(...)`: public member functions, including overloaded ones, ones with default arguments,
///   and coroutines returning `asio::awaitable<R>`.
/// - `fields(...)`: public data members, read and written through the proxy.
/// - `traversable(...)`: public data members whose class has its own COKKA_REFLECT; the proxy reaches into
///   them (`proxy.playback.play()`), still running on the owning actor's strand.
/// A class derived from `Type` without a COKKA_REFLECT of its own uses `Type`'s registration.
/// A misspelled or non-data member fails at compile time with a static_assert naming it.
/// The registration is seen only after the macro: a member function of `Type` that makes a proxy of its own
/// class (`self().proxy()`) must be defined after COKKA_REFLECT, outside the class body.
#define COKKA_REFLECT(Type, ...) COKKA_DETAIL_REFLECT(Type, __VA_ARGS__)

namespace cokka {

/// What a registered member is.
enum class MemberKind {
  method,      ///< listed in methods(...): called through the proxy
  field,       ///< listed in fields(...): read with `proxy.name()`, written with `proxy.name.set(v)`
  traversable  ///< listed in traversable(...): `proxy.name` is a proxy of the nested object
};

/// "method", "field" or "traversable".
constexpr std::string_view to_string(MemberKind kind) noexcept {
  switch (kind) {
    case MemberKind::method: return "method";
    case MemberKind::field: return "field";
    case MemberKind::traversable: return "traversable";
  }
  return "unknown";
}

/// One registered member: its name as written in COKKA_REFLECT, and its kind.
struct MemberInfo {
  std::string_view name;  ///< the member's name, as written in COKKA_REFLECT
  MemberKind kind;        ///< which section listed it
  /// Same name and kind.
  friend constexpr bool operator==(const MemberInfo&, const MemberInfo&) = default;
};

/// The registration of one class: its name and members in the order COKKA_REFLECT lists them.
/// A literal type: usable in constant expressions and iterable at run time.
template <std::size_t N>
struct Reflection {
  std::string_view type_name;  ///< `Type` as written in COKKA_REFLECT
  std::array<MemberInfo, N> members;  ///< the registered members, in order

  /// The number of registered members.
  static constexpr std::size_t size() noexcept { return N; }
  /// Iteration over `members` (range-for works on the reflection itself).
  constexpr const MemberInfo* begin() const noexcept { return members.data(); }
  /// End of the iteration over `members`.
  constexpr const MemberInfo* end() const noexcept { return members.data() + N; }
  /// The member at `index` (in COKKA_REFLECT order); `index` must be below size().
  constexpr const MemberInfo& operator[](std::size_t index) const { return members[index]; }
  /// The member called `name`, or nullptr.
  constexpr const MemberInfo* find(std::string_view name) const noexcept {
    for (const MemberInfo& member : members)
      if (member.name == name) return &member;
    return nullptr;
  }
};

/// True for classes with a COKKA_REFLECT (their own or a base's).
template <class T>
concept Reflected = detail::HasDescriptor<T>;

namespace detail {
template <class T, class... Specs>
constexpr auto make_reflection(TypeList<Specs...>) noexcept {
  return Reflection<sizeof...(Specs)>{Descriptor<T>::cokka_type_name, {{MemberInfo{Specs::cokka_name, Specs::cokka_kind}...}}};
}
}  // namespace detail

/// The members COKKA_REFLECT registered for T, e.g. `static_assert(cokka::reflect<Calculator>[0].name == "add")`
/// or `for (auto member : cokka::reflect<Calculator>) ...`.
template <Reflected T>
inline constexpr auto reflect = detail::make_reflection<T>(typename detail::Descriptor<T>::cokka_members_{});

}  // namespace cokka
