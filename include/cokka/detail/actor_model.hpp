#pragma once

#include <cokka/detail/actor_base.hpp>
#include <cokka/detail/hook_names.hpp>
#include <cokka/detail/type_name.hpp>
#include <cokka/message.hpp>

#include <asio/awaitable.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace cokka::detail {

template <class T>
inline constexpr bool is_awaitable = false;
template <class T>
inline constexpr bool is_awaitable<asio::awaitable<T>> = true;

template <class T>
struct awaitable_value {
  using type = T;
};
template <class T>
struct awaitable_value<asio::awaitable<T>> {
  using type = T;
};
/// R for `R` and for `asio::awaitable<R>`.
template <class T>
using unwrap_awaitable_t = typename awaitable_value<T>::type;

/// Wraps a coroutine whose T co_spawn cannot complete with (co_spawn hands a default-constructed T next to an
/// exception).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// g++ 12 flags the coroutine frame of a template instantiated with a type from an anonymous namespace, as if
// the frame were a class with external linkage (it is not visible outside the translation unit either).
#pragma GCC diagnostic ignored "-Wsubobject-linkage"
#endif
template <class T>
asio::awaitable<Message> box_reply(asio::awaitable<T> coroutine) {
  T value = co_await std::move(coroutine);
  co_return Message(std::move(value));
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Completes `done` with `value` as the reply. Boxing may throw (a null C string, a failed allocation, a
/// throwing move): that fails the handler instead of escaping from co_spawn's completion into the io thread.
template <class T>
void reply_with(CoroutineDone& done, T&& value) noexcept {
  Message reply;
  try {
    reply = Message(std::forward<T>(value));
  } catch (...) {
    return done(std::current_exception(), Message{});
  }
  done(nullptr, std::move(reply));
}

// co_spawn runs the handler's own coroutine: a second coroutine layer that boxes the value would cost every
// coroutine handler a frame, and every failing one a rethrow (measured: the largest cost of ~System with
// thousands of waiting handlers). The second layer (box_reply) is used only where the value could fail on its
// way to the completion handler, which runs inside co_spawn's machinery where an exception would escape
// io_context::run: a T without a default constructor (co_spawn passes T() next to an error) or with a move
// constructor that may throw. Boxing a value that does not fit a Message inline allocates, and may throw
// bad_alloc: the completion handler catches that and hands it to the asker.
template <class T>
void PendingCoroutine::spawn_awaitable(void* coroutine, const asio::any_io_executor& executor,
                                       asio::cancellation_slot slot, CoroutineDone done) {
  auto& awaitable = *static_cast<asio::awaitable<T>*>(coroutine);
  if constexpr (std::is_void_v<T>) {
    asio::co_spawn(executor, std::move(awaitable),
                   asio::bind_cancellation_slot(slot, [done = std::move(done)](std::exception_ptr error) mutable {
                     done(std::move(error), Message{});
                   }));
  } else if constexpr (std::is_default_constructible_v<T> && std::is_nothrow_move_constructible_v<T>) {
    asio::co_spawn(executor, std::move(awaitable),
                   asio::bind_cancellation_slot(slot, [done = std::move(done)](std::exception_ptr error, T value) mutable {
                     if (error)
                       done(std::move(error), Message{});
                     else
                       reply_with(done, std::move(value));
                   }));
  } else {
    asio::co_spawn(executor, box_reply(std::move(awaitable)),
                   asio::bind_cancellation_slot(slot, [done = std::move(done)](std::exception_ptr error, Message reply) mutable {
                     done(std::move(error), std::move(reply));
                   }));
  }
}

/// Calls `f` and boxes what it returns: a value becomes the reply, a coroutine is left to run.
template <class F>
HandlerResult run_boxed(F&& f) {
  using Result = std::invoke_result_t<F>;
  if constexpr (is_awaitable<Result>) {
    return {Message{}, PendingCoroutine(std::forward<F>(f)())};
  } else if constexpr (std::is_void_v<Result>) {
    std::forward<F>(f)();
    return {};
  } else {
    return {Message(std::forward<F>(f)()), {}};
  }
}

/// Logs Pykka's "unexpected message" warning (the default on_receive).
void log_unexpected_message(const ActorBase& actor, const Message& message);

/// The object System::start<A> actually creates: A itself, plus the hook dispatch for A's hooks found by name.
/// Deriving from A keeps one allocation per actor and lets dynamic_cast find A's bases (Registry::get_by_class).
/// A member named like a hook that cannot be called as that hook (wrong parameters, private) fails to compile
/// with a sentence; members that look like a hook A lacks (on_recieve) are logged once per actor type.
template <class A>
class ActorModel final : public A {
public:
  template <class... Args>
  explicit ActorModel(Args&&... args) : A(std::forward<Args>(args)...) {
    warn_near_misses_once();
  }

private:
  static void warn_near_misses_once() {
    static constexpr auto misses = near_misses<A>(HookLookalikes{});
    if constexpr (!misses.empty()) {
      [[maybe_unused]] static const bool warned = (warn_near_misses(type_name<A>(), misses), true);
    }
  }

  HandlerResult cokka_on_start() override {
    if constexpr (requires(ActorModel& a) { a.on_start(); }) {
      return run_boxed([this] { return A::on_start(); });
    } else {
      static_assert(!has_member<A, MemberProbe_on_start>,
                    "cokka cannot call this actor's on_start as its hook: declare it `void on_start()` (or a "
                    "coroutine returning asio::awaitable<void>), public or protected");
      return {};
    }
  }
  HandlerResult cokka_on_stop() override {
    if constexpr (requires(ActorModel& a) { a.on_stop(); }) {
      return run_boxed([this] { return A::on_stop(); });
    } else {
      static_assert(!has_member<A, MemberProbe_on_stop>,
                    "cokka cannot call this actor's on_stop as its hook: declare it `void on_stop()` (or a "
                    "coroutine returning asio::awaitable<void>), public or protected");
      return {};
    }
  }
  HandlerResult cokka_on_failure(std::exception_ptr error) override {
    if constexpr (requires(ActorModel& a) { a.on_failure(std::move(error)); }) {
      return run_boxed([this, &error] { return A::on_failure(std::move(error)); });
    } else {
      static_assert(!has_member<A, MemberProbe_on_failure>,
                    "cokka cannot call this actor's on_failure as its hook: declare it `void "
                    "on_failure(std::exception_ptr)` (or a coroutine returning asio::awaitable<void>), public or "
                    "protected");
      return {};
    }
  }
  HandlerResult cokka_on_receive(Message& message) override {
    if constexpr (requires(ActorModel& a) { a.on_receive(message); }) {
      return run_boxed([this, &message] { return A::on_receive(message); });
    } else {
      static_assert(!has_member<A, MemberProbe_on_receive>,
                    "cokka cannot call this actor's on_receive as its hook: declare it `R "
                    "on_receive(cokka::Message&)` (R: the reply, void, or asio::awaitable<R> for a coroutine), "
                    "public or protected");
      log_unexpected_message(*this, message);
      return {};
    }
  }
};

}  // namespace cokka::detail
