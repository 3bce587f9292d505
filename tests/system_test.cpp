// System: threads, borrowed io_context, start, and a destructor that never hangs (design.md 2, 11).
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <thread>

using namespace std::chrono_literals;

namespace {

struct Counted : cokka::Actor<Counted> {
  Counted(test::Census& census, test::Journal& journal, std::string name)
      : census_(census), journal_(journal), name_(std::move(name)) {
    ++census_.constructed;
  }
  ~Counted() override { ++census_.destroyed; }
  std::string on_receive(cokka::Message&) { return name_; }
  void on_stop() { journal_.add("stop " + name_); }
  test::Census& census_;
  test::Journal& journal_;
  std::string name_;
};

struct Napper : cokka::Actor<Napper> {
  explicit Napper(test::Census& census) : census_(census) { ++census_.constructed; }
  ~Napper() override { ++census_.destroyed; }
  asio::awaitable<int> on_receive(cokka::Message&) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
    co_await timer.async_wait(asio::use_awaitable);
    co_return 1;
  }
  test::Census& census_;
};

struct WaitsForever : cokka::Actor<WaitsForever> {
  explicit WaitsForever(test::Census& census) : census_(census) { ++census_.constructed; }
  ~WaitsForever() override { ++census_.destroyed; }
  asio::awaitable<int> on_receive(cokka::Message&) {
    co_return co_await never_.get_future().async_wait(asio::use_awaitable);
  }
  test::Census& census_;
  cokka::Promise<int> never_;
};

struct Busy : cokka::Actor<Busy> {
  int on_receive(cokka::Message&) {
    std::this_thread::sleep_for(100ms);
    return 1;
  }
};

}  // namespace

TEST_CASE("System(threads{n}) runs n threads, actors run on them") {
  test::Census census;  // outlive the system: its actors use them until they stop
  test::Journal journal;
  cokka::System system(cokka::threads{3});
  CHECK(system.thread_count() == 3);
  auto actor = system.start<Counted>(census, journal, "a");
  CHECK(actor.ask<std::string>(0).get(5s) == "a");
}

TEST_CASE("~System stops actors last started first and destroys every object") {
  test::Census census;
  test::Journal journal;
  cokka::ActorRef<Counted> survivor_ref;
  {
    cokka::System system(cokka::threads{2});
    system.start<Counted>(census, journal, "first");
    system.start<Counted>(census, journal, "second");
    survivor_ref = system.start<Counted>(census, journal, "third");
  }
  CHECK(journal.events() == std::vector<std::string>{"stop third", "stop second", "stop first"});
  CHECK(census.constructed == 3);
  CHECK(census.destroyed == 3);
  CHECK_FALSE(survivor_ref.is_alive());
  CHECK_THROWS_AS(survivor_ref.tell(1), cokka::ActorDeadError);
  CHECK_THROWS_AS(survivor_ref.ask<int>(1).get(1s), cokka::ActorDeadError);
}

TEST_CASE("~System does not hang on actors awaiting timers, replies that never come, or busy handlers") {
  test::Census census;
  std::vector<cokka::Future<int>> pending;
  auto begun = std::chrono::steady_clock::now();
  {
    cokka::System system(cokka::threads{2});
    for (int i = 0; i < 10; ++i) {
      pending.push_back(system.start<Napper>(census).ask<int>(0));
      pending.push_back(system.start<WaitsForever>(census).ask<int>(0));
    }
    pending.push_back(system.start<Busy>().ask<int>(0));
    std::this_thread::sleep_for(20ms);
  }
  CHECK(std::chrono::steady_clock::now() - begun < 30s);  // a hang detector, not a speed check
  CHECK(census.constructed == 20);
  CHECK(census.destroyed == 20);
  for (auto& reply : pending) {
    CHECK(reply.ready());  // every ask ended: with its value or ActorDeadError
  }
}

TEST_CASE("a borrowed io_context runs the actors, the System adds no threads") {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  test::Census census;
  test::Journal journal;
  {
    cokka::System system(io);
    CHECK(system.thread_count() == 0);
    CHECK(&system.context() == &io);
    auto actor = system.start<Counted>(census, journal, "embedded");
    CHECK(actor.ask<std::string>(0).get(5s) == "embedded");
  }
  CHECK(census.destroyed == 1);
  work.reset();
  runner.join();
}

TEST_CASE("a System on a borrowed io_context that nobody runs still shuts down") {
  asio::io_context io;
  test::Census census;
  test::Journal journal;
  {
    cokka::System system(io);
    system.start<Counted>(census, journal, "never run");
    io.stop();
  }
  CHECK(census.destroyed == 1);
}

namespace {
/// A caller's io_context and what its actors report, declared before (so destroyed after) the System.
struct BorrowedContext {
  asio::io_context io;
  test::Census census;
  test::Journal journal;
  cokka::Future<std::string> reply;
};
}  // namespace

TEST_CASE_FIXTURE(BorrowedContext, "a System on a borrowed io_context that was never run runs the hooks itself and leaves the context usable") {
  {
    cokka::System system(io);
    auto napper = system.start<Napper>(census);  // its handler would wait an hour for a timer
    auto waiting = napper.ask<int>(0);
    auto counted = system.start<Counted>(census, journal, "never run");
    reply = counted.ask<std::string>(0);
    CHECK_FALSE(reply.ready());
  }
  CHECK(reply.get(0s) == "never run");  // queued work ran during the shutdown
  CHECK(journal.events() == std::vector<std::string>{"stop never run"});
  CHECK(census.destroyed == 2);
  CHECK_FALSE(io.stopped());  // the caller's later run() still works
  bool ran = false;
  asio::post(io, [&] { ran = true; });
  io.run();
  CHECK(ran);
}

TEST_CASE_FIXTURE(BorrowedContext, "work queued for a stopped borrowed io_context is harmless when the context runs after the System") {
  {
    cokka::System system(io);
    auto actor = system.start<Counted>(census, journal, "late");
    reply = actor.ask<std::string>(0);  // from outside the context: queued for a pump that never ran
    io.stop();
  }
  CHECK(census.destroyed == 1);
  CHECK_THROWS_AS(reply.get(0s), cokka::ActorDeadError);
  io.restart();
  io.run();  // runs the stale pump and drains: they find the actor dead and the System gone
  CHECK(journal.events().empty());  // no hook ran, then or now
}

TEST_CASE("two systems never see each other's actors") {
  test::Census census;  // outlives the systems: their actors write to it while stopping
  test::Journal journal;
  cokka::System one(cokka::threads{1});
  cokka::System two(cokka::threads{1});
  auto a = one.start<Counted>(census, journal, "a");
  two.start<Counted>(census, journal, "b");
  CHECK(one.registry().get_all().size() == 1);
  CHECK(one.registry().get_all().front() == a);
  CHECK(two.registry().get_by_urn(a.urn()) == std::nullopt);
}

namespace {
struct Spawner : cokka::Actor<Spawner> {
  explicit Spawner(test::Census& census) : census_(census) {}
  std::string on_receive(cokka::Message&) {
    auto child = system().start<Counted>(census_, journal_, "child");
    return std::string(child.urn());
  }
  test::Census& census_;
  test::Journal journal_;
};
}  // namespace

TEST_CASE("actors start actors, the children are registered and stopped by the system") {
  test::Census census;
  {
    cokka::System system(cokka::threads{2});
    auto spawner = system.start<Spawner>(census);
    auto urn = spawner.ask<std::string>(0).get(5s);
    CHECK(system.registry().get_by_urn(urn).has_value());
    CHECK(system.registry().get_all().size() == 2);
  }
  CHECK(census.destroyed == 1);
}
