#pragma once
// Hooks are found by name, so a misspelt or misdeclared hook would simply never run. These probes see members
// by name alone, whatever their kind, signature or access, so that ActorModel can refuse a hook it cannot call
// and warn about members that look like a hook.

#include <array>
#include <cstddef>
#include <span>
#include <string>

// Declares MemberProbe_<name>: `MemberProbe_<name>::in<A>` is true when A has a member called <name>. A class
// deriving from A and from Decoy makes `&Probe::<name>` ambiguous exactly when A has one: name lookup happens
// before access checking, so private members count too.
#define COKKA_DETAIL_MEMBER_PROBE(name)                                     \
  struct MemberProbe_##name {                                               \
    static constexpr const char* spelling = #name;                          \
    struct Decoy {                                                          \
      void name();                                                          \
    };                                                                      \
    template <class A>                                                      \
    struct Probe : A, Decoy {};                                             \
    template <class A>                                                      \
    static constexpr bool in = !requires { &Probe<A>::name; };              \
  };

namespace cokka::detail {

COKKA_DETAIL_MEMBER_PROBE(on_start)
COKKA_DETAIL_MEMBER_PROBE(on_stop)
COKKA_DETAIL_MEMBER_PROBE(on_failure)
COKKA_DETAIL_MEMBER_PROBE(on_receive)

/// True when A has a member named like the hook `Hook` (a MemberProbe_...), whatever its signature or access.
template <class A, class Hook>
inline constexpr bool has_member = Hook::template in<A>;

/// A member whose name suggests the hook it was probably meant to be.
struct NearMiss {
  const char* member;
  const char* hook;
};

/// `Member` looks like `Hook` (both MemberProbe_...): a near miss of A when A has the first and lacks the second.
template <class Member, class Hook>
struct LooksLike {
  template <class A>
  static constexpr bool missed = Member::template in<A> && !Hook::template in<A>;
  static constexpr NearMiss names{Member::spelling, Hook::spelling};
};

// (member, hook it looks like): misspellings, other naming styles, other frameworks' names (Akka's preStart,
// postStop and receive). Names that ordinary methods often have (on_error, handle) are left out: a warning for
// them would mostly be wrong.
#define COKKA_DETAIL_HOOK_LOOKALIKES(X)                                                                    \
  X(on_recieve, on_receive) X(on_recv, on_receive) X(on_message, on_receive) X(on_msg, on_receive)          \
  X(onReceive, on_receive) X(OnReceive, on_receive) X(onMessage, on_receive) X(receive, on_receive)         \
  X(handle_message, on_receive) X(on_receive_, on_receive)                                                  \
  X(on_started, on_start) X(on_startup, on_start) X(onStart, on_start) X(OnStart, on_start)                 \
  X(pre_start, on_start) X(preStart, on_start) X(on_start_, on_start)                                       \
  X(on_stopped, on_stop) X(on_shutdown, on_stop) X(onStop, on_stop) X(OnStop, on_stop)                     \
  X(post_stop, on_stop) X(postStop, on_stop) X(on_stop_, on_stop)                                           \
  X(on_failed, on_failure) X(on_fail, on_failure) X(onFailure, on_failure) X(OnFailure, on_failure)         \
  X(on_failure_, on_failure)

#define COKKA_DETAIL_DECLARE_LOOKALIKE(member, hook) \
  COKKA_DETAIL_MEMBER_PROBE(member)                  \
  using LooksLike_##member = LooksLike<MemberProbe_##member, MemberProbe_##hook>;
#define COKKA_DETAIL_LIST_LOOKALIKE(member, hook) , LooksLike_##member

COKKA_DETAIL_HOOK_LOOKALIKES(COKKA_DETAIL_DECLARE_LOOKALIKE)

template <class... Candidates>
struct NearMissList {};
/// Heads the list so that every generated entry can start with a comma; never a near miss.
struct NoLookalike {
  template <class A>
  static constexpr bool missed = false;
  static constexpr NearMiss names{};
};
using HookLookalikes = NearMissList<NoLookalike COKKA_DETAIL_HOOK_LOOKALIKES(COKKA_DETAIL_LIST_LOOKALIKE)>;

#undef COKKA_DETAIL_LIST_LOOKALIKE
#undef COKKA_DETAIL_DECLARE_LOOKALIKE
#undef COKKA_DETAIL_HOOK_LOOKALIKES
#undef COKKA_DETAIL_MEMBER_PROBE

/// A's members that look like a hook A lacks, computed at compile time (empty for almost every actor).
template <class A, class... Candidates>
consteval auto near_misses(NearMissList<Candidates...>) {
  std::array<NearMiss, (std::size_t{0} + ... + (Candidates::template missed<A> ? 1 : 0))> found{};
  std::size_t next = 0;
  ((Candidates::template missed<A> ? void(found[next++] = Candidates::names) : void()), ...);
  return found;
}

/// Logs one warning per near miss: "<actor_type> has a member <member> that looks like the hook <hook>, ...".
void warn_near_misses(const std::string& actor_type, std::span<const NearMiss> misses);

}  // namespace cokka::detail
