#pragma once
// The member objects of a cokka::Proxy: `proxy.add(...)`, `proxy.add.defer(...)`, `proxy.last_result()`,
// `proxy.last_result.set(v)`. They are empty: each finds its proxy from its own address (offsetof inside the
// standard-layout cokka_calls_ struct, then a static_cast to the proxy), so copying a proxy needs no fix-ups.
// All they do is package the call into a small callable and hand it to the core's call_ask / call_tell:
// the templated path stays thin, the mailbox work lives in the core.

#include <cokka/detail/actor_model.hpp>
#include <cokka/detail/call.hpp>
#include <cokka/detail/proxy_path.hpp>

#include <asio/awaitable.hpp>

#include <tuple>
#include <type_traits>
#include <utility>

namespace cokka::detail {

template <class Host>
struct HostTraits;
template <class X>
struct HostTraits<Proxy<X>> {
  using path = typename ProxyPathOf<X>::type;
  using root = typename PathTraits<path>::root;
  using target = typename PathTraits<path>::target;
};

/// Runs a coroutine method with its arguments owned by the coroutine frame: a method taking `const T&`
/// would otherwise refer to the call's arguments after the message that carried them is gone.
template <class Spec, class Target, class... Args>
auto own_arguments(Target& target, std::tuple<Args...> args)
    -> std::remove_cvref_t<decltype(Spec::cokka_call(target, std::declval<Args>()...))> {
  // Bound to a named local before co_await: g++ 12 destroys temporaries inside co_await twice.
  auto coroutine = std::apply([&target](Args&... each) { return Spec::cokka_call(target, std::move(each)...); }, args);
  if constexpr (std::is_void_v<unwrap_awaitable_t<decltype(coroutine)>>)
    co_await std::move(coroutine);
  else
    co_return co_await std::move(coroutine);
}

/// Calls the method on the actor's strand. A reference result is copied: the caller lives elsewhere.
template <class Spec, class Target, class... Args>
auto invoke_method(Target& target, std::tuple<Args...>& args) {
  using Result = decltype(Spec::cokka_call(target, std::declval<Args>()...));
  if constexpr (is_awaitable<std::remove_cvref_t<Result>>) {
    return own_arguments<Spec>(target, std::move(args));
  } else {
    auto call = [&target](Args&... each) -> Result { return Spec::cokka_call(target, std::move(each)...); };
    if constexpr (std::is_reference_v<Result>)
      return std::remove_cvref_t<Result>(std::apply(call, args));
    else
      return std::apply(call, args);
  }
}

/// What a proxy call keeps of an argument it may own: a decay-copy, with a C string copied into a std::string.
template <class Arg>
using owned_argument_t = message_value_t<std::decay_t<Arg>>;

/// The callable a proxy call sends: the kept arguments plus the way from the actor to the target.
template <class P, class Spec, class... Stored>
auto bind_method_call(std::tuple<Stored...> arguments) {
  return [arguments = std::move(arguments)](typename PathTraits<P>::root& actor) mutable {
    return invoke_method<Spec>(PathTraits<P>::navigate(actor), arguments);
  };
}

/// What MethodProxy and FieldProxy share: finding the proxy they are part of.
template <class Host, class Owner, class Spec>
class MemberView {
protected:
  using Path = typename HostTraits<Host>::path;
  using Root = typename HostTraits<Host>::root;
  using Target = typename HostTraits<Host>::target;

  MemberView() = default;
  MemberView(const MemberView&) = delete;
  MemberView& operator=(const MemberView&) = delete;
  ~MemberView() = default;

  const ActorRef<Root>& actor_ref() const noexcept {
    static_assert(std::is_standard_layout_v<Owner>, "cokka: proxy members must sit in a standard-layout struct");
    auto* owner = reinterpret_cast<const Owner*>(reinterpret_cast<const char*>(this) -
                                                 Spec::template cokka_offset<Owner>());
    return static_cast<const Host&>(*owner).cokka_ref_;
  }
  static constexpr const char* member_name() noexcept { return MemberName<Path, Spec>::value; }
};

/// `proxy.method(args...)` and `proxy.method.defer(args...)`.
template <class Host, class Owner, class Spec>
class MethodProxy : MemberView<Host, Owner, Spec> {
  using View = MemberView<Host, Owner, Spec>;
  using typename View::Path;
  using typename View::Target;

  template <class... Stored>
  static constexpr bool accepts_stored =
      requires(Target& target, Stored... args) { Spec::cokka_call(target, std::move(args)...); };
  template <class... Args>
  static constexpr bool accepts = accepts_stored<owned_argument_t<Args>...> || accepts_stored<std::decay_t<Args>...>;

  // C strings become std::strings where the method takes those (the caller's buffer may be gone by the time
  // the actor runs the call); a method that takes a char pointer gets the pointer.
  template <class... Args>
  static auto keep(Args&&... args) {
    if constexpr (accepts_stored<owned_argument_t<Args>...>)
      return std::tuple<owned_argument_t<Args>...>(own_c_string(std::forward<Args>(args))...);
    else
      return std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...);
  }

public:
  /// Calls the method on the actor's strand (ask path). Returns Future<R> (Future<void> for void, R for a
  /// coroutine returning asio::awaitable<R>, std::string for a C string); the future fails with the method's
  /// exception, or with ActorDeadError when the actor is dead or stops first. Arguments are decay-copied into
  /// the message, C strings as std::string where the method accepts that (a null char pointer then throws
  /// InvalidState here).
  template <class... Args>
  auto operator()(Args&&... args) const {
    if constexpr (accepts<Args...>)
      return call_ask(this->actor_ref(), View::member_name(), bind_method_call<Path, Spec>(keep(std::forward<Args>(args)...)));
    else
      Spec::template cokka_reject_args<Args...>();
  }

  /// Sends the call as a tell: no future. Throws ActorDeadError now when the actor is dead; an exception
  /// from the method later stops the actor (on_failure runs). Arguments are kept as by operator().
  template <class... Args>
  void defer(Args&&... args) const {
    if constexpr (accepts<Args...>)
      call_tell(this->actor_ref(), View::member_name(), bind_method_call<Path, Spec>(keep(std::forward<Args>(args)...)));
    else
      Spec::template cokka_reject_args<Args...>();
  }

  /// Not available: only fields can be set (a static_assert names the member).
  template <class... Args>
  void set(Args&&...) const {
    Spec::template cokka_reject_set<Args...>();
  }

private:
  friend Owner;
  MethodProxy() = default;
};

/// `proxy.field()` reads, `proxy.field.set(value)` writes.
template <class Host, class Owner, class Spec>
class FieldProxy : MemberView<Host, Owner, Spec> {
  using View = MemberView<Host, Owner, Spec>;
  using typename View::Path;
  using typename View::Root;
  using typename View::Target;
  using Field = decltype(Spec::cokka_get(std::declval<Target&>()));  // an lvalue reference
  using Value = std::remove_cvref_t<Field>;

public:
  /// Reads a copy of the field on the actor's strand: Future<T>. Fails with ActorDeadError when dead.
  template <class... Args>
  auto operator()(Args&&...) const {
    if constexpr (sizeof...(Args) == 0)
      return call_ask(this->actor_ref(), View::member_name(),
                      [](Root& actor) { return Value(Spec::cokka_get(PathTraits<Path>::navigate(actor))); });
    else
      Spec::template cokka_reject_args<Args...>();
  }

  /// Assigns `value` (decay-copied; a C string as a std::string where the field accepts that) to the field on
  /// the actor's strand. The Future<void> completes once it is applied; it fails with ActorDeadError when the
  /// actor is dead or stops first. `set({})` works.
  template <class V = Value>
  auto set(V&& value) const {
    if constexpr (std::is_assignable_v<Field, owned_argument_t<V>>)
      return assign(owned_argument_t<V>(own_c_string(std::forward<V>(value))));
    else if constexpr (std::is_assignable_v<Field, std::decay_t<V>>)
      return assign(std::decay_t<V>(std::forward<V>(value)));
    else
      Spec::template cokka_reject_set<V>();
  }

private:
  template <class Stored>
  auto assign(Stored value) const {
    return call_ask(this->actor_ref(), View::member_name(), [value = std::move(value)](Root& actor) mutable {
      Spec::cokka_get(PathTraits<Path>::navigate(actor)) = std::move(value);
    });
  }

  friend Owner;
  FieldProxy() = default;
};

}  // namespace cokka::detail
