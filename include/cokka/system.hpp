/// @file
/// cokka::System: the runtime that owns (or borrows) an io_context, starts actors and stops them all.
#pragma once

#include <cokka/actor.hpp>
#include <cokka/actor_options.hpp>
#include <cokka/actor_ref.hpp>
#include <cokka/detail/actor_factory.hpp>
#include <cokka/detail/actor_model.hpp>
#include <cokka/detail/cell.hpp>
#include <cokka/detail/type_name.hpp>
#include <cokka/metrics.hpp>
#include <cokka/registry.hpp>
#include <cokka/timers.hpp>

#include <asio/io_context.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace cokka {

class Interceptor;  // cokka/interceptor.hpp

namespace detail {
struct SystemAccess;  // lib's way to a System's state (lib/system_state.hpp)
struct TestMode;      // cokka::testing::TestSystem's System (cokka/detail/test_mode.hpp)
}  // namespace detail

/// Thread count for System's own thread pool: `cokka::System system(cokka::threads{4});`.
struct threads {
  unsigned count;  ///< Number of io threads the System starts; 0 counts as 1.
};

/// How a System runs: `cokka::System system(cokka::SystemOptions{.threads = 4, .metrics = true});`.
struct SystemOptions {
  unsigned threads = 0;  ///< io threads of its own io_context; 0: std::thread::hardware_concurrency()
  /// Count per actor type what System::metrics() reports. Off, the runtime measures nothing (one untaken branch
  /// per send and per handler); on, a send and a handler each add to counters shared by the actors of a type.
  bool metrics = false;
  /// With metrics: time one message in this many per actor (rounded up to a power of two; 1 times every one).
  /// Timing reads the clock three times, which would cost more than the rest of a short handler's delivery;
  /// the counters are exact either way.
  unsigned metrics_sample = 16;
};

/// Owns the actors it starts and the threads that run them.
///
/// - `System()` runs its own io_context on `std::thread::hardware_concurrency()` threads, `System(threads{n})`
///   on n threads; `System(io_context&)` borrows the caller's context and adds no threads (the caller runs it;
///   it must outlive the System and every ActorRef of it).
/// - The destructor stops all actors, last started first, joins its threads and destroys every actor object.
///   It does not wait for coroutines: a coroutine handler or hook suspended in a `co_await` is destroyed
///   without being resumed (destructors of its locals run, its catch blocks do not), and one queued behind is
///   not started; their asks fail with ActorDeadError. Plain handlers already queued run, then `on_stop`.
///   A plain handler that never returns is the one thing it has to wait for.
/// Not copyable or movable. `start` and `registry` are thread-safe.
class System {
public:
  /// Starts a new io_context on `std::thread::hardware_concurrency()` threads (at least one).
  System();
  /// Starts a new io_context on `count.count` threads (at least one).
  explicit System(threads count);
  /// Starts a new io_context as `options` say (see SystemOptions).
  explicit System(const SystemOptions& options);
  /// Borrows `context`: adds no thread and no work guard, so the caller's threads run the actors (and
  /// `context.run()` returns once the actors are idle and the caller's own work is done). `context` must
  /// outlive the System. The destructor stops the actors through their mailboxes while some thread runs
  /// `context`. If nobody has run it for half a second and no actor's code ever ran on it, the destructor logs
  /// a warning and runs the context's ready handlers itself (`poll`, which may run your handlers too) until the
  /// actors are stopped, and leaves it ready for a later `run()`; if actors ran on it before, it waits for its
  /// threads (warning every five seconds), since polling beside a busy thread would break the context's
  /// serialisation. If `context` is stopped, it stops the actors without running their hooks (after waiting for
  /// a handler another thread is still finishing).
  explicit System(asio::io_context& context);
  /// Borrows `context` as System(context) does, with `options.metrics`; `options.threads` must be 0 (the caller
  /// runs the context), else InvalidState.
  System(asio::io_context& context, const SystemOptions& options);
  System(const System&) = delete;
  System& operator=(const System&) = delete;
  /// Stops every actor (see the class notes) and returns once every actor object is destroyed.
  ~System();

  /// Constructs `A(args...)` in the calling thread, registers it, schedules its `on_start` and returns its
  /// ref; messages sent after start are handled after on_start. A constructor that throws throws here and
  /// registers nothing. Throws InvalidState once the system is shutting down.
  template <class A, class... Args>
  ActorRef<A> start(Args&&... args) {
    return start_new<A>(ActorOptions{}, detail::ActorFactory{}, std::forward<Args>(args)...);
  }

  /// start(args...) with options (see ActorOptions): a name (InvalidState when a live actor has it), a restart
  /// policy. The arguments are taken as std::thread takes them: each restart builds the actor anew from copies,
  /// so they must be copyable (a compile-time error says so otherwise); pass std::ref(x) to a constructor that
  /// keeps a reference, a std::shared_ptr for a value that can only be moved.
  template <class A, class Options, class... Args>
    requires std::same_as<std::remove_cvref_t<Options>, ActorOptions>
  ActorRef<A> start(Options&& options, Args&&... args) {
    static_assert((std::is_copy_constructible_v<std::decay_t<Args>> && ...),
                  "cokka::System::start with ActorOptions: every constructor argument must be copyable (a restart "
                  "policy builds each new incarnation from copies of them); pass std::ref(x) for a reference, or a "
                  "std::shared_ptr to a value that can only be moved");
    detail::ActorFactory factory;
    if (options.restart)
      factory = [... copies = std::decay_t<Args>(args)]() -> std::unique_ptr<detail::ActorBase> {
        return std::make_unique<detail::ActorModel<A>>(std::decay_t<Args>(copies)...);
      };
    return start_new<A>(options, std::move(factory), std::forward<Args>(args)...);
  }

  /// The live actors of this system; valid as long as the System.
  Registry& registry() noexcept;

  /// The io_context the actors run on (owned or borrowed); an owned one lives as long as the System.
  asio::io_context& context() noexcept;

  /// Number of threads this system runs (0 when it borrows the caller's io_context).
  unsigned thread_count() const noexcept;

  /// Per actor type figures as of now (see cokka/metrics.hpp; `metrics::to_prometheus` formats them). Throws
  /// InvalidState when the System was not started with `SystemOptions{.metrics = true}`. Thread-safe.
  metrics::Snapshot metrics() const;
  /// True when the System was started with `SystemOptions{.metrics = true}`.
  bool metrics_enabled() const noexcept;

  /// Adds `interceptor` (cokka/interceptor.hpp) after the ones added before; the System keeps it as long as it
  /// lives. Before the first start only: throws InvalidState once an actor of this System was started, and
  /// for a null one.
  void add_interceptor(std::shared_ptr<Interceptor> interceptor);

  /// Now, on the clock of the System's timers (the reference for tell_after, timers() and sleeps).
  Clock::time_point now() const noexcept;

protected:
  /// cokka::testing::TestSystem's base: borrows `context`, which the test thread drives, with virtual time.
  System(asio::io_context& context, const detail::TestMode& mode);

private:
  friend struct detail::SystemAccess;

  class ConstructionScope {
  public:
    explicit ConstructionScope(detail::ActorCell& cell) noexcept;
    ConstructionScope(const ConstructionScope&) = delete;
    ConstructionScope& operator=(const ConstructionScope&) = delete;
    ~ConstructionScope();

  private:
    detail::ActorCell& cell_;
    detail::ActorCell* previous_;
    int uncaught_;
  };

  template <class A, class... Args>
  ActorRef<A> start_new(const ActorOptions& options, detail::ActorFactory factory, Args&&... args) {
    static_assert(std::is_base_of_v<detail::ActorBase, A>, "cokka::System::start<A>: A must derive from cokka::Actor<A>");
    static_assert(!std::is_final_v<A>, "cokka::System::start<A>: A must not be final (cokka derives from it)");
    auto cell = new_cell(detail::type_name<A>(), options);
    std::unique_ptr<detail::ActorBase> object;
    {
      ConstructionScope scope(*cell);
      object = std::make_unique<detail::ActorModel<A>>(std::forward<Args>(args)...);
    }
    launch(cell, std::move(object), options, std::move(factory));
    return ActorRef<A>(std::move(cell));
  }

  std::shared_ptr<detail::ActorCell> new_cell(const std::string& type_name, const ActorOptions& options);
  void launch(const std::shared_ptr<detail::ActorCell>& cell, std::unique_ptr<detail::ActorBase> object,
              const ActorOptions& options, detail::ActorFactory factory);

  std::unique_ptr<detail::SystemState> state_;
};

template <class CompletionToken>
auto sleep_until(System& system, Clock::time_point at, CompletionToken&& token) {
  return detail::async_sleep_until(detail::timer_service(system), at, system.context().get_executor(),
                                   std::forward<CompletionToken>(token));
}

template <class CompletionToken>
auto sleep_for(System& system, Clock::duration duration, CompletionToken&& token) {
  return sleep_until(system, system.now() + duration, std::forward<CompletionToken>(token));
}

}  // namespace cokka
