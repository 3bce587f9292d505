// cokka's logger and its records (design.md 10): one spdlog logger "cokka", Pykka's levels, one record per
// event naming the actor; fmt formatters for the types users log.
#include "log_capture.hpp"
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <doctest/doctest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <stdexcept>

// Futures whose exception a check inspects are named variables. A temporary future dies while its exception
// is in flight, so the actor's thread may then free the exception after the check read it: correct (libstdc++
// reference-counts exceptions) but invisible to ThreadSanitizer, which does not see inside libstdc++.

using namespace std::chrono_literals;
using Level = spdlog::level::level_enum;

namespace logt {
struct Boom {
  std::string why;
};
struct Quiet : cokka::Actor<Quiet> {};
struct Thrower : cokka::Actor<Thrower> {
  explicit Thrower(test::Journal& journal) : journal_(journal) {}
  int on_receive(cokka::Message& msg) {
    if (auto* boom = msg.get_if<Boom>()) throw std::runtime_error("boom: " + boom->why);
    return 1;
  }
  void on_failure(std::exception_ptr) { journal_.add("on_failure"); }
  test::Journal& journal_;
};
struct FailingStart : cokka::Actor<FailingStart> {
  void on_start() { throw std::logic_error("no start"); }
};
struct FailingStop : cokka::Actor<FailingStop> {
  void on_stop() { throw std::runtime_error("no stop"); }
};
struct FailingFailure : cokka::Actor<FailingFailure> {
  void on_receive(cokka::Message&) { throw std::runtime_error("first"); }
  void on_failure(std::exception_ptr) { throw std::runtime_error("second"); }
};
struct Track {
  int plays = 0;
  int next() { return ++plays; }
};
COKKA_REFLECT(Track, methods(next));
struct Player : cokka::Actor<Player> {
  Track track;
  int volume() const { return 11; }
  void explode() { throw std::runtime_error("kaboom"); }
};
COKKA_REFLECT(Player, methods(volume, explode), traversable(track));
}  // namespace logt

namespace {
std::vector<std::string> texts(const std::vector<test::Record>& records) {
  std::vector<std::string> out;
  for (auto& record : records) out.push_back(record.text);
  return out;
}
}  // namespace

TEST_CASE("the default logger is spdlog's \"cokka\", at level warning, created on first use") {
  cokka::set_logger(nullptr);  // back to the default, whatever ran before in this process
  auto made = cokka::logger();
  CHECK(made->name() == "cokka");
  CHECK(made->level() == Level::warn);
  CHECK(spdlog::get("cokka") == made);
  CHECK(cokka::logger() == made);  // one logger, not one per call
}

TEST_CASE("a \"cokka\" logger the application registered is the default") {
  spdlog::drop("cokka");
  auto mine = std::make_shared<spdlog::logger>("cokka", std::make_shared<spdlog::sinks::null_sink_mt>());
  spdlog::register_logger(mine);
  cokka::set_logger(nullptr);
  CHECK(cokka::logger() == mine);
  spdlog::drop("cokka");
  cokka::set_logger(nullptr);
  CHECK(cokka::logger() != mine);
  CHECK(cokka::logger()->name() == "cokka");
}

TEST_CASE("set_logger replaces the logger and records go to the replacement only") {
  std::string name;
  test::LogCapture outer;
  {
    test::LogCapture inner;
    cokka::System system(cokka::threads{1});
    auto quiet = system.start<logt::Quiet>();
    name = to_string(quiet);
    quiet.tell(logt::Boom{"x"});
    quiet.stop();
    CHECK(inner.count(Level::warn, name) == 1);
  }
  CHECK(outer.records().empty());
  CHECK(cokka::logger() != nullptr);
}

TEST_CASE("lifecycle: one debug record each for registered, starting, unregistered, stopped") {
  test::LogCapture capture;
  std::string name;
  {
    cokka::System system(cokka::threads{2});
    auto quiet = system.start<logt::Quiet>();
    name = to_string(quiet);
    CHECK(quiet.stop());
  }
  CHECK(texts(capture.records()) ==
        std::vector<std::string>{"Registered " + name, "Starting " + name, "Unregistered " + name, "Stopped " + name});
  CHECK(capture.count(Level::debug) == 4);
}

TEST_CASE("manual register_ref and unregister_ref log too, once per change") {
  test::LogCapture capture;
  cokka::System system(cokka::threads{1});
  auto quiet = system.start<logt::Quiet>();
  const auto name = to_string(quiet);
  CHECK(system.registry().unregister_ref(quiet));
  CHECK_FALSE(system.registry().unregister_ref(quiet));
  CHECK(system.registry().register_ref(quiet));
  CHECK_FALSE(system.registry().register_ref(quiet));
  CHECK(capture.count(Level::debug, "Registered " + name) == 2);
  CHECK(capture.count(Level::debug, "Unregistered " + name) == 1);
}

TEST_CASE("an exception returned to the asker: one info record with the actor and what()") {
  test::LogCapture capture;
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto thrower = system.start<logt::Thrower>(journal);
  // Named futures hold the exception until the check has read it (see the note at the top).
  auto asked = thrower.ask<int>(logt::Boom{"asked"});
  CHECK_THROWS_WITH_AS(asked.get(5s), "boom: asked", std::runtime_error);
  CHECK(thrower.ask<int>(0).get(5s) == 1);  // alive
  CHECK(texts(capture.find(Level::info)) ==
        std::vector<std::string>{to_string(thrower) +
                                 " returned an exception to the asker of a logt::Boom: std::runtime_error: boom: asked"});
  CHECK(capture.count(Level::err) == 0);
  CHECK(capture.count(Level::warn) == 0);
}

TEST_CASE("a tell whose handler throws: one error record, the actor stops, on_failure runs") {
  test::LogCapture capture;
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto thrower = system.start<logt::Thrower>(journal);
  const auto name = to_string(thrower);
  thrower.tell(logt::Boom{"told"});
  thrower.stop_async().get(5s);  // true, or false when the failure already ended it: either way it is dead
  CHECK_FALSE(thrower.is_alive());
  CHECK(journal.events() == std::vector<std::string>{"on_failure"});
  CHECK(texts(capture.find(Level::err)) ==
        std::vector<std::string>{name + " failed handling a logt::Boom and was stopped: std::runtime_error: boom: told"});
  CHECK(capture.count(Level::info) == 0);
  CHECK(capture.count(Level::debug, "Stopped " + name) == 1);
}

TEST_CASE("proxy calls log like asks, proxy defers like tells, naming the member") {
  test::LogCapture capture;
  cokka::System system(cokka::threads{1});
  auto player = system.start<logt::Player>();
  const auto name = to_string(player);
  auto exploded = player.proxy().explode();
  CHECK_THROWS_WITH_AS(exploded.get(5s), "kaboom", std::runtime_error);
  CHECK(texts(capture.find(Level::info)) ==
        std::vector<std::string>{name + " returned an exception to the asker of a explode: std::runtime_error: kaboom"});
  CHECK(capture.count(Level::err) == 0);

  player.proxy().explode.defer();
  player.stop_async().get(5s);  // the failure may have ended it first
  CHECK(texts(capture.find(Level::err)) ==
        std::vector<std::string>{name + " failed handling a explode and was stopped: std::runtime_error: kaboom"});
  CHECK(capture.count(Level::info) == 1);
}

TEST_CASE("on_start, on_stop and on_failure that throw: one error record each") {
  test::LogCapture capture;
  cokka::System system(cokka::threads{2});

  auto start = system.start<logt::FailingStart>();
  const auto start_name = to_string(start);
  start.stop_async().get(5s);
  CHECK(texts(capture.find(Level::err, start_name)) ==
        std::vector<std::string>{start_name + " failed in on_start and was stopped: std::logic_error: no start"});

  auto stop = system.start<logt::FailingStop>();
  const auto stop_name = to_string(stop);
  CHECK(stop.stop_async().get(5s));
  CHECK(texts(capture.find(Level::err, stop_name)) ==
        std::vector<std::string>{stop_name + " failed in on_stop: std::runtime_error: no stop"});

  auto failure = system.start<logt::FailingFailure>();
  const auto failure_name = to_string(failure);
  failure.tell(1);
  failure.stop_async().get(5s);
  CHECK(texts(capture.find(Level::err, failure_name)) ==
        std::vector<std::string>{failure_name + " failed handling a int and was stopped: std::runtime_error: first",
                                 failure_name + " failed in on_failure: std::runtime_error: second"});
  CHECK(capture.count(Level::err) == 4);
}

TEST_CASE("an unexpected message: one warning naming the actor and the message type") {
  test::LogCapture capture;
  cokka::System system(cokka::threads{1});
  auto quiet = system.start<logt::Quiet>();
  quiet.tell(logt::Boom{"unheard"});
  quiet.ask<void>(7).get(5s);  // an actor without on_receive replies void to asks, and warns too
  CHECK(texts(capture.find(Level::warn)) ==
        std::vector<std::string>{"Unexpected message received by " + to_string(quiet) + ": a logt::Boom",
                                 "Unexpected message received by " + to_string(quiet) + ": a int"});
  CHECK(capture.count(Level::err) == 0);
}

TEST_CASE("the default level hides lifecycle and info records") {
  test::LogCapture capture(Level::warn);
  test::Journal journal;
  cokka::System system(cokka::threads{1});
  auto thrower = system.start<logt::Thrower>(journal);
  auto hidden = thrower.ask<int>(logt::Boom{"hidden"});
  CHECK_THROWS_AS(hidden.get(5s), std::runtime_error);
  thrower.stop();
  CHECK(capture.records().empty());
}

TEST_CASE("fmt formatters: ActorRef, Proxy (with its path), Message") {
  cokka::System system(cokka::threads{1});
  auto player = system.start<logt::Player>();
  const auto name = to_string(player);
  CHECK(fmt::format("{}", player) == name);
  CHECK(fmt::format("{}", cokka::ActorRef<>(player)) == name);
  CHECK(fmt::format("{}", cokka::ActorRef<logt::Quiet>()) == "(no actor)");
  CHECK(fmt::format("[{:>12}]", cokka::ActorRef<>()) == "[  (no actor)]");  // format specs apply

  auto proxy = player.proxy();
  CHECK(fmt::format("{}", proxy) == "Proxy of " + name);
  CHECK(fmt::format("{}", proxy.track) == "Proxy of " + name + ".track");

  CHECK(fmt::format("{}", cokka::Message(logt::Boom{})) == "Message(logt::Boom)");
  CHECK(fmt::format("{}", cokka::Message(std::string("s"))) == "Message(std::string)");
  CHECK(fmt::format("{}", cokka::Message()) == "Message(void)");

  test::LogCapture capture;
  cokka::logger()->info("talking to {} via {}", player, proxy.track);
  // Info only: the player's own "Starting" record (debug) may come in meanwhile, from its io thread.
  CHECK(texts(capture.find(Level::info)) == std::vector<std::string>{"talking to " + name + " via Proxy of " + name + ".track"});
}

TEST_CASE("operator<< writes ActorRef, Proxy, Message and cokka errors as the formatters do") {
  cokka::System system(cokka::threads{1});
  auto player = system.start<logt::Player>();
  auto proxy = player.proxy();
  const auto name = to_string(player);
  auto printed = [](const auto& value) {
    std::ostringstream out;
    out << value;
    return out.str();
  };
  CHECK(printed(player) == name);
  CHECK(printed(cokka::ActorRef<>()) == "(no actor)");
  CHECK(printed(proxy.track) == "Proxy of " + name + ".track");
  CHECK(printed(cokka::Message(logt::Boom{})) == "Message(logt::Boom)");
  CHECK(printed(cokka::Message("text")) == "Message(std::string)");

  CHECK(printed(cokka::Timeout("no result within 5 ms")) == "cokka::Timeout: no result within 5 ms");
  CHECK(fmt::format("{}", cokka::BadReplyType("b")) == "cokka::BadReplyType: b");
  try {
    player.stop();
    player.tell(1);
    FAIL("no exception");
  } catch (const cokka::Error& e) {  // printed by its dynamic type
    CHECK(printed(e) == "cokka::ActorDeadError: " + name + " not found");
  }
  std::ostringstream chained;
  chained << "asked " << player << " got " << cokka::Message(3);
  CHECK(chained.str() == "asked " + name + " got Message(int)");
}
