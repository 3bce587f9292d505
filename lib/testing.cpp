#include "cokka/testing.hpp"

#include "cokka/debug.hpp"
#include "cokka/detail/future_state.hpp"
#include "cokka/detail/test_mode.hpp"
#include "system_state.hpp"

#include <random>
#include <unordered_set>
#include <vector>

namespace cokka::testing {

namespace detail {

/// The seeded schedule: ready actors wait here; the test thread releases one at a time, picked by the
/// generator. Unseeded, or once shutdown began, drains pass straight to their strands (Asio's FIFO).
class Driven::Picker final : public cokka::detail::DrainPicker {
public:
  explicit Picker(std::optional<Seed> seed) : seeded_(seed.has_value()), generator_(seed ? seed->value : 0) {}

  void ready(std::shared_ptr<cokka::detail::ActorCell> cell) noexcept override {
    if (!seeded_) return cell->post_picked_drain();
    ready_.push_back(std::move(cell));
  }

  /// Releases one ready actor's drain; false when none waits.
  bool release_one() {
    if (ready_.empty()) return false;
    const auto at = static_cast<std::size_t>(generator_() % ready_.size());
    auto cell = std::move(ready_[at]);
    ready_[at] = std::move(ready_.back());
    ready_.pop_back();
    cell->post_picked_drain();
    return true;
  }

  /// From now on drains go straight to their strands (the System's shutdown), those waiting first.
  void stop_picking() {
    seeded_ = false;
    for (auto& cell : ready_) cell->post_picked_drain();
    ready_.clear();
  }

  bool seeded() const noexcept { return seeded_; }

private:
  bool seeded_;
  std::mt19937_64 generator_;
  std::vector<std::shared_ptr<cokka::detail::ActorCell>> ready_;
};

Driven::Driven(std::optional<Seed> seed) : picker_(std::make_unique<Picker>(seed)) {}

Driven::~Driven() = default;

}  // namespace detail

/// Drives the System for blocking gets on the test thread.
class TestSystem::Driver final : public cokka::detail::BlockingDriver {
public:
  explicit Driver(TestSystem& system)
      : system_(system), previous_(std::exchange(cokka::detail::blocking_driver_slot(), this)) {}
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  ~Driver() { cokka::detail::blocking_driver_slot() = previous_; }

  void drive(const cokka::detail::FutureStateBase& state) override {
    if (!drive_until(state, Clock::time_point::max())) throw Deadlock(deadlock_sentence(state));
  }

  bool drive_for(const cokka::detail::FutureStateBase& state, std::chrono::steady_clock::duration timeout) override {
    // Rounded up to the timers' tick: the wall time spent since get(timeout) computed its deadline is not waited.
    const auto until =
        system_.now() + std::chrono::ceil<std::chrono::milliseconds>(std::max(timeout, Clock::duration::zero()));
    if (drive_until(state, until)) return true;
    timers().advance_to(until);
    return state.ready();
  }

private:
  cokka::detail::TimerService& timers() { return *cokka::detail::SystemAccess::state(system_).timers; }

  // Runs the system until `state` is ready; when idle, fires the next timer due by `until`. False when idle
  // with no such timer left.
  bool drive_until(const cokka::detail::FutureStateBase& state, Clock::time_point until) {
    for (;;) {
      while (!state.ready() && system_.poll_one()) {
      }
      if (state.ready()) return true;
      if (!timers().fire_next(until)) return false;
    }
  }

  // "the test thread waits for a reply from B (urn), which waits for a reply from A (urn), which ..."
  std::string deadlock_sentence(const cokka::detail::FutureStateBase& state) {
    const auto actors = debug::snapshot(system_);
    auto find = [&](const cokka::detail::ActorCell* cell) -> const debug::ActorSnapshot* {
      for (const auto& actor : actors)
        if (actor.actor.cell().get() == cell) return &actor;
      return nullptr;
    };
    std::string sentence = "cokka::testing::TestSystem: deadlock: the test thread blocks in get() on a future";
    const auto* waited = find(state.producer());
    if (!waited && state.producer())
      sentence += " from an actor that is gone";
    std::unordered_set<const debug::ActorSnapshot*> seen;
    const char* link = " whose reply would come from ";
    while (waited) {
      sentence += link + waited->type + " (" + waited->urn + ")";
      if (!seen.insert(waited).second) {
        sentence += ": a cycle";
        break;
      }
      if (!waited->handling.empty()) sentence += ", handling " + waited->handling;
      if (!waited->awaiting) break;
      link = ", which waits for a reply from ";
      waited = find(waited->awaiting->cell().get());
    }
    sentence +=
        "; no message is queued and no timer is pending, so nothing can complete it (a reply lost, an ask cycle, "
        "or a promise nobody sets?)";
    return sentence;
  }

  TestSystem& system_;
  cokka::detail::BlockingDriver* previous_;
};

TestSystem::TestSystem()
    : Driven(std::nullopt), System(context_, cokka::detail::TestMode{}), driver_(std::make_unique<Driver>(*this)) {}

TestSystem::TestSystem(Seed seed)
    : Driven(seed), System(context_, cokka::detail::TestMode{picker_.get()}), driver_(std::make_unique<Driver>(*this)) {}

TestSystem::~TestSystem() {
  driver_.reset();
  picker_->stop_picking();  // ~System drives the context itself: drains go straight to their strands
}

bool TestSystem::poll_one() {
  if (context_.poll_one() != 0) return true;
  return picker_->release_one();
}

std::size_t TestSystem::run_until_idle() {
  std::size_t ran = 0;
  while (poll_one()) ++ran;
  return ran;
}

bool TestSystem::step() {
  // A drain turn sets `ran` (one message per turn under the kit).
  auto& ran = cokka::detail::SystemAccess::state(*this).ran;
  ran.store(false, std::memory_order_relaxed);
  while (poll_one())
    if (ran.load(std::memory_order_relaxed)) return true;
  return false;
}

void TestSystem::advance(Clock::duration duration) {
  auto& timers = *cokka::detail::SystemAccess::state(*this).timers;
  const auto until = now() + std::max(duration, Clock::duration::zero());
  run_until_idle();
  while (timers.fire_next(until)) run_until_idle();
  timers.advance_to(until);
}

Probe TestSystem::probe() {
  auto state = std::make_shared<detail::ProbeState>();
  auto ref = start<detail::ProbeActor>(state);
  return Probe(*this, std::move(state), ActorRef<>(ref));
}

Message Probe::take(const std::string& expected) {
  system_->run_until_idle();
  if (state_->received.empty())
    throw ExpectationFailed("cokka::testing::Probe::expect<" + expected +
                            ">: nothing arrived (the system is idle; advance() the clock if a timer sends it)");
  auto message = std::move(state_->received.front());
  state_->received.pop_front();
  return message;
}

void Probe::mismatch(const std::string& expected, const Message& arrived) {
  throw ExpectationFailed("cokka::testing::Probe::expect<" + expected + ">: a " + arrived.type_name() +
                          " arrived instead");
}

void Probe::expect_nothing() {
  if (pending() != 0)
    throw ExpectationFailed("cokka::testing::Probe::expect_nothing: a " + state_->received.front().type_name() +
                            " arrived (" + std::to_string(state_->received.size()) + " message(s) not taken)");
}

std::size_t Probe::pending() {
  system_->run_until_idle();
  return state_->received.size();
}

std::optional<Seed> run_seeds(const std::function<void(TestSystem&)>& scenario, std::uint64_t count,
                              std::uint64_t first, std::string* failure) {
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    try {
      TestSystem system(Seed{seed});
      scenario(system);
    } catch (const std::exception& error) {
      if (failure) *failure = cokka::detail::describe_error(error);
      return Seed{seed};
    }
  }
  return std::nullopt;
}

}  // namespace cokka::testing
