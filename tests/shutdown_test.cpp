// ~System under load and in awkward states (issue 7): it returns, every ask ends, every actor object is
// destroyed once, and no thread is left behind. Timeouts here are hang detectors only.
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>


#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

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

TEST_CASE("queued coroutine messages behind a cancelled handler are cancelled as they start") {
  // Each queued message starts another one-hour wait. Before cancellation became sticky, every one of them
  // waited for the next 20 ms cancellation round (200 s here): the test's ctest timeout caught that.
  test::Census census;
  std::vector<cokka::Future<int>> pending;
  {
    cokka::System system(cokka::threads{2});
    auto sleeper = system.start<Sleeper>(census);
    for (int i = 0; i < 10000; ++i) pending.push_back(sleeper.ask<int>(i));
  }
  CHECK(census.destroyed == 1);
  for (auto& reply : pending) REQUIRE(reply.ready());
}

namespace {
/// Each message makes it start a child and tell itself to go on: it spawns until the system shuts down.
struct Breeder : cokka::Actor<Breeder>, Counted {
  using Counted::Counted;
  void on_receive(cokka::Message&) {
    system().start<Idle>(census_);
    self().tell(0);
  }
};
}  // namespace

TEST_CASE("~System racing with actors that keep starting children") {
  test::Census census;
  {
    cokka::System system(cokka::threads{2});
    for (int i = 0; i < 8; ++i) system.start<Breeder>(census).tell(0);
    while (census.constructed < 200) std::this_thread::yield();
  }
  CHECK(census.destroyed == census.constructed);
}

namespace {
/// A coroutine handler that completes without ever suspending.
struct Quick : cokka::Actor<Quick> {
  asio::awaitable<int> on_receive(cokka::Message& msg) { co_return msg.as<int>(); }
};
}  // namespace

TEST_CASE("a long run of coroutine handlers that complete at once does not grow the stack") {
  cokka::System system(cokka::threads{1});
  auto actor = system.start<Quick>();
  for (int i = 0; i < 100000; ++i) actor.tell(i);
  CHECK(actor.ask<int>(7).get(60s) == 7);
}
