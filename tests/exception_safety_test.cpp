// Exception safety (issue 7): values whose moves throw, replies that are not what the asker wanted, and
// handlers that throw something that is not a std::exception. The caller gets a clear error and the actor
// follows the failure rules (design.md section 5).
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

struct MoveFailed : std::runtime_error {
  MoveFailed() : std::runtime_error("move constructor failed") {}
};

/// Its move constructor throws while `armed`: the test arms it after the value is built.
struct ThrowingMove {
  explicit ThrowingMove(bool armed) : armed(armed) {}
  ThrowingMove(const ThrowingMove&) = default;
  ThrowingMove(ThrowingMove&& other) : armed(other.armed) {  // NOLINT(performance-noexcept-move-constructor)
    if (armed) throw MoveFailed();
  }
  ThrowingMove& operator=(const ThrowingMove&) = delete;
  ThrowingMove& operator=(ThrowingMove&&) = delete;
  ~ThrowingMove() = default;
  bool armed;
};

/// Not derived from std::exception.
struct Oddity {
  int code;
};

struct Subject : cokka::Actor<Subject> {
  explicit Subject(test::Journal& journal) : journal_(journal) {}
  void on_stop() { journal_.add("stop"); }
  void on_failure(std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const Oddity& oddity) {
      journal_.add("failure Oddity " + std::to_string(oddity.code));
    } catch (const std::exception& e) {
      journal_.add(std::string("failure ") + e.what());
    } catch (...) {
      journal_.add("failure other");
    }
  }
  cokka::Message on_receive(cokka::Message& msg) {
    auto& text = msg.as<std::string>();
    if (text == "int") return 42;
    if (text == "text") return std::string("forty-two");
    if (text == "nothing") return {};
    if (text == "throwing reply") return ThrowingMove(false);
    if (text == "throw int") throw 7;
    if (text == "throw oddity") throw Oddity{13};
    journal_.add("msg " + text);
    return text;
  }
  test::Journal& journal_;
};

/// Replies with a value whose move constructor throws once the reply is boxed.
struct ArmedReply : cokka::Actor<ArmedReply> {
  ThrowingMove on_receive(cokka::Message&) { return ThrowingMove(true); }
};

/// Default-constructible, and its third move throws: a coroutine's reply is moved into the coroutine's
/// promise, then out of it, then on towards the asker, where the third move used to run inside co_spawn's
/// completion machinery and escape io_context::run (std::terminate).
struct ThrowsOnThirdMove {
  ThrowsOnThirdMove() = default;
  ThrowsOnThirdMove(const ThrowsOnThirdMove&) = delete;
  ThrowsOnThirdMove(ThrowsOnThirdMove&& other) : moves(other.moves + 1) {  // NOLINT(performance-noexcept-move-constructor)
    if (moves >= 3) throw MoveFailed();
  }
  ThrowsOnThirdMove& operator=(const ThrowsOnThirdMove&) = delete;
  ThrowsOnThirdMove& operator=(ThrowsOnThirdMove&&) = delete;
  ~ThrowsOnThirdMove() = default;
  int moves = 0;
};

struct CoroutineArmedReply : cokka::Actor<CoroutineArmedReply> {
  asio::awaitable<ThrowsOnThirdMove> on_receive(cokka::Message&) { co_return ThrowsOnThirdMove{}; }
};

}  // namespace

TEST_CASE("a message whose move constructor throws: tell and ask throw it at the caller, nothing is sent") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Subject>(journal);
  ThrowingMove armed(true);
  CHECK_THROWS_AS(actor.tell(std::move(armed)), MoveFailed);
  CHECK_THROWS_AS(actor.ask<int>(ThrowingMove(true)), MoveFailed);
  CHECK(actor.is_alive());
  CHECK(actor.ask<std::string>(std::string("after")).get(5s) == "after");
  CHECK(journal.events() == std::vector<std::string>{"msg after"});
}

TEST_CASE("a reply whose move constructor throws fails the ask with that exception, the actor lives on") {
  cokka::System system(cokka::threads{2});
  auto actor = system.start<ArmedReply>();
  CHECK_THROWS_AS(actor.ask<ThrowingMove>(0).get(5s), MoveFailed);
  CHECK_THROWS_AS(actor.ask(0).get(5s), MoveFailed);
  CHECK(actor.is_alive());
}

TEST_CASE("a coroutine handler's reply whose move throws fails the ask, it never escapes an io thread") {
  cokka::System system(cokka::threads{2});
  auto actor = system.start<CoroutineArmedReply>();
  CHECK_THROWS_AS(actor.ask(0).get(5s), MoveFailed);
  CHECK(actor.is_alive());
  CHECK_THROWS_AS(actor.ask(0).get(5s), MoveFailed);
}

TEST_CASE("a reply of the wrong type fails the ask with BadReplyType naming both types") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Subject>(journal);
  CHECK_THROWS_WITH_AS(actor.ask<int>(std::string("text")).get(5s),
                       doctest::Contains("ask<int> got a reply of type std::"), cokka::BadReplyType);
  CHECK_THROWS_WITH_AS(actor.ask<int>(std::string("nothing")).get(5s), doctest::Contains("of type void"),
                       cokka::BadReplyType);
  CHECK_THROWS_AS(actor.ask<ThrowingMove>(std::string("int")).get(5s), cokka::BadReplyType);
  SUBCASE("also when awaited") {
    auto reply = actor.ask<std::string>(std::string("int")).async_wait(asio::use_future);
    CHECK_THROWS_AS(reply.get(), cokka::BadReplyType);
  }
  // Not the actor's failure: it is alive and keeps its order.
  CHECK(actor.ask<int>(std::string("int")).get(5s) == 42);
  CHECK(actor.ask<ThrowingMove>(std::string("throwing reply")).get(5s).armed == false);
  CHECK(actor.is_alive());
  CHECK(system.registry().get_all().size() == 1);
}

TEST_CASE("an ask whose handler throws a non-std::exception gives the asker that same object") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Subject>(journal);
  auto reply = actor.ask<int>(std::string("throw oddity"));
  try {
    reply.get(5s);
    FAIL("the ask should have failed");
  } catch (const Oddity& oddity) {
    CHECK(oddity.code == 13);
  }
  CHECK_THROWS_AS(actor.ask<int>(std::string("throw int")).get(5s), int);
  CHECK_THROWS_AS(reply.get(), Oddity);  // every get() rethrows it
  CHECK(actor.is_alive());
  CHECK(journal.events().empty());
}

TEST_CASE("a coroutine awaiting an ask whose handler threw an int catches the int") {
  test::Journal journal;
  asio::io_context io;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Subject>(journal);
  int caught = 0;
  auto awaiting = [&]() -> asio::awaitable<void> {
    try {
      auto reply = actor.ask<int>(std::string("throw int"));
      co_await reply.async_wait(asio::use_awaitable);
    } catch (int value) {
      caught = value;
    }
  };
  auto coroutine = awaiting();
  asio::co_spawn(io, std::move(coroutine), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  io.run();
  CHECK(caught == 7);
  CHECK(actor.is_alive());
}

TEST_CASE("a tell whose handler throws a non-std::exception fails the actor, on_failure gets the object") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Subject>(journal);
  actor.tell(std::string("throw oddity"));
  actor.stop_async().get(5s);  // true or false: the failure may already have killed it
  CHECK_FALSE(actor.is_alive());
  CHECK(journal.events() == std::vector<std::string>{"failure Oddity 13"});
  CHECK_THROWS_AS(actor.tell(std::string("late")), cokka::ActorDeadError);
  CHECK(system.registry().get_all().empty());
}

namespace {
struct OddHooks : cokka::Actor<OddHooks> {
  explicit OddHooks(bool fail_start) : fail_start_(fail_start) {}
  void on_start() {
    if (fail_start_) throw Oddity{1};
  }
  int on_receive(cokka::Message&) { return 1; }
  void on_stop() { throw 5; }
  bool fail_start_;
};
}  // namespace

TEST_CASE("hooks throwing non-std::exception types still leave the actor dead, never a hang") {
  cokka::System system(cokka::threads{2});
  auto failed_start = system.start<OddHooks>(true);
  CHECK_THROWS_AS(failed_start.ask<int>(0).get(5s), cokka::ActorDeadError);
  CHECK_FALSE(failed_start.is_alive());

  auto failed_stop = system.start<OddHooks>(false);
  CHECK(failed_stop.ask<int>(0).get(5s) == 1);
  CHECK(failed_stop.stop(5s));
  CHECK_FALSE(failed_stop.is_alive());
  CHECK(system.registry().get_all().empty());
}

namespace {
/// Sends itself messages from its constructor, through self(), before System::start has launched it.
struct EarlyTalker : cokka::Actor<EarlyTalker> {
  EarlyTalker(test::Journal& journal, bool fail, cokka::Future<std::string>& early)
      : journal_(journal) {
    self().tell(std::string("told from the constructor"));
    early = self().ask<std::string>(std::string("asked from the constructor"));
    if (fail) throw std::invalid_argument("constructor failed");
  }
  void on_start() { journal_.add("start"); }
  std::string on_receive(cokka::Message& msg) {
    journal_.add(msg.as<std::string>());
    return "ok";
  }
  test::Journal& journal_;
};
}  // namespace

TEST_CASE("messages sent from the constructor through self() are handled after on_start") {
  test::Journal journal;
  cokka::Future<std::string> early;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<EarlyTalker>(journal, false, early);
  CHECK(early.get(5s) == "ok");
  CHECK(actor.stop(5s));
  CHECK(journal.events() ==
        std::vector<std::string>{"start", "told from the constructor", "asked from the constructor"});
}

TEST_CASE("a constructor that threw after sending itself messages: they fail, nothing runs, no hang") {
  test::Journal journal;
  cokka::Future<std::string> early;
  {
    cokka::System system(cokka::threads{2});
    CHECK_THROWS_AS(system.start<EarlyTalker>(journal, true, early), std::invalid_argument);
    CHECK_THROWS_AS(early.get(5s), cokka::ActorDeadError);
    CHECK(system.registry().get_all().empty());
  }
  CHECK(journal.events().empty());
}
