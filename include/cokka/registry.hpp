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
#include <string_view>
#include <vector>

namespace cokka {

/// The actors of one System that are alive (registered before on_start runs, unregistered before on_stop or
/// on_failure runs), in start order. Every member is thread-safe; lookups return snapshots.
class Registry {
public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Every live actor, in start order.
  std::vector<ActorRef<>> get_all() const;

  /// Live actors whose type is `T` or derives from `T`.
  template <class T>
  std::vector<ActorRef<>> get_by_class() const {
    return select([](const detail::ActorBase& actor) { return dynamic_cast<const T*>(&actor) != nullptr; });
  }

  /// Live actors whose exact type is named `name`: the demangled, namespace-qualified name, e.g.
  /// "app::Greeter" (as `to_string(ref)` prints it). Base classes do not match.
  std::vector<ActorRef<>> get_by_class_name(std::string_view name) const;

  /// The live actor with this urn, if any.
  std::optional<ActorRef<>> get_by_urn(std::string_view urn) const;

  /// Tells `message` (copied per actor) to every live actor. Actors that die meanwhile are skipped.
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

  /// Stops every live actor, last started first, one at a time; one bool per actor (see ActorRef::stop).
  std::vector<bool> stop_all();
  /// Like stop_all(), with one deadline shared by all stops; throws Timeout when it passes.
  std::vector<bool> stop_all(std::chrono::milliseconds timeout);
  /// Queues a stop to every live actor, last started first, without waiting.
  std::vector<Future<bool>> stop_all_async();

  /// Adds an actor by hand (System::start does this for you). False if it is dead or already registered.
  bool register_ref(const ActorRef<>& ref);
  /// Removes an actor; false if it was not registered. Harmless to repeat.
  bool unregister_ref(const ActorRef<>& ref);

  /// Number of live actors.
  std::size_t size() const;

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

  mutable std::mutex mutex_;
  detail::ActorCell* first_ = nullptr;
  detail::ActorCell* last_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace cokka
