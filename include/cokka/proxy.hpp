/// @file
/// cokka::Proxy<A>: call an actor's registered methods and read or write its fields as if it were local.
///
///     auto calc = system.start<Calculator>().proxy();
///     int four = calc.add(1, 3).get();      // Future<int>, runs on the actor's strand
///     calc.last_result.set(17).get();       // field write
///     calc.playback.play().get();           // nested object, still on the actor's strand
///     calc.add.defer(5);                    // tell: no future; an exception stops the actor
///
/// Members come from COKKA_REFLECT (cokka/reflect.hpp).
///
/// Arguments are decay-copied into the message (moved when passed as rvalues, so move-only types work) and
/// reach the method as rvalues. A C string is copied into a std::string when the method takes one (a method
/// taking `const char*` gets the pointer). Any other pointer, or a `std::string_view`, is copied as a pointer:
/// what it points at must outlive the call, which is asynchronous. Pass owning values (std::string) instead.
/// A method returning a reference sends a copy of the referenced value back; one returning `const char*`
/// gives a Future<std::string>.
#pragma once

#include <cokka/actor_ref.hpp>
#include <cokka/detail/proxy_members.hpp>
#include <cokka/detail/proxy_path.hpp>
#include <cokka/errors.hpp>
#include <cokka/reflect.hpp>

#include <cstddef>
#include <functional>
#include <type_traits>

namespace cokka {

namespace detail {

template <class Root>
struct ProxyState {
  ActorRef<Root> cokka_ref_;  // named so that it cannot hide a user's member in the derived Proxy
};

template <class X>
struct NotReflected {
  static_assert(always_false<X>,
                "cokka::Proxy<T>: T has no COKKA_REFLECT(T, ...) visible here; write one after the class, in its "
                "namespace, and define functions that make proxies of T (such as T's own methods) after it");
  template <class>
  struct cokka_calls_ {};
  template <class>
  struct cokka_nested_ {
    template <class Ref>
    explicit cokka_nested_(const Ref&) {}
  };
};

template <class T, bool = HasDescriptor<T>>
struct ProxyDescriptorOf {
  using type = NotReflected<T>;
};
template <class T>
struct ProxyDescriptorOf<T, true> {
  using type = Descriptor<T>;
};

template <class X>
using ProxyPath = typename ProxyPathOf<X>::type;
template <class X>
using ProxyRoot = typename PathTraits<ProxyPath<X>>::root;
template <class X>
using ProxyDescriptor = typename ProxyDescriptorOf<typename PathTraits<ProxyPath<X>>::target>::type;

/// The members followed from the actor, without the actor type: what "same path" compares.
template <class P>
struct PathMembers;
template <class Root, auto... Members>
struct PathMembers<Path<Root, Members...>> {
  using type = Path<void, Members...>;
};

}  // namespace detail

/// A handle to an actor (or to an object inside one, see Path) whose members mirror what COKKA_REFLECT
/// registered: `proxy.method(args...)`, `proxy.method.defer(args...)`, `proxy.field()`, `proxy.field.set(v)`,
/// and `proxy.traversable` (a nested Proxy).
///
/// Made by `ActorRef<A>::proxy()`; making one runs nothing on the actor. Cheap to copy (one ActorRef per
/// proxy and per nested proxy). Usable from any thread; calls made through one proxy from one thread are
/// handled in the order made. A proxy does not keep the actor alive: calls on a dead actor fail with
/// ActorDeadError. Equal when pointing at the same actor through the same path; hashable with std::hash.
template <class X>
class Proxy : public detail::ProxyState<detail::ProxyRoot<X>>,
              public detail::ProxyDescriptor<X>::template cokka_calls_<Proxy<X>>,
              public detail::ProxyDescriptor<X>::template cokka_nested_<detail::ProxyPath<X>> {
public:
  /// @cond COKKA_INTERNAL
  /// For cokka itself (ActorRef::proxy and nested proxies).
  Proxy(detail::ProxyKey, const ActorRef<detail::ProxyRoot<X>>& ref)
      : detail::ProxyState<detail::ProxyRoot<X>>{ref},
        detail::ProxyDescriptor<X>::template cokka_calls_<Proxy<X>>(),
        detail::ProxyDescriptor<X>::template cokka_nested_<detail::ProxyPath<X>>(ref) {}
  /// @endcond

  /// Same actor (proxies of one type always follow the same path).
  friend bool operator==(const Proxy& a, const Proxy& b) noexcept { return a.cokka_ref_ == b.cokka_ref_; }

  /// Proxies of different types are equal only when they follow the same members from the same actor
  /// (e.g. Proxy<Base> and Proxy<Derived> made from refs to one actor).
  template <class Y>
  friend bool operator==(const Proxy& a, const Proxy<Y>& b) noexcept {
    return std::is_same_v<typename detail::PathMembers<detail::ProxyPath<X>>::type,
                          typename detail::PathMembers<detail::ProxyPath<Y>>::type> &&
           a.cokka_ref_ == b.cokka_ref_;
  }
};

// Declared (and documented) in actor_ref.hpp. Throws ActorDeadError("<Type> (<urn>) not found") when the
// actor is dead; fails to compile when A has no COKKA_REFLECT (its own or a base's).
template <class A>
Proxy<A> ActorRef<A>::proxy() const
  requires(!std::is_void_v<A>)
{
  if (!is_alive()) throw ActorDeadError(to_string(*this) + " not found");
  return Proxy<A>(detail::ProxyKey{}, *this);
}

}  // namespace cokka

/// Hashes by actor identity (proxies of one type always follow the same path).
template <class X>
struct std::hash<cokka::Proxy<X>> {
  /// The hash of the actor ref the proxy holds.
  std::size_t operator()(const cokka::Proxy<X>& proxy) const noexcept {
    return std::hash<cokka::ActorRef<cokka::detail::ProxyRoot<X>>>{}(proxy.cokka_ref_);
  }
};
