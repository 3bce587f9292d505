/// @file
/// cokka::Registry: the live actors of one System.
#pragma once

#include <cokka/actor_ref.hpp>
#include <cokka/detail/actor_base.hpp>
#include <cokka/detail/type_name.hpp>
#include <cokka/future.hpp>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

namespace cokka {

/// The actors of one System that are alive (registered before on_start runs, unregistered before on_stop or
/// on_failure runs), in start order. `system.registry()`; two systems never see each other's actors.
///
/// Every member is thread-safe, also while actors start and stop on other threads. Lookups return snapshots:
/// an actor found may be dead by the time it is used (its ref then says so; `tell` throws ActorDeadError).
class Registry {
public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Every live actor, in start order.
  std::vector<ActorRef<>> get_all() const;

  /// Live actors whose type is `T` or derives from `T` (any base class, also one that is not an actor).
  template <class T>
  std::vector<ActorRef<>> get_by_class() const {
    return select([](const detail::ActorBase& actor) { return dynamic_cast<const T*>(&actor) != nullptr; });
  }

  /// Live actors whose exact type is named `name`: the demangled, namespace-qualified name, as `to_string(ref)`
  /// and the logs print it: "app::Greeter", "app::Box<int>" (g++/clang spelling: `std::string` is
  /// "std::string"). Exact: base classes, unqualified names and aliases do not match.
  std::vector<ActorRef<>> get_by_class_name(std::string_view name) const;

  /// The live actor with this urn, if any.
  std::optional<ActorRef<>> get_by_urn(std::string_view urn) const;

  /// The live actor started with this name (`ActorOptions{.name = ...}`), if any.
  std::optional<ActorRef<>> get_by_name(std::string_view name) const;

  /// Tells `message` (copied per actor) to every live actor, in start order. An actor that dies between the
  /// lookup and its send is skipped: broadcast never throws ActorDeadError (it may throw what copying `M`
  /// throws).
  template <class M>
  void broadcast(const M& message) const {
    tell_each(get_all(), message);
  }
  /// Tells `message` to every live actor of type `T` or derived from it.
  template <class T, class M>
  void broadcast(const M& message) const {
    tell_each(get_by_class<T>(), message);
  }
  /// Tells `message` to every live actor whose type is named `class_name`.
  template <class M>
  void broadcast(std::string_view class_name, const M& message) const {
    tell_each(get_by_class_name(class_name), message);
  }

  /// Stops every live actor, last started first, one at a time (each after the previous one's on_stop ran).
  /// Returns one bool per actor in that order (see ActorRef::stop: false for one that died meanwhile).
  /// Actors started during the call are not stopped. Inside an actor it throws BlockingCallInActor: use
  /// stop_all_async() there.
  std::vector<bool> stop_all();
  /// Like stop_all(), with one deadline shared by all stops: throws Timeout, naming how many actors were
  /// not stopped yet, when it passes (those stop later anyway, except the ones not yet asked to stop).
  std::vector<bool> stop_all(std::chrono::milliseconds timeout);
  /// Queues a stop to every live actor, last started first, without waiting; one future per actor, in that
  /// order. The stops run concurrently, so on_stop hooks of different actors may overlap.
  std::vector<Future<bool>> stop_all_async();

  /// Adds an actor by hand (System::start does this for you), at the end of the start order. False if it is
  /// not running (stopping or dead) or already registered. Logs "Registered X" at debug when it adds.
  bool register_ref(const ActorRef<>& ref);
  /// Removes an actor (it keeps running; ~System still stops it); false if it was not registered. Harmless to
  /// repeat. Logs "Unregistered X" at debug when it removes.
  bool unregister_ref(const ActorRef<>& ref);

  /// Number of live actors.
  std::size_t size() const;

  /// @cond COKKA_INTERNAL
  /// For System::start: reserves `name` for `cell` until the actor is unregistered (or its constructor threw).
  /// Throws InvalidState when a live actor (or one being started) has it.
  void claim_name(const std::string& name, detail::ActorCell& cell);
  /// Lets go of `cell`'s name, if it has one.
  void release_name(detail::ActorCell& cell) noexcept;
  /// @endcond

private:
  template <class M>
  static void tell_each(const std::vector<ActorRef<>>& refs, const M& message) {
    for (const auto& ref : refs) {
      try {
        ref.tell(message);
      } catch (const ActorDeadError&) {  // died between the lookup and the send
      }
    }
  }

  using Predicate = bool (*)(const detail::ActorBase&);
  std::vector<ActorRef<>> select(Predicate predicate) const;

  void release_name_locked(detail::ActorCell& cell) noexcept;

  friend class detail::ActorCell;  // a restart swaps the actor's object under mutex_: select() reads it
  mutable std::mutex mutex_;
  std::unordered_map<std::string, detail::ActorCell*> names_;
  detail::ActorCell* first_ = nullptr;
  detail::ActorCell* last_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace cokka
