// The deterministic test kit (issue 19, design.md section 16): TestSystem, its virtual clock, blocking gets that
// drive it, probes and seeded schedules. No sleeps: everything runs on the test thread, in virtual time.
#include <cokka/cokka.hpp>
#include <cokka/proxy.hpp>
#include <cokka/testing.hpp>

#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using cokka::testing::Seed;
using cokka::testing::TestSystem;

namespace {

struct Ping {
  int n;
};
struct Pong {
  int n;
};
struct HeaterOn {
  int level;
};
struct Arm {};
struct Fired {
  std::int64_t at_ms;
};

/// Answers a Ping to `peer` with a Pong, and an ask with the count so far.
struct Echo : cokka::Actor<Echo> {
  explicit Echo(cokka::ActorRef<> peer) : peer_(std::move(peer)) {}
  int on_receive(cokka::Message& msg) {
    if (auto* ping = msg.get_if<Ping>()) peer_.tell(Pong{ping->n});
    return ++count_;
  }
  cokka::ActorRef<> peer_;
  int count_ = 0;
};

/// Reports every 5 minutes once armed, and at once the virtual time it saw.
struct Reporter : cokka::Actor<Reporter> {
  explicit Reporter(cokka::ActorRef<> peer) : peer_(std::move(peer)) {}
  void on_receive(cokka::Message& msg) {
    if (msg.is<Arm>()) timers().start_periodic(0, Fired{}, 5min);
    if (msg.is<Fired>())
      peer_.tell(Fired{std::chrono::duration_cast<std::chrono::milliseconds>(system().now().time_since_epoch()).count()});
  }
  cokka::ActorRef<> peer_;
};

/// A coroutine handler that sleeps an hour of the System's clock before it replies.
struct Sleeper : cokka::Actor<Sleeper> {
  asio::awaitable<std::string> on_receive(cokka::Message&) {
    co_await sleep_for(1h, asio::use_awaitable);
    co_return "rested";
  }
};

/// Asks `peer` inside a coroutine handler and replies with its answer.
struct Relay : cokka::Actor<Relay> {
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    if (auto* peer = msg.get_if<cokka::ActorRef<>>()) {
      peer_ = *peer;
      co_return 0;
    }
    co_return co_await peer_.ask<int>(Ping{1}).async_wait(asio::use_awaitable);
  }
  cokka::ActorRef<> peer_;
};

/// Awaits a promise that nobody sets.
struct Stuck : cokka::Actor<Stuck> {
  asio::awaitable<int> on_receive(cokka::Message&) {
    auto never = promise_.get_future();
    co_return co_await never.async_wait(asio::use_awaitable);
  }
  cokka::Promise<int> promise_;
};

}  // namespace

TEST_CASE("TestSystem runs nothing until driven and run_until_idle drains every mailbox") {
  TestSystem sys;
  auto probe = sys.probe();
  auto echo = sys.start<Echo>(probe.ref());
  echo.tell(Ping{1});
  echo.tell(Ping{2});
  CHECK(sys.thread_count() == 0);
  CHECK(sys.run_until_idle() > 0);
  CHECK(probe.expect<Pong>().n == 1);
  CHECK(probe.expect<Pong>().n == 2);
  probe.expect_nothing();
  CHECK(sys.run_until_idle() == 0);
}

TEST_CASE("step runs one message at a time") {
  TestSystem sys;
  auto probe = sys.probe();
  auto echo = sys.start<Echo>(probe.ref());
  sys.run_until_idle();  // both on_starts
  echo.tell(Ping{1});
  echo.tell(Ping{2});
  CHECK(sys.step());  // Echo handles Ping 1
  CHECK(sys.step());  // the probe gets Pong 1, or Echo handles Ping 2: both are single messages
  sys.run_until_idle();
  CHECK_FALSE(sys.step());
  CHECK(probe.pending() == 2);
}

TEST_CASE("the virtual clock starts at 0 and advance fires due timers in time order") {
  TestSystem sys;
  CHECK(sys.now() == cokka::Clock::time_point());
  auto probe = sys.probe();
  auto reporter = sys.start<Reporter>(probe.ref());
  reporter.tell(Arm{});
  reporter.tell_after(12min, Fired{});
  sys.run_until_idle();
  probe.expect_nothing();
  sys.advance(4min);
  probe.expect_nothing();
  sys.advance(21min);  // to 25 min: periodic at 5, 10, the single at 12, then 15, 20, 25
  std::vector<std::int64_t> seen;
  while (probe.pending() != 0) seen.push_back(probe.expect<Fired>().at_ms / 60000);
  CHECK(seen == std::vector<std::int64_t>{5, 10, 12, 15, 20, 25});
  CHECK(sys.now() == cokka::Clock::time_point(25min));
}

TEST_CASE("a blocking get drives the system and waits in virtual time") {
  TestSystem sys;
  auto sleeper = sys.start<Sleeper>();
  CHECK(sleeper.ask<std::string>(0).get() == "rested");
  CHECK(sys.now() == cokka::Clock::time_point(1h));
  // get(timeout) waits in virtual time too, and then throws Timeout.
  auto slow = sleeper.ask<std::string>(0);
  CHECK_THROWS_AS(slow.get(10min), cokka::Timeout);
  CHECK(sys.now() == cokka::Clock::time_point(1h + 10min));
  CHECK(slow.get() == "rested");
  CHECK(sys.now() == cokka::Clock::time_point(2h));
  // cokka::sleep_for on the system's clock, outside any actor.
  bool woke = false;
  cokka::sleep_for(sys, 30min, [&](std::error_code error) { woke = !error; });
  sys.advance(29min);
  CHECK_FALSE(woke);
  sys.advance(1min);
  CHECK(woke);
}

TEST_CASE("a blocking get that nothing can complete throws Deadlock naming who waits on whom") {
  TestSystem sys;
  SUBCASE("a promise nobody sets") {
    cokka::Promise<int> promise;
    CHECK_THROWS_WITH_AS(promise.get_future().get(),
                         doctest::Contains("no message is queued and no timer is pending"), cokka::Deadlock);
  }
  SUBCASE("a chain of waits that ends in a promise nobody sets") {
    auto a = sys.start<Relay>();
    auto b = sys.start<Stuck>();
    a.ask<int>(cokka::ActorRef<>(b)).get();
    auto reply = a.ask<int>(Ping{0});
    std::string sentence;
    try {
      reply.get();
    } catch (const cokka::Deadlock& error) {
      sentence = error.what();
    }
    INFO(sentence);
    CHECK(sentence.find("whose reply would come from ") != std::string::npos);
    CHECK(sentence.find(std::string(a.urn())) != std::string::npos);
    CHECK(sentence.find("which waits for a reply from ") != std::string::npos);
    CHECK(sentence.find(std::string(b.urn())) != std::string::npos);
    CHECK(sentence.find("a cycle") == std::string::npos);
  }
  SUBCASE("an ask cycle fails at once with AskCycle, as under System") {
    auto a = sys.start<Relay>();
    auto b = sys.start<Relay>();
    a.ask<int>(cokka::ActorRef<>(b)).get();
    b.ask<int>(cokka::ActorRef<>(a)).get();
    CHECK_THROWS_AS(a.ask<int>(Ping{0}).get(), cokka::AskCycle);
  }
}

TEST_CASE("probe expectations name what arrived instead") {
  TestSystem sys;
  auto probe = sys.probe();
  CHECK_THROWS_WITH_AS(probe.expect<Pong>(), doctest::Contains("Pong>: nothing arrived"),
                       cokka::testing::ExpectationFailed);
  probe.ref().tell(Ping{3});
  CHECK_THROWS_WITH_AS(probe.expect<Pong>(), doctest::Contains("Pong>: a (anonymous namespace)::Ping arrived instead"),
                       cokka::testing::ExpectationFailed);
  probe.ref().tell(HeaterOn{3});
  CHECK_THROWS_WITH_AS(probe.expect_nothing(), doctest::Contains("expect_nothing: a (anonymous namespace)::HeaterOn arrived"),
                       cokka::testing::ExpectationFailed);
  CHECK(probe.expect<HeaterOn>().level == 3);
}

TEST_CASE("a probe answers asks with reply_with and records them") {
  TestSystem sys;
  auto probe = sys.probe();
  probe.reply_with(42);
  auto relay = sys.start<Relay>();
  relay.ask<int>(probe.ref()).get();
  CHECK(relay.ask<int>(Ping{0}).get() == 42);
  CHECK(probe.expect<Ping>().n == 1);
  probe.reply_with(std::string("other"));
  CHECK(probe.ref().ask<std::string>(0).get() == "other");
}

struct Counter : cokka::Actor<Counter> {
  int add(int n) { return total += n; }
  int total = 0;
};
COKKA_REFLECT(Counter, methods(add), fields(total));

TEST_CASE("proxies work under the kit") {
  TestSystem sys;
  auto counter = sys.start<Counter>().proxy();
  counter.add(2);
  CHECK(counter.add(3).get() == 5);
  CHECK(counter.total().get() == 5);
}

namespace {

/// One of ten actors of the seeded scenario: on a Ping it journals, sleeps a moment of virtual time in a
/// coroutine handler, and passes the ping on.
struct Hop : cokka::Actor<Hop> {
  Hop(int id, std::shared_ptr<std::string> journal) : id_(id), journal_(std::move(journal)) {}
  asio::awaitable<void> on_receive(cokka::Message& msg) {
    if (auto* next = msg.get_if<cokka::ActorRef<>>()) {
      next_ = *next;
      co_return;
    }
    const int n = msg.as<Ping>().n;
    *journal_ += std::to_string(id_) + ":" + std::to_string(n) + " ";
    if (n % 3 == 0) co_await sleep_for(std::chrono::milliseconds(n % 7), asio::use_awaitable);
    if (n > 0) next_.tell(Ping{n - 1});
  }
  int id_;
  std::shared_ptr<std::string> journal_;
  cokka::ActorRef<> next_;
};

std::string hop_journal(std::uint64_t seed) {
  TestSystem sys(Seed{seed});
  auto journal = std::make_shared<std::string>();
  std::vector<cokka::ActorRef<Hop>> hops;
  for (int i = 0; i < 10; ++i) hops.push_back(sys.start<Hop>(i, journal));
  for (int i = 0; i < 10; ++i) hops[i].tell(cokka::ActorRef<>(hops[(i + 3) % 10]));
  for (int i = 0; i < 10; ++i) hops[i].tell(Ping{2 + i % 3});
  sys.advance(1s);
  return *journal;
}

}  // namespace

TEST_CASE("seeded schedules: the same seed gives the same journal and other seeds other interleavings") {
  const auto first = hop_journal(7);
  CHECK(first.size() > 150);
  for (int i = 0; i < 10000; ++i) {
    const auto again = hop_journal(7);
    if (again != first) {
      FAIL("repetition " << i << " differs:\n" << again << "\n" << first);
    }
  }
  int different = 0;
  for (std::uint64_t seed = 100; seed < 110; ++seed) different += hop_journal(seed) != first ? 1 : 0;
  CHECK(different >= 9);
}

TEST_CASE("run_seeds reports the first seed whose schedule breaks the scenario") {
  // A race: two actors tell the probe, and the scenario wrongly assumes the first one's message comes first.
  auto racy = [](TestSystem& sys) {
    auto probe = sys.probe();
    auto a = sys.start<Echo>(probe.ref());
    auto b = sys.start<Echo>(probe.ref());
    a.tell(Ping{1});
    b.tell(Ping{2});
    if (probe.expect<Pong>().n != 1) throw std::runtime_error("Pong 2 came first");
  };
  std::string failure;
  auto failing = cokka::testing::run_seeds(racy, 200, 0, &failure);
  REQUIRE(failing.has_value());
  CHECK(failure.find("Pong 2 came first") != std::string::npos);
  // Replaying the reported seed fails again; the seeds before it pass.
  TestSystem replay(*failing);
  CHECK_THROWS_WITH(racy(replay), "Pong 2 came first");
  CHECK_FALSE(cokka::testing::run_seeds(racy, failing->value, 0).has_value());
  // FIFO (no seed): the first tell's drain runs first.
  TestSystem fifo;
  CHECK_NOTHROW(racy(fifo));
}
