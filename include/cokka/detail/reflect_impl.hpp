#pragma once
// Compile-time plumbing shared by COKKA_REFLECT, cokka::reflect<T> and cokka::Proxy. No runtime code.

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace cokka {

template <class T>
class Proxy;
template <class Root, auto... Members>
struct Path;

}  // namespace cokka

namespace cokka::detail {

template <class... Ts>
struct TypeList {};
template <class First, class... Rest>
using DropFirst = TypeList<Rest...>;

/// Makes a static_assert depend on template arguments, so it fires only when the template is used.
template <class...>
inline constexpr bool always_false = false;

/// A zero-size member; the tag keeps two of them from needing distinct addresses.
template <class Tag>
struct Empty {};

/// Only cokka constructs proxies.
struct ProxyKey {
  explicit ProxyKey() = default;
};

template <class Host, class Owner, class Spec>
class MethodProxy;
template <class Host, class Owner, class Spec>
class FieldProxy;

// The unqualified name must be visible for the call below to be a function call; the real overloads are
// the ones COKKA_REFLECT declares in the user's namespace, found by argument-dependent lookup on T*.
void cokka_reflect_descriptor() = delete;

template <class T>
concept HasDescriptor = std::is_class_v<T> && requires(T* object) { cokka_reflect_descriptor(object); };

// A class, not an alias template: g++ 12 drops the argument-dependent part of the lookup inside alias templates.
template <HasDescriptor T>
struct DescriptorOf {
  using type = decltype(cokka_reflect_descriptor(static_cast<T*>(nullptr)));
};
/// The CokkaReflect_<Type> struct COKKA_REFLECT generated for T (or for its nearest reflected base).
template <HasDescriptor T>
using Descriptor = typename DescriptorOf<T>::type;

/// HasDescriptor<T>, spelled so that it is only checked once `Context` is known.
template <class Context, class T>
inline constexpr bool reflected_for = HasDescriptor<T>;

/// `&Base::m` written as `&Type::m` has type `M Base::*`; retyping it to `M Type::*` keeps paths
/// anchored in the descriptor that registered the member.
template <class Type, class Member, class Base>
constexpr Member Type::*as_member_of(Member Base::*member) noexcept {
  return member;
}

template <class PathType, auto Member>
struct PathAppendImpl;
template <class Root, auto... Members, auto Member>
struct PathAppendImpl<Path<Root, Members...>, Member> {
  using type = Path<Root, Members..., Member>;
};
template <class PathType, auto Member>
using PathAppend = typename PathAppendImpl<PathType, Member>::type;

}  // namespace cokka::detail
