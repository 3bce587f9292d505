// The code fragments of README.md and docs/*.md that belong to no sample and no other test, compiled and run
// here. Each sits between two marker lines that a guide names (`<!-- snippet: tests/docs_examples_test.cpp x -->`);
// scripts/doc-examples (ctest docs.examples) checks that the guide shows exactly this text, and its --fix
// writes it there. Change an example here, then run `scripts/doc-examples --fix`.
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <doctest/doctest.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

// README.md: a coroutine handler awaiting another actor.
namespace readme {
struct Count {};

struct Counter : cokka::Actor<Counter> {
  int on_receive(cokka::Message& msg) { return msg.is<Count>() ? 41 : 0; }
};

struct Room : cokka::Actor<Room> {
  explicit Room(cokka::ActorRef<Counter> counter) : counter_(std::move(counter)) {}
  asio::awaitable<int> on_receive(cokka::Message& msg);
  cokka::ActorRef<Counter> counter_;
};

//! [coroutine_handler]
asio::awaitable<int> Room::on_receive(cokka::Message&) {
  int n = co_await counter_.ask<int>(Count{}, asio::use_awaitable);   // the strand is free meanwhile,
  co_return n + 1;                                                      // but no other message starts
}
//! [coroutine_handler]
}  // namespace readme

TEST_CASE("README: a coroutine handler awaits another actor's reply") {
  cokka::System system(cokka::threads{2});
  auto room = system.start<readme::Room>(system.start<readme::Counter>());
  CHECK(room.ask<int>(std::string("anything")).get(10s) == 42);
}

// docs/asio-server.md: a System on the server's own io_context.
namespace asio_server {
struct Room : cokka::Actor<Room> {
  int on_receive(cokka::Message& msg) { return msg.as<int>() + 1; }
};
}  // namespace asio_server

TEST_CASE("asio-server guide: a System borrows the server's io_context") {
  using asio_server::Room;
  //! [borrowed_context]
  asio::io_context io;
  cokka::System system(io);             // borrows io: no threads of its own (system.thread_count() == 0)
  auto room = system.start<Room>();     // the actor's strand is a strand on io
  // ... co_spawn acceptors and sessions on io ...
  io.run();                             // or your own pool of threads calling io.run()
  //! [borrowed_context]
  CHECK(system.thread_count() == 0);
  // The actor runs on io, and only while someone runs it: run() returns once the reply is given.
  io.restart();
  auto reply = room.ask<int>(1);
  io.run();
  CHECK(reply.get(10s) == 2);
  // io is stopped now (run() ran out of work), so ~System skips the hooks that cannot run and returns.
}

TEST_CASE("debugging guide: the log level and a logger of your own") {
  const auto level = cokka::logger()->level();
  //! [logger]
  cokka::logger()->set_level(spdlog::level::debug);                    // see every actor start and stop
  cokka::set_logger(spdlog::basic_logger_mt("actors", "actors.log"));  // or give cokka a logger of your own
  //! [logger]
  CHECK(cokka::logger()->name() == "actors");
  cokka::set_logger(nullptr);
  CHECK(cokka::logger()->name() == "cokka");
  CHECK(cokka::logger()->level() == spdlog::level::debug);
  cokka::logger()->set_level(level);
  spdlog::drop("actors");
  std::filesystem::remove("actors.log");
}

// docs/supervision.md: death watch, waiting for an actor's end, restarts.
namespace supervision {
struct Fail {};

struct Config {
  std::shared_ptr<std::atomic<int>> instances = std::make_shared<std::atomic<int>>(0);
};

struct Worker : cokka::Actor<Worker> {
  explicit Worker(Config config) : instance_(++*config.instances) {}
  int on_receive(cokka::Message& msg) {
    if (msg.is<Fail>()) throw std::runtime_error("poisoned");
    return instance_;
  }
  int instance_;
};

//! [watcher]
struct Watcher : cokka::Actor<Watcher> {
  void on_receive(cokka::Message& msg) {
    if (auto* worker = msg.get_if<cokka::ActorRef<Worker>>()) return watch(*worker);
    if (auto* ended = msg.get_if<cokka::Terminated>()) {
      endings_.push_back(*ended);  // ended->ref: who; ended->failure: what ended it, null after a clean stop
    }
  }
  std::vector<cokka::Terminated> endings_;
};
//! [watcher]

//! [wait_stopped]
asio::awaitable<std::exception_ptr> why_it_ended(cokka::ActorRef<Worker> ref) {  // in a coroutine:
  co_return co_await ref.async_wait_stopped(asio::use_awaitable);  // any token; null: a clean stop
}
std::exception_ptr why_it_ended_blocking(cokka::ActorRef<Worker> ref) {  // in a plain thread:
  return ref.wait_stopped(5s);  // throws cokka::Timeout after 5 s
}
//! [wait_stopped]
}  // namespace supervision

TEST_CASE("supervision guide: the watcher holds one watch record until its worker ends") {
  using namespace supervision;
  cokka::System system(cokka::threads{2});
  auto worker = system.start<Worker>(Config{});
  auto watcher = system.start<Watcher>();
  watcher.tell(worker);
  watcher.ask<void>(0).get(10s);  // the watcher has handled the ref
  CHECK(cokka::detail::live_watch_records() == 1);
  CHECK(worker.stop());
  watcher.ask<void>(0).get(10s);  // and the Terminated, which was queued before this ask
  CHECK(cokka::detail::live_watch_records() == 0);
}

TEST_CASE("supervision guide: waiting for an actor's end in a coroutine and in a plain thread") {
  using namespace supervision;
  cokka::System system(cokka::threads{2});
  auto failing = system.start<Worker>(Config{});
  auto why = asio::co_spawn(system.context(), why_it_ended(failing), asio::use_future);
  failing.tell(Fail{});
  REQUIRE(why.wait_for(10s) == std::future_status::ready);
  CHECK_THROWS_WITH_AS(std::rethrow_exception(why.get()), "poisoned", std::runtime_error);

  auto stopped = system.start<Worker>(Config{});
  stopped.stop();
  CHECK(why_it_ended_blocking(stopped) == nullptr);
}

TEST_CASE("supervision guide: a restart policy rebuilds the worker behind the same ref") {
  using namespace supervision;
  cokka::System system(cokka::threads{2});
  Config config;
  //! [restart_policy]
  auto worker = system.start<Worker>(cokka::ActorOptions{.restart = cokka::RestartPolicy{
      .max_restarts = 10, .within = 10s, .backoff_min = 100ms, .backoff_max = 10s, .jitter = 0.2}}, config);
  //! [restart_policy]
  CHECK(worker.ask<int>(0).get(10s) == 1);
  worker.tell(Fail{});
  CHECK(worker.ask<int>(0).get(10s) == 2);  // the second instance answers, through the same ref
}

// docs/timers.md: an actor's keyed timers, tell_after and sleeps.
namespace timers {
struct Poll {};
struct GiveUp {};
struct Done {};
struct Ping {};

//! [poller]
struct Poller : cokka::Actor<Poller> {
  enum class Key { poll, give_up };
  void on_start() {
    timers().start_periodic(Key::poll, Poll{}, 1s);     // a key's new timer replaces its old one
    timers().start_single(Key::give_up, GiveUp{}, 30s);
  }
  void on_receive(cokka::Message& m) { if (m.is<Done>()) timers().cancel(Key::give_up); }
};
//! [poller]

asio::awaitable<void> from_anywhere(cokka::System& system, cokka::ActorRef<Poller> ref) {
  //! [anywhere]
  cokka::Cancellation c = ref.tell_after(5s, Ping{});              // from anywhere; c.cancel()
  co_await cokka::sleep_for(system, 100ms, asio::use_awaitable);    // inside an actor: sleep_for(100ms, token)
  //! [anywhere]
  c.cancel();
}
}  // namespace timers

TEST_CASE("timers guide: the poller runs and tell_after and sleep_for work from a coroutine") {
  using namespace timers;
  cokka::System system(cokka::threads{2});
  auto poller = system.start<Poller>();
  poller.tell(Done{});
  auto done = asio::co_spawn(system.context(), from_anywhere(system, poller), asio::use_future);
  REQUIRE(done.wait_for(10s) == std::future_status::ready);
  CHECK_NOTHROW(done.get());
  CHECK(poller.stop());
}
