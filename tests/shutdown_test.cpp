// ~System under load and in awkward states (issue 7): it returns, every ask ends, every actor object is
// destroyed once, and no thread is left behind. Timeouts here are hang detectors only.
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>


#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

namespace {

/// Every actor here counts itself in a Census.
struct Counted {
  explicit Counted(test::Census& census) : census_(census) { ++census_.constructed; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;
  ~Counted() { ++census_.destroyed; }
  test::Census& census_;
};

/// Replies after an hour: its handler is a coroutine parked on a timer.
struct Sleeper : cokka::Actor<Sleeper>, Counted {
  using Counted::Counted;
  asio::awaitable<int> on_receive(cokka::Message&) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
    co_await timer.async_wait(asio::use_awaitable);
    co_return 1;
  }
};

/// Asks another actor and awaits the reply inside its handler.
struct Relay : cokka::Actor<Relay>, Counted {
  using Counted::Counted;
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    auto target = msg.as<cokka::ActorRef<>>();
    auto reply = target.ask<int>(0);
    co_return co_await reply.async_wait(asio::use_awaitable) + 1;
  }
};

struct Idle : cokka::Actor<Idle>, Counted {
  using Counted::Counted;
  int on_receive(cokka::Message&) { return 0; }
};

/// Builds `count` actors: a third sleeping in a handler, a third awaiting a sleeper's reply (or each other,
/// in two-actor ask cycles that nothing but the shutdown breaks), a third idle. Returns the pending asks.
std::vector<cokka::Future<int>> populate(cokka::System& system, test::Census& census, int count) {
  std::vector<cokka::Future<int>> pending;
  cokka::ActorRef<Sleeper> sleeper;
  cokka::ActorRef<Relay> previous_relay;
  for (int i = 0; i < count; ++i) {
    switch (i % 6) {
      case 0:
        sleeper = system.start<Sleeper>(census);
        pending.push_back(sleeper.ask<int>(0));
        break;
      case 1:
      case 3:
        pending.push_back(system.start<Relay>(census).ask<int>(cokka::ActorRef<>(sleeper)));
        break;
      case 4: {  // with case 5: A awaits B, B awaits A
        previous_relay = system.start<Relay>(census);
        break;
      }
      case 5: {
        auto relay = system.start<Relay>(census);
        pending.push_back(relay.ask<int>(cokka::ActorRef<>(previous_relay)));
        pending.push_back(previous_relay.ask<int>(cokka::ActorRef<>(relay)));
        break;
      }
      default:
        system.start<Idle>(census);
    }
  }
  return pending;
}

/// Sanitizer builds are several times slower; keep the test's actor count moderate there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int many_actors = 3000;
#else
constexpr int many_actors = 20000;
#endif

}  // namespace

TEST_CASE("~System with many actors mid-coroutine returns, ends every ask and destroys every actor") {
  test::Census census;
  std::vector<cokka::Future<int>> pending;
  const int threads_before = test::thread_count();
  {
    cokka::System system(cokka::threads{2});
    pending = populate(system, census, many_actors);
    // A round trip through a fresh actor lets most handlers reach their awaits (either state is fine).
    CHECK(system.start<Idle>(census).ask<int>(0).get(60s) == 0);
  }
  CHECK(census.constructed == many_actors + 1);
  CHECK(census.destroyed == many_actors + 1);
  for (auto& reply : pending) REQUIRE(reply.ready());
  CHECK(test::thread_count() == threads_before);
}

TEST_CASE("queued coroutine messages behind a suspended handler are not started by the shutdown") {
  // Each queued message would start another one-hour wait; a shutdown that waited for them would hang
  // (the test's ctest timeout catches that).
  test::Census census;
  std::vector<cokka::Future<int>> pending;
  {
    cokka::System system(cokka::threads{2});
    auto sleeper = system.start<Sleeper>(census);
    for (int i = 0; i < 10000; ++i) pending.push_back(sleeper.ask<int>(i));
  }
  CHECK(census.destroyed == 1);
  for (auto& reply : pending) {
    REQUIRE(reply.ready());
    CHECK_THROWS_WITH_AS(reply.get(), doctest::Contains("shutdown"), cokka::ActorDeadError);
  }
}

namespace {

/// Writes to a journal when it is destroyed: shows that a coroutine frame was destroyed.
struct Guard {
  explicit Guard(test::Journal& journal, std::string event) : journal_(journal), event_(std::move(event)) {}
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  ~Guard() { journal_.add(event_); }
  test::Journal& journal_;
  std::string event_;
};

/// Coroutine members that journal how far they got: started, resumed, the catch block, the frame destroyed.
struct Careful : cokka::Actor<Careful>, Counted {
  Careful(test::Census& census, test::Journal& journal, test::Gate& napping)
      : Counted(census), journal_(journal), napping_(napping) {}

  asio::awaitable<int> nap() {
    Guard guard(journal_, "nap frame destroyed");
    asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
    try {
      napping_.open();
      co_await timer.async_wait(asio::use_awaitable);
      journal_.add("nap resumed");
    } catch (...) {
      journal_.add("nap catch ran");
      throw;
    }
    co_return 1;
  }

  asio::awaitable<int> later() {
    journal_.add("later started");
    co_return 2;
  }

  int plain() {
    journal_.add("plain ran");
    return 3;
  }

  /// Two timers raced with awaitable operators: child coroutines that the shutdown destroys, too.
  asio::awaitable<int> race() {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer first(executor, 1h), second(executor, 2h);
    napping_.open();
    // Named locals: g++ 12 destroys temporaries inside a co_await expression twice.
    auto wait_first = first.async_wait(asio::use_awaitable);
    auto wait_second = second.async_wait(asio::use_awaitable);
    auto either = std::move(wait_first) || std::move(wait_second);
    co_await std::move(either);
    journal_.add("race resumed");
    co_return 4;
  }

  void on_stop() { journal_.add("on_stop"); }

  test::Journal& journal_;
  test::Gate& napping_;
};
COKKA_REFLECT(Careful, methods(nap, later, plain, race));

/// A coroutine on_stop: runs to its first suspension during a shutdown, then its frame is destroyed.
struct SlowToStop : cokka::Actor<SlowToStop>, Counted {
  SlowToStop(test::Census& census, test::Journal& journal) : Counted(census), journal_(journal) {}
  asio::awaitable<void> on_stop() {
    Guard guard(journal_, "on_stop frame destroyed");
    journal_.add("on_stop began");
    asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
    co_await timer.async_wait(asio::use_awaitable);
    journal_.add("on_stop resumed");
  }
  test::Journal& journal_;
};

/// A coroutine on_start that waits an hour: the shutdown meets the actor before it ever started.
struct SlowToStart : cokka::Actor<SlowToStart>, Counted {
  SlowToStart(test::Census& census, test::Journal& journal, test::Gate& starting)
      : Counted(census), journal_(journal), starting_(starting) {}
  asio::awaitable<void> on_start() {
    Guard guard(journal_, "on_start frame destroyed");
    asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
    starting_.open();
    try {
      co_await timer.async_wait(asio::use_awaitable);
      journal_.add("on_start resumed");
    } catch (...) {
      journal_.add("on_start catch ran");
      throw;
    }
  }
  int on_receive(cokka::Message&) {
    journal_.add("message handled");
    return 1;
  }
  void on_stop() { journal_.add("on_stop"); }
  test::Journal& journal_;
  test::Gate& starting_;
};

/// Fails on a tell, and its coroutine on_failure waits an hour.
struct SlowToFail : cokka::Actor<SlowToFail>, Counted {
  SlowToFail(test::Census& census, test::Journal& journal, test::Gate& failing)
      : Counted(census), journal_(journal), failing_(failing) {}
  void on_receive(cokka::Message&) { throw std::runtime_error("told to fail"); }
  asio::awaitable<void> on_failure(std::exception_ptr) {
    Guard guard(journal_, "on_failure frame destroyed");
    asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
    failing_.open();
    try {
      co_await timer.async_wait(asio::use_awaitable);
      journal_.add("on_failure resumed");
    } catch (...) {
      journal_.add("on_failure catch ran");
      throw;
    }
  }
  void on_stop() { journal_.add("on_stop"); }
  test::Journal& journal_;
  test::Gate& failing_;
};

}  // namespace

TEST_CASE("~System destroys a waiting coroutine on_start: the actor dies unstarted, without on_stop") {
  test::Census census;
  test::Journal journal;
  test::Gate starting;
  cokka::Future<int> queued;
  {
    cokka::System system(cokka::threads{2});
    auto actor = system.start<SlowToStart>(census, journal, starting);
    queued = actor.ask<int>(0);  // waits behind on_start
    REQUIRE(starting.wait());
  }
  CHECK(journal.events() == std::vector<std::string>{"on_start frame destroyed"});
  CHECK_THROWS_AS(queued.get(), cokka::ActorDeadError);
  CHECK(census.destroyed == 1);
}

TEST_CASE("~System destroys a waiting coroutine on_failure: the actor dies, on_stop does not run") {
  test::Census census;
  test::Journal journal;
  test::Gate failing;
  {
    cokka::System system(cokka::threads{2});
    system.start<SlowToFail>(census, journal, failing).tell(0);
    REQUIRE(failing.wait());
  }
  CHECK(journal.events() == std::vector<std::string>{"on_failure frame destroyed"});
  CHECK(census.destroyed == 1);
}

TEST_CASE("~System destroys a suspended coroutine handler instead of resuming it, then runs on_stop") {
  test::Census census;
  test::Journal journal;
  test::Gate napping;
  cokka::Future<int> nap, later, plain;
  {
    cokka::System system(cokka::threads{2});
    auto careful = system.start<Careful>(census, journal, napping).proxy();
    nap = careful.nap();
    later = careful.later();  // a coroutine queued behind it: not started by the shutdown
    plain = careful.plain();  // a plain handler queued behind it: runs, as queued messages do before a stop
    REQUIRE(napping.wait());
  }
  // Destructors of the frame's locals ran, its catch block and the code after the co_await did not.
  CHECK(journal.events() == std::vector<std::string>{"nap frame destroyed", "plain ran", "on_stop"});
  CHECK_THROWS_WITH_AS(nap.get(), doctest::Contains("shutdown before its coroutine handler finished"),
                       cokka::ActorDeadError);
  CHECK_THROWS_WITH_AS(later.get(), doctest::Contains("shutdown"), cokka::ActorDeadError);
  CHECK(plain.get() == 3);
  CHECK(census.destroyed == 1);
}

TEST_CASE("~System destroys coroutines an actor's handler raced with awaitable operators") {
  test::Census census;
  test::Journal journal;
  test::Gate racing;
  cokka::Future<int> race;
  {
    cokka::System system(cokka::threads{2});
    race = system.start<Careful>(census, journal, racing).proxy().race();
    REQUIRE(racing.wait());
  }
  CHECK(journal.events() == std::vector<std::string>{"on_stop"});
  CHECK_THROWS_AS(race.get(), cokka::ActorDeadError);
  CHECK(census.destroyed == 1);
}

TEST_CASE("a coroutine on_stop runs to its first suspension during ~System and is destroyed there") {
  test::Census census;
  test::Journal journal;
  {
    cokka::System system(cokka::threads{2});
    system.start<SlowToStop>(census, journal);
  }
  CHECK(journal.events() == std::vector<std::string>{"on_stop began", "on_stop frame destroyed"});
  CHECK(census.destroyed == 1);
}
