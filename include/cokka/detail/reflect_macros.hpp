#pragma once
// What COKKA_REFLECT(Type, sections...) expands to. Everything lands in one descriptor struct,
// CokkaReflect_<Type>, in the user's namespace, plus a function that ADL finds on Type* (only its type is used):
// a macro in the user's namespace cannot specialise anything in cokka, but cokka can ask ADL for it.
//
//   cokka_specs_        one struct per member: its name, kind, a SFINAE-friendly forwarder, and the
//                       static_assert messages that name it (a static_assert text must be a literal)
//   cokka_members_      TypeList of those structs, in the order written
//   cokka_calls_<Host>  the empty method/field member objects a Proxy inherits (found by offsetof)
//   cokka_nested_<Path> the nested proxies of traversable members (they carry their own actor ref)

#include <cokka/detail/reflect_pp.hpp>

#include <cstddef>
#include <type_traits>

#define COKKA_DETAIL_REFLECT(Type, ...)                                                                          \
  struct CokkaReflect_##Type {                                                                                  \
    using cokka_type = Type;                                                                                    \
    [[maybe_unused]] static constexpr char cokka_type_name[] = #Type;                                                  \
    struct cokka_specs_ {                                                                                       \
      COKKA_DETAIL_SECTIONS(COKKA_DETAIL_SPEC, Type, __VA_ARGS__)                                               \
    };                                                                                                          \
    using cokka_members_ = ::cokka::detail::DropFirst<void COKKA_DETAIL_SECTIONS(COKKA_DETAIL_LIST, Type,       \
                                                                                   __VA_ARGS__)>;               \
    template <class Host>                                                                                       \
    struct cokka_calls_ {                                                                                       \
      cokka_calls_() = default;                                                                                 \
      /* the members are stateless views of the enclosing proxy: copying the proxy must not copy them */       \
      cokka_calls_(const cokka_calls_&) noexcept {}                                                             \
      cokka_calls_& operator=(const cokka_calls_&) noexcept { return *this; }                                   \
      COKKA_DETAIL_SECTIONS(COKKA_DETAIL_CALL, Type, __VA_ARGS__)                                               \
    };                                                                                                          \
    template <class Parent>                                                                                     \
    struct cokka_nested_ {                                                                                      \
      [[no_unique_address]] ::cokka::detail::Empty<cokka_nested_> cokka_first_;                                 \
      COKKA_DETAIL_SECTIONS(COKKA_DETAIL_NESTED, Type, __VA_ARGS__)                                             \
      template <class Ref>                                                                                      \
      explicit cokka_nested_([[maybe_unused]] const Ref& cokka_ref)                                             \
          : cokka_first_{} COKKA_DETAIL_SECTIONS(COKKA_DETAIL_INIT, Type, __VA_ARGS__) {}                       \
    };                                                                                                          \
  };                                                                                                            \
  /* defined (not only declared) so that an anonymous namespace does not warn that it is never defined */     \
  [[maybe_unused]] inline CokkaReflect_##Type cokka_reflect_descriptor(Type*) { return {}; }                   \
  static_assert(true)

// ---- cokka_specs_: one struct per member ----
#define COKKA_DETAIL_SPEC_COMMON(Type, name, kind)                                                               \
  [[maybe_unused]] static constexpr char cokka_name[] = #name;                                                         \
  [[maybe_unused]] static constexpr ::cokka::MemberKind cokka_kind = ::cokka::MemberKind::kind;                        \
  template <class Owner>                                                                                        \
  static constexpr ::std::size_t cokka_offset() noexcept {                                                      \
    return offsetof(Owner, name);                                                                               \
  }

#define COKKA_DETAIL_SPEC_cokka_method_(Type, name)                                                              \
  struct name {                                                                                                 \
    COKKA_DETAIL_SPEC_COMMON(Type, name, method)                                                                \
    /* trailing decltype, not decltype(auto): keeps overloads and default arguments, and lets the proxy */    \
    /* test the arguments first so misuse is one static_assert instead of a wall of errors */                  \
    template <class Self, class... Args>                                                                        \
    static auto cokka_call(Self& self, Args&&... args) -> decltype(self.name(static_cast<Args&&>(args)...)) {   \
      return self.name(static_cast<Args&&>(args)...);                                                           \
    }                                                                                                           \
    template <class... Args>                                                                                    \
    static void cokka_reject_args() {                                                                           \
      static_assert(::cokka::detail::always_false<Args...>,                                                     \
                    "cokka: " #Type "::" #name " cannot be called with these arguments through a proxy "       \
                    "(each argument is decay-copied into the message and passed to the method as an rvalue)"); \
    }                                                                                                           \
    template <class... Args>                                                                                    \
    static void cokka_reject_set() {                                                                            \
      static_assert(::cokka::detail::always_false<Args...>,                                                     \
                    "cokka: " #Type "::" #name " is a method, not a field: only members listed in fields(...) " \
                    "can be set");                                                                              \
    }                                                                                                           \
    struct cokka_fallback {                                                                                     \
      int name;                                                                                                 \
    };                                                                                                          \
    template <class C>                                                                                          \
    struct cokka_probe : C, cokka_fallback {};                                                                  \
    /* C has a member `name` (of any kind, overloaded or not) iff the lookup in cokka_probe is ambiguous */     \
    template <class C>                                                                                          \
    static constexpr bool cokka_exists = ::std::is_final_v<C> || !requires { &cokka_probe<C>::name; };         \
  };                                                                                                            \
  static_assert(name::cokka_exists<Type>, "cokka: methods(" #name "): " #Type " has no member named " #name);

#define COKKA_DETAIL_SPEC_cokka_field_(Type, name)                                                               \
  struct name {                                                                                                 \
    COKKA_DETAIL_SPEC_COMMON(Type, name, field)                                                                 \
    template <class Self>                                                                                       \
    static auto cokka_get(Self& self) noexcept -> decltype((self.name)) {                                       \
      return self.name;                                                                                         \
    }                                                                                                           \
    template <class... Args>                                                                                    \
    static void cokka_reject_args() {                                                                           \
      static_assert(::cokka::detail::always_false<Args...>,                                                     \
                    "cokka: " #Type "::" #name " is a field: read it with " #name "() and write it with " #name \
                    ".set(value)");                                                                             \
    }                                                                                                           \
    template <class... Args>                                                                                    \
    static void cokka_reject_set() {                                                                            \
      static_assert(::cokka::detail::always_false<Args...>,                                                     \
                    "cokka: " #Type "::" #name " cannot be assigned from this type (or it is const)");         \
    }                                                                                                           \
    template <class C>                                                                                          \
    static constexpr bool cokka_valid =                                                                         \
        requires { requires ::std::is_member_object_pointer_v<decltype(&C::name)>; };                          \
  };                                                                                                            \
  static_assert(name::cokka_valid<Type>, "cokka: fields(" #name "): " #Type "::" #name                         \
                                         " is not a public data member");

#define COKKA_DETAIL_SPEC_cokka_traversable_(Type, name)                                                         \
  struct name {                                                                                                 \
    [[maybe_unused]] static constexpr char cokka_name[] = #name;                                                       \
    static constexpr ::cokka::MemberKind cokka_kind = ::cokka::MemberKind::traversable;                         \
    template <class C>                                                                                          \
    static constexpr bool cokka_valid =                                                                         \
        requires { requires ::std::is_member_object_pointer_v<decltype(&C::name)>; };                          \
    static_assert(cokka_valid<Type>, "cokka: traversable(" #name "): " #Type "::" #name                        \
                                     " is not a public data member");                                          \
    /* typed as a member of Type even when inherited, so the path names Type's descriptor */                  \
    static constexpr auto cokka_member = ::cokka::detail::as_member_of<Type>(&Type::name);                      \
  };

// ---- cokka_members_: `, cokka_specs_::name` for every member ----
#define COKKA_DETAIL_LIST_cokka_method_(Type, name) , cokka_specs_::name
#define COKKA_DETAIL_LIST_cokka_field_(Type, name) , cokka_specs_::name
#define COKKA_DETAIL_LIST_cokka_traversable_(Type, name) , cokka_specs_::name

// ---- cokka_calls_<Host>: empty member objects for methods and fields ----
#define COKKA_DETAIL_CALL_cokka_method_(Type, name) \
  [[no_unique_address]] ::cokka::detail::MethodProxy<Host, cokka_calls_, cokka_specs_::name> name;
#define COKKA_DETAIL_CALL_cokka_field_(Type, name) \
  [[no_unique_address]] ::cokka::detail::FieldProxy<Host, cokka_calls_, cokka_specs_::name> name;
#define COKKA_DETAIL_CALL_cokka_traversable_(Type, name)

// ---- cokka_nested_<Parent>: a Proxy per traversable member, and its initialiser ----
#define COKKA_DETAIL_NESTED_cokka_method_(Type, name)
#define COKKA_DETAIL_NESTED_cokka_field_(Type, name)
#define COKKA_DETAIL_NESTED_cokka_traversable_(Type, name)                                                       \
  static_assert(::cokka::detail::reflected_for<Parent, ::std::remove_cvref_t<decltype(Type::name)>>,            \
                "cokka: traversable(" #name "): the type of " #Type "::" #name " needs its own COKKA_REFLECT"); \
  ::cokka::Proxy<::cokka::detail::PathAppend<Parent, cokka_specs_::name::cokka_member>> name;

#define COKKA_DETAIL_INIT_cokka_method_(Type, name)
#define COKKA_DETAIL_INIT_cokka_field_(Type, name)
#define COKKA_DETAIL_INIT_cokka_traversable_(Type, name) , name(::cokka::detail::ProxyKey{}, cokka_ref)
