// Timers (issue 16, design.md section 13): keyed actor timers, tell_after, sleeps. Orderings and exact counts;
// timeouts are hang guards, and durations only bound from below (a timer never fires early).
#include "support.hpp"

#include <cokka/cokka.hpp>
#include <cokka/testing.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

namespace {

using test::eventually;

enum class Key { tick, other };
struct Tick {
  int n;
};
struct Command {
  std::string what;
  int n = 0;
};

/// Starts and cancels its timers on command, and journals what it receives.
struct Keeper : cokka::Actor<Keeper> {
  explicit Keeper(test::Journal& journal) : journal_(journal) {}
  void on_stop() { journal_.add("stop"); }
  bool on_receive(cokka::Message& msg) {
    if (auto* tick = msg.get_if<Tick>()) {
      journal_.add("tick " + std::to_string(tick->n));
      return true;
    }
    auto& command = msg.as<Command>();
    if (command.what == "single") timers().start_single(Key::tick, Tick{command.n}, std::chrono::milliseconds(command.n));
    if (command.what == "periodic") timers().start_periodic(Key::tick, Tick{command.n}, 5ms);
    if (command.what == "cancel") return timers().cancel(Key::tick);
    if (command.what == "active") return timers().is_active(Key::tick);
    if (command.what == "mark") journal_.add("mark " + std::to_string(command.n));
    return true;
  }
  test::Journal& journal_;
};

}  // namespace

TEST_CASE("a single timer delivers once, after the messages already queued, and is inactive afterwards") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto keeper = system.start<Keeper>(journal);
  keeper.tell(Command{"single", 0});
  keeper.tell(Command{"mark", 1});
  CHECK(eventually([&] { return journal.events().size() == 2; }));
  CHECK(journal.events() == std::vector<std::string>{"mark 1", "tick 0"});
  CHECK_FALSE(keeper.ask<bool>(Command{"active"}).get(5s));
  CHECK_FALSE(keeper.ask<bool>(Command{"cancel"}).get(5s));
}

TEST_CASE("starting an active key replaces its timer: only the new one is delivered") {
  test::Journal journal;
  cokka::testing::TestSystem system;
  auto keeper = system.start<Keeper>(journal);
  keeper.tell(Command{"single", 80});
  keeper.tell(Command{"single", 10});
  CHECK(keeper.ask<bool>(Command{"active"}).get());
  system.advance(9ms);
  CHECK(journal.events().empty());
  system.advance(1ms);
  CHECK(journal.events() == std::vector<std::string>{"tick 10"});
  system.advance(1h);  // the replaced one would have been due at 80 ms
  CHECK(journal.events() == std::vector<std::string>{"tick 10"});
}

namespace {

/// Its handler lets its own timer fire into the mailbox, then cancels it: the queued message must be dropped.
struct CancelAfterEnqueue : cokka::Actor<CancelAfterEnqueue> {
  explicit CancelAfterEnqueue(test::Journal& journal) : journal_(journal) {}
  void on_receive(cokka::Message& msg) {
    if (msg.is<Tick>()) return journal_.add("tick delivered");
    timers().start_single(Key::tick, Tick{1}, 1ms);
    const auto self_urn = std::string(urn());
    const bool queued = eventually([&] {
      for (const auto& actor : cokka::debug::snapshot(system()))
        if (actor.urn == self_urn) return actor.mailbox_depth > 0;
      return false;
    });
    journal_.add(queued ? "queued" : "not queued");
    journal_.add(timers().cancel(Key::tick) ? "cancelled" : "nothing to cancel");
  }
  test::Journal& journal_;
};

}  // namespace

TEST_CASE("a timer cancelled after its message was queued is never delivered") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<CancelAfterEnqueue>(journal);
  actor.ask<void>(0).get(15s);
  actor.ask<void>(std::string("flush")).get(5s);  // the dropped tick was ahead of this
  CHECK(journal.events() == std::vector<std::string>{"queued", "cancelled", "queued", "cancelled"});
}

namespace {

/// Records when each periodic message is handled; the handler takes `busy` each time.
struct Periodic : cokka::Actor<Periodic> {
  Periodic(bool fixed_rate, std::chrono::milliseconds interval, std::chrono::milliseconds first_busy)
      : fixed_rate_(fixed_rate), interval_(interval), first_busy_(first_busy) {}
  void on_start() {
    started_ = system().now();
    if (fixed_rate_)
      timers().start_at_fixed_rate(Key::tick, Tick{0}, interval_);
    else
      timers().start_periodic(Key::tick, Tick{0}, interval_);
  }
  std::vector<cokka::Clock::time_point> on_receive(cokka::Message& msg) {
    if (msg.is<Tick>()) {
      times_.push_back(system().now());
      if (times_.size() == 1) std::this_thread::sleep_for(first_busy_);
      return {};
    }
    auto relative = times_;
    relative.insert(relative.begin(), started_);
    return relative;
  }
  cokka::Clock::time_point started_;
  bool fixed_rate_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds first_busy_;
  std::vector<cokka::Clock::time_point> times_;
};

}  // namespace

TEST_CASE("a periodic timer with a fixed delay: each message is due an interval after the previous was handled") {
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Periodic>(false, 20ms, 30ms);
  std::vector<cokka::Clock::time_point> times;  // the start, then each delivery
  CHECK(eventually([&] { return (times = actor.ask<std::vector<cokka::Clock::time_point>>(0).get(5s)).size() >= 5; }));
  CHECK(times[1] - times[0] >= 20ms);
  CHECK(times[2] - times[1] >= 50ms);  // 30 ms of handling, then the 20 ms delay
  for (std::size_t i = 3; i < times.size(); ++i) CHECK(times[i] - times[i - 1] >= 20ms);
}

TEST_CASE("a fixed-rate timer catches up one missed tick, not all of them, then keeps its grid") {
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Periodic>(true, 20ms, 110ms);  // the first handler misses five ticks
  std::vector<cokka::Clock::time_point> times;  // the start, then each delivery
  CHECK(eventually([&] { return (times = actor.ask<std::vector<cokka::Clock::time_point>>(0).get(5s)).size() >= 5; }));
  // Grid: start + 20, 40, ... ms. The first delivery's handler runs 110 ms; then one catch-up (the latest grid
  // point passed), then the grid again: the third delivery is never before start + 140 ms, which a burst of the
  // missed ticks would be. (Exact instants of both kinds, on virtual time: the next test case.)
  CHECK(times[1] - times[0] >= 20ms);
  CHECK(times[2] - times[1] >= 110ms);
  CHECK(times[3] - times[0] >= 140ms);
  CHECK(times[4] - times[0] >= 160ms);
}

TEST_CASE("on virtual time periodic timers of both kinds deliver exactly on their grid") {
  for (const bool fixed_rate : {false, true}) {
    cokka::testing::TestSystem system;
    auto actor = system.start<Periodic>(fixed_rate, 20ms, 0ms);
    system.advance(100ms);
    const auto times = actor.ask<std::vector<cokka::Clock::time_point>>(0).get();
    std::vector<cokka::Clock::time_point> grid;
    for (auto at = 0ms; at <= 100ms; at += 20ms) grid.emplace_back(at);
    CHECK(times == grid);
  }
}

TEST_CASE("an actor's timers end when it stops: nothing is delivered after on_stop, nothing stays pending") {
  test::Journal journal;
  cokka::testing::TestSystem system;
  auto keeper = system.start<Keeper>(journal);
  keeper.tell(Command{"periodic", 7});
  system.advance(10ms);  // due at 5 and 10 ms
  CHECK(keeper.stop());
  CHECK(journal.events() == std::vector<std::string>{"tick 7", "tick 7", "stop"});
  CHECK(cokka::detail::timer_service(system)->size() == 0);
  system.advance(1h);
  CHECK(journal.events().size() == 3);
}

TEST_CASE("tell_after delivers from anywhere, can be cancelled, and drops its message for an actor that died") {
  test::Journal journal;
  cokka::testing::TestSystem system;
  auto keeper = system.start<Keeper>(journal);
  auto delivered = keeper.tell_after(5ms, Tick{1});
  auto cancelled = keeper.tell_after(60ms, Tick{2});
  CHECK(cancelled.cancel());
  CHECK_FALSE(cancelled.cancel());  // idempotent
  system.advance(5ms);
  CHECK(journal.events() == std::vector<std::string>{"tick 1"});
  CHECK_FALSE(delivered.cancel());  // too late: delivered
  auto orphan = keeper.tell_after(30ms, Tick{3});
  CHECK(keeper.stop());
  system.advance(1h);  // the orphan fires into a dead actor: dropped, no exception anywhere
  CHECK(journal.events() == std::vector<std::string>{"tick 1", "stop"});
  CHECK_FALSE(orphan.cancel());
  CHECK_THROWS_AS(keeper.tell_after(1ms, Tick{4}), cokka::ActorDeadError);
  cokka::Cancellation nothing;
  CHECK_FALSE(nothing.cancel());
}

TEST_CASE("a Cancellation outliving its System is harmless") {
  test::Journal journal;
  cokka::Cancellation late;
  {
    cokka::System system(cokka::threads{1});
    late = system.start<Keeper>(journal).tell_after(1h, Tick{1});
  }
  CHECK_FALSE(late.cancel());
}

namespace {

/// A coroutine handler that sleeps: the actor handles nothing else meanwhile.
struct Sleepy : cokka::Actor<Sleepy> {
  explicit Sleepy(test::Journal& journal) : journal_(journal) {}
  asio::awaitable<void> on_receive(cokka::Message& msg) {
    const auto name = msg.as<std::string>();
    journal_.add("begin " + name);
    co_await sleep_for(30ms, asio::use_awaitable);
    journal_.add("end " + name);
  }
  test::Journal& journal_;
};

}  // namespace

TEST_CASE("sleep_for inside a coroutine handler keeps the actor non-reentrant") {
  test::Journal journal;
  cokka::testing::TestSystem system;
  auto sleepy = system.start<Sleepy>(journal);
  auto a = sleepy.ask<void>(std::string("a"));
  auto b = sleepy.ask<void>(std::string("b"));
  b.get();  // drives the system, moving the clock to each sleep's end
  CHECK(a.ready());
  CHECK(system.now() == cokka::Clock::time_point(60ms));
  CHECK(journal.events() == std::vector<std::string>{"begin a", "end a", "begin b", "end b"});
}

TEST_CASE("cokka::sleep_for takes any completion token and is cancelled through cancellation slots") {
  cokka::System system(cokka::threads{2});
  auto begun = system.now();
  cokka::sleep_for(system, 10ms, asio::use_future).get();
  CHECK(system.now() - begun >= 10ms);

  std::promise<std::error_code> cancelled;
  asio::cancellation_signal signal;
  cokka::sleep_for(system, 1h,
                   asio::bind_cancellation_slot(signal.slot(), [&](std::error_code error) { cancelled.set_value(error); }));
  asio::post(system.context(), [&] { signal.emit(asio::cancellation_type::terminal); });
  CHECK(cancelled.get_future().get() == asio::error::operation_aborted);

  // Raced with awaitable operators: the loser is cancelled.
  std::promise<bool> won;
  auto race = [&]() -> asio::awaitable<void> {
    auto result = co_await (cokka::sleep_for(system, 1h, asio::use_awaitable) ||
                            cokka::sleep_for(system, 5ms, asio::use_awaitable));
    won.set_value(result.index() == 1);
  };
  asio::co_spawn(system.context(), race, asio::detached);
  CHECK(won.get_future().get());
  CHECK(eventually([&] { return cokka::detail::timer_service(system)->size() == 0; }));
}

TEST_CASE("a sleep outlasting its System ends: aborted on its own executor, destroyed with the System's context") {
  asio::io_context app;
  auto work = asio::make_work_guard(app);
  std::thread runner([&app] { app.run(); });
  std::promise<std::error_code> result;
  auto destroyed = std::make_shared<int>(0);
  std::weak_ptr<int> watch = destroyed;
  {
    cokka::System system(cokka::threads{1});
    cokka::sleep_for(system, 1h, asio::bind_executor(app, [&](std::error_code error) { result.set_value(error); }));
    // No executor of its own: it would run on the System's io_context, which goes with the System (as Asio
    // destroys the handlers an io_context still holds).
    cokka::sleep_for(system, 1h, [kept = std::move(destroyed)](std::error_code) { ++*kept; });
  }
  CHECK(result.get_future().get() == asio::error::operation_aborted);
  CHECK(watch.expired());
  work.reset();
  runner.join();
}

namespace {

struct Misuse : cokka::Actor<Misuse> {
  std::string on_receive(cokka::Message&) {
    try {
      timers().start_periodic(std::string("heartbeat"), Tick{0}, 0ms);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  }
};

}  // namespace

TEST_CASE("a periodic timer with a non-positive interval is refused with std::invalid_argument naming the key") {
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Misuse>();
  const auto text = actor.ask<std::string>(0).get(5s);
  CHECK(text.find("heartbeat") != std::string::npos);
  CHECK(text.find("positive") != std::string::npos);
}

namespace {

/// Remembers the pointer to itself, so that a test can call timers() from the wrong thread.
struct Exposed : cokka::Actor<Exposed> {
  explicit Exposed(Exposed*& self) { self = this; }
};

}  // namespace

TEST_CASE("timers() outside the actor's handlers throws InvalidState") {
  cokka::System system(cokka::threads{2});
  Exposed* object = nullptr;
  auto actor = system.start<Exposed>(object);
  REQUIRE(object != nullptr);
  CHECK_THROWS_WITH_AS(object->timers(), doctest::Contains("outside the actor's handlers"), cokka::InvalidState);
  actor.stop();
}

namespace {

/// Counts the ids of the Tick messages delivered to it.
struct IdSink : cokka::Actor<IdSink> {
  explicit IdSink(std::vector<std::atomic<int>>& seen) : seen_(seen) {}
  void on_receive(cokka::Message& msg) { ++seen_[static_cast<std::size_t>(msg.as<Tick>().n)]; }
  std::vector<std::atomic<int>>& seen_;
};

int race_operations() {
  const char* text = std::getenv("COKKA_TIMER_RACE_OPERATIONS");
  return text ? std::atoi(text) : 40000;
}

}  // namespace

// Threads start tell_after timers and cancel some of them at once, some later: a cancel that returned true
// never sees its message delivered, every other one is delivered exactly once.
TEST_CASE("a randomized race of tell_after and cancel from several threads: no stale delivery, none lost") {
  const int total = race_operations();
  std::vector<std::atomic<int>> seen(static_cast<std::size_t>(total));
  std::vector<char> prevented(static_cast<std::size_t>(total), 0);
  {
    cokka::System system(cokka::threads{2});
    auto sink = system.start<IdSink>(seen);
    std::vector<std::thread> threads;
    constexpr int thread_count = 4;
    for (int t = 0; t < thread_count; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 random(static_cast<unsigned>(t) + 1);
        std::vector<std::pair<int, cokka::Cancellation>> held;
        for (int id = t; id < total; id += thread_count) {
          auto cancellation = sink.tell_after(std::chrono::milliseconds(random() % 5), Tick{id});
          switch (random() % 4) {
            case 0: prevented[static_cast<std::size_t>(id)] = cancellation.cancel(); break;
            case 1: held.emplace_back(id, std::move(cancellation)); break;
            default: break;
          }
          if (held.size() > 64) {
            for (auto& [held_id, later] : held) prevented[static_cast<std::size_t>(held_id)] = later.cancel();
            held.clear();
          }
        }
        for (auto& [held_id, later] : held) prevented[static_cast<std::size_t>(held_id)] = later.cancel();
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(eventually([&] { return cokka::detail::timer_service(system)->size() == 0; }));
    sink.ask<void>(Tick{0}).get(10s);  // a flush: everything fired is queued ahead of this
    --seen[0];
  }
  int stale = 0, lost = 0, cancelled = 0;
  for (int id = 0; id < total; ++id) {
    const auto count = seen[static_cast<std::size_t>(id)].load();
    if (prevented[static_cast<std::size_t>(id)]) {
      ++cancelled;
      stale += count != 0;
    } else {
      lost += count != 1;
    }
  }
  CHECK(stale == 0);
  CHECK(lost == 0);
  CHECK(cancelled > total / 8);
}

TEST_CASE("~System with many pending timers returns, and frees them") {
  const auto begun = std::chrono::steady_clock::now();
  {
    test::Journal journal;  // before the System: the Keeper's on_stop journals during ~System
    cokka::System system(cokka::threads{2});
    auto keeper = system.start<Keeper>(journal);
    for (int i = 0; i < 100000; ++i) keeper.tell_after(1h, Tick{i});
    CHECK(cokka::detail::timer_service(system)->size() == 100000);
  }
  CHECK(std::chrono::steady_clock::now() - begun < 30s);  // a hang guard
}
