/// @file
/// cokka::testing: a deterministic test kit. TestSystem runs actors on the test thread under a virtual clock;
/// probes stand in for collaborators; seeded schedules replay one interleaving of many.
#pragma once

#include <cokka/actor.hpp>
#include <cokka/errors.hpp>
#include <cokka/message.hpp>
#include <cokka/system.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace cokka::detail {
class FutureStateBase;
}  // namespace cokka::detail

namespace cokka::testing {

/// The seed of a TestSystem's schedule: `TestSystem sys(Seed{42});`.
struct Seed {
  std::uint64_t value;  ///< the same value gives the same interleaving
};

/// A probe's expectation failed; what() names what arrived instead.
class ExpectationFailed : public Error {
public:
  using Error::Error;
};

class TestSystem;

namespace detail {

/// What a probe received, and how it answers asks.
struct ProbeState {
  std::deque<Message> received;
  std::function<Message()> reply;  // empty: asks get a void reply
};

/// The actor behind a Probe: records every message, answers asks with the probe's reply.
struct ProbeActor : Actor<ProbeActor> {
  explicit ProbeActor(std::shared_ptr<ProbeState> state) : state_(std::move(state)) {}
  Message on_receive(Message& message) {
    state_->received.push_back(std::move(message));
    return state_->reply ? state_->reply() : Message{};
  }
  std::shared_ptr<ProbeState> state_;
};

/// What TestSystem keeps outside its System: the io_context the test thread drives (it must outlive the
/// System), and the seeded schedule's picker (the System's shutdown still asks it for drains).
class Driven {
protected:
  explicit Driven(std::optional<Seed> seed);
  ~Driven();
  Driven(const Driven&) = delete;
  Driven& operator=(const Driven&) = delete;

  class Picker;
  asio::io_context context_{1};
  // Keeps poll_one() from stopping the context when it runs dry: the test thread polls it again later.
  asio::executor_work_guard<asio::io_context::executor_type> work_{context_.get_executor()};
  std::unique_ptr<Picker> picker_;
};

}  // namespace detail

/// A stand-in actor that records what it is told or asked, made by TestSystem::probe(). Expectations drive the
/// system until it is idle first, then look at the oldest message not yet taken. Only on the test thread.
class Probe {
public:
  /// The probe's ref, to hand to the actors under test.
  ActorRef<> ref() const { return ref_; }

  /// Runs the system until idle, then takes the oldest message and returns it when it is a `T`; throws
  /// ExpectationFailed naming what arrived instead (or that nothing did).
  template <class T>
  T expect() {
    auto message = take(cokka::detail::type_name<T>());
    if (!message.template is<T>()) mismatch(cokka::detail::type_name<T>(), message);
    return std::move(message.template as<T>());
  }

  /// Runs the system until idle; throws ExpectationFailed naming the first message when one arrived.
  void expect_nothing();

  /// Every ask to the probe from now on gets a copy of `value` as its reply (until the next reply_with).
  template <class T>
  void reply_with(T value) {
    state_->reply = [value = std::move(value)]() -> Message { return Message(value); };
  }

  /// Messages received and not taken yet (after running the system until idle).
  std::size_t pending();

private:
  friend class TestSystem;
  Probe(TestSystem& system, std::shared_ptr<detail::ProbeState> state, ActorRef<> ref)
      : system_(&system), state_(std::move(state)), ref_(std::move(ref)) {}
  Message take(const std::string& expected);
  [[noreturn]] static void mismatch(const std::string& expected, const Message& arrived);

  TestSystem* system_;
  std::shared_ptr<detail::ProbeState> state_;
  ActorRef<> ref_;
};

/// A System whose actors run on the test thread, only when the test drives them, under a virtual clock.
///
/// Everything a System has works the same (start, refs, proxies, registry, timers, tell_after, sleeps,
/// coroutine handlers, futures, supervision); code taking a `System&` takes a TestSystem. Nothing runs
/// until the test calls run_until_idle(), step(), advance() or a blocking `get()`:
/// - the clock (`now()`, every timer, tell_after, sleep_for) starts at 0 and moves only in advance() or in a
///   blocking get() waiting for a timer;
/// - a blocking `get()` on the test thread runs the actors until the future is set. When nothing is queued it
///   moves the clock to the next timer; when no timer is pending either, it throws cokka::Deadlock with a
///   sentence naming who waits on whom. `get(timeout)` waits that long in virtual time (then Timeout);
/// - `TestSystem(Seed{n})` picks the next actor to handle a message among the ready ones with a generator
///   seeded with n: one seed, one interleaving. run_seeds() explores many.
///
/// Asio timers awaited in handlers: use the actor's `sleep_for` / `sleep_until` (or cokka::sleep_for(system,
/// ...)), which run on the virtual clock. A plain asio::steady_timer keeps real time: under the kit it
/// completes only when the test thread drives the system after it expired in wall time, so do not use one in
/// code under test. One TestSystem per thread at a time drives the blocking gets (the latest made).
/// Not thread-safe: use it from the thread that made it.
class TestSystem : private detail::Driven, public System {
public:
  /// A system with first-in first-out scheduling (Asio's order), virtual clock at 0.
  TestSystem();
  /// A system whose schedule is picked by a generator seeded with `seed`.
  explicit TestSystem(Seed seed);
  /// Stops every actor (as ~System), running them on this thread.
  ~TestSystem();

  /// Runs everything ready (messages, completions, timers' deliveries) until nothing is; timers not due stay
  /// pending. Returns the number of handlers run.
  std::size_t run_until_idle();
  /// Runs ready work until one actor handled one message (or nothing is ready: false).
  bool step();
  /// Moves the clock forward by `duration`: each due timer fires in time order, and the system runs until
  /// idle after each. Returns once the clock reads now() + duration and the system is idle.
  void advance(Clock::duration duration);
  /// The virtual clock: Clock::time_point() + the time advanced so far.
  Clock::time_point now() const noexcept { return System::now(); }

  /// A new probe: an actor recording what it gets (see Probe).
  Probe probe();

private:
  class Driver;
  friend class Driver;
  bool poll_one();
  std::unique_ptr<Driver> driver_;
};

/// Runs `scenario` on a fresh TestSystem(Seed{first}), then Seed{first + 1}, ... for `count` seeds. Returns the
/// first seed whose run threw (the exception's what() goes to `failure` when given), or nothing when all
/// passed. Replay it with `TestSystem sys(Seed{n})`.
std::optional<Seed> run_seeds(const std::function<void(TestSystem&)>& scenario, std::uint64_t count,
                              std::uint64_t first = 0, std::string* failure = nullptr);

}  // namespace cokka::testing
