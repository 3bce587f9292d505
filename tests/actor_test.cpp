// Actor hooks, one message at a time, coroutine handlers, and the failure rules (design.md sections 3 and 5).
#include "log_capture.hpp"
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/co_spawn.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

//! [hooks]
struct Hooks : cokka::Actor<Hooks> {
  explicit Hooks(test::Journal& journal) : journal_(journal) {}
  void on_start() { journal_.add("start"); }
  std::string on_receive(cokka::Message& msg) {
    auto& text = msg.as<std::string>();
    if (text == "throw") throw std::domain_error("handler failed");
    journal_.add("msg " + text);
    return "re: " + text;
  }
  void on_stop() { journal_.add("stop"); }
  void on_failure(std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      journal_.add(std::string("failure ") + e.what());
    }
  }
  test::Journal& journal_;
};
//! [hooks]

}  // namespace

TEST_CASE("on_start runs before the first message, on_stop after the last") {
  test::Journal journal;
  {
    cokka::System system(cokka::threads{2});
    auto actor = system.start<Hooks>(journal);
    actor.tell(std::string("a"));
    CHECK(actor.ask<std::string>(std::string("b")).get() == "re: b");
    CHECK(actor.stop());
  }
  CHECK(journal.events() == std::vector<std::string>{"start", "msg a", "msg b", "stop"});
}

//! [tell_failure]
TEST_CASE("a tell whose handler throws stops the actor and runs on_failure, not on_stop") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Hooks>(journal);
  actor.tell(std::string("throw"));
  actor.stop_async().get(5s);  // true or false: the failure may already have killed it
  CHECK_FALSE(actor.is_alive());
  CHECK(journal.events() == std::vector<std::string>{"start", "failure handler failed"});
  CHECK(system.registry().get_all().empty());
  CHECK_THROWS_AS(actor.tell(std::string("late")), cokka::ActorDeadError);
}
//! [tell_failure]

//! [ask_failure]
TEST_CASE("an ask whose handler throws sends the exception to the asker, the actor lives on") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Hooks>(journal);
  CHECK_THROWS_WITH_AS(actor.ask<std::string>(std::string("throw")).get(), "handler failed", std::domain_error);
  CHECK(actor.is_alive());
  CHECK(actor.ask<std::string>(std::string("x")).get() == "re: x");
  CHECK(system.registry().get_all().size() == 1);
}
//! [ask_failure]

namespace {
struct FailingStart : cokka::Actor<FailingStart> {
  explicit FailingStart(test::Journal& journal) : journal_(journal) {}
  void on_start() { throw std::runtime_error("cannot start"); }
  int on_receive(cokka::Message&) { return 1; }
  void on_stop() { journal_.add("stop"); }
  void on_failure(std::exception_ptr) { journal_.add("failure"); }
  test::Journal& journal_;
};
}  // namespace

TEST_CASE("on_start throwing stops the actor, neither on_stop nor on_failure runs") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<FailingStart>(journal);
  auto reply = actor.ask<int>(1);
  CHECK_THROWS_AS(reply.get(5s), cokka::ActorDeadError);
  CHECK_FALSE(actor.is_alive());
  CHECK(system.registry().get_all().empty());
  CHECK(journal.events().empty());
}

namespace {
struct ThrowingHooks : cokka::Actor<ThrowingHooks> {
  void on_receive(cokka::Message&) { throw std::runtime_error("tell failed"); }
  void on_stop() { throw std::runtime_error("on_stop failed"); }
  void on_failure(std::exception_ptr) { throw std::runtime_error("on_failure failed"); }
};
}  // namespace

TEST_CASE("on_stop or on_failure throwing still leaves the actor dead") {
  cokka::System system(cokka::threads{2});
  auto stopped = system.start<ThrowingHooks>();
  CHECK(stopped.stop());
  CHECK_FALSE(stopped.is_alive());

  auto failed = system.start<ThrowingHooks>();
  failed.tell(1);
  failed.stop_async().get(5s);  // true or false: the failure may already have killed it
  CHECK_FALSE(failed.is_alive());
  CHECK(system.registry().get_all().empty());
}

namespace {
struct ThrowingConstructor : cokka::Actor<ThrowingConstructor> {
  explicit ThrowingConstructor(int) { throw std::invalid_argument("bad argument"); }
};
}  // namespace

TEST_CASE("a throwing constructor throws from start and registers nothing") {
  cokka::System system(cokka::threads{1});
  CHECK_THROWS_WITH_AS(system.start<ThrowingConstructor>(3), "bad argument", std::invalid_argument);
  CHECK(system.registry().get_all().empty());
}

namespace {
struct SelfStopper : cokka::Actor<SelfStopper> {
  SelfStopper(test::Journal& journal, test::Gate& stopped) : journal_(journal), stopped_(stopped) {}
  void on_receive(cokka::Message& msg) {
    auto text = msg.as<std::string>();
    journal_.add(text);
    if (text == "quit") {
      self().tell(std::string("told before stop"));
      stop();
      journal_.add("still in the handler");
    }
  }
  void on_stop() {
    journal_.add("stop");
    stopped_.open();
  }
  test::Journal& journal_;
  test::Gate& stopped_;
};
}  // namespace

TEST_CASE("an actor that tells itself and then stops handles that message first") {
  test::Journal journal;
  test::Gate stopped;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<SelfStopper>(journal, stopped);
  actor.tell(std::string("first"));
  actor.tell(std::string("quit"));
  REQUIRE(stopped.wait());
  CHECK(journal.events() ==
        std::vector<std::string>{"first", "quit", "still in the handler", "told before stop", "stop"});
  actor.stop();               // true if on_stop was still finishing, false if already dead
  CHECK_FALSE(actor.stop());  // dead now: a stopped actor never restarts
  CHECK_FALSE(actor.is_alive());
}

//! [one_at_a_time]
namespace {
struct Sleeper : cokka::Actor<Sleeper> {
  explicit Sleeper(test::Journal& journal) : journal_(journal) {}
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    int id = msg.as<int>();
    journal_.add("begin " + std::to_string(id));
    asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
    co_await timer.async_wait(asio::use_awaitable);
    journal_.add("end " + std::to_string(id));
    co_return id * 10;
  }
  test::Journal& journal_;
};
}  // namespace

TEST_CASE("coroutine handlers co_await a timer without letting the next message in") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Sleeper>(journal);
  auto a = actor.ask<int>(1);
  auto b = actor.ask<int>(2);
  auto c = actor.ask<int>(3);
  CHECK(a.get(5s) == 10);
  CHECK(b.get(5s) == 20);
  CHECK(c.get(5s) == 30);
  CHECK(journal.events() == std::vector<std::string>{"begin 1", "end 1", "begin 2", "end 2", "begin 3", "end 3"});
}
//! [one_at_a_time]

namespace {
struct Doubler : cokka::Actor<Doubler> {
  int on_receive(cokka::Message& msg) { return msg.as<int>() * 2; }
};

struct Asker : cokka::Actor<Asker> {
  explicit Asker(cokka::ActorRef<Doubler> doubler) : doubler_(std::move(doubler)) {}
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    int n = msg.as<int>();
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    int doubled = co_await doubler_.ask<int>(n, asio::use_awaitable);
    auto future = doubler_.ask<int>(doubled);
    int quadrupled = co_await future.async_wait(asio::use_awaitable);
    --in_flight_;
    co_return quadrupled;
  }
  int max_in_flight() { return max_in_flight_; }
  cokka::ActorRef<Doubler> doubler_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

struct InFlight {};
struct CountingAsker : Asker {
  using Asker::Asker;
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    if (msg.is<InFlight>()) co_return max_in_flight();
    int result = co_await Asker::on_receive(msg);
    co_return result;
  }
};
}  // namespace

TEST_CASE("a coroutine handler awaits another actor's reply, one message at a time") {
  cokka::System system(cokka::threads{2});
  auto doubler = system.start<Doubler>();
  auto asker = system.start<CountingAsker>(doubler);
  std::vector<cokka::Future<int>> replies;
  for (int i = 0; i < 50; ++i) replies.push_back(asker.ask<int>(i));
  for (int i = 0; i < 50; ++i) CHECK(replies[i].get(5s) == i * 4);
  CHECK(asker.ask<int>(InFlight{}).get(5s) == 1);
}

namespace {
// A reply type co_spawn cannot hand over by itself (it passes a default-constructed value next to an error).
struct NoDefault {
  explicit NoDefault(int v) : value(v) {}
  int value;
};

struct CoroutineReplies : cokka::Actor<CoroutineReplies> {
  asio::awaitable<void> answer_void(bool fail) {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    if (fail) throw std::runtime_error("void failed");
    ++handled;
  }
  asio::awaitable<NoDefault> answer_no_default(bool fail) {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    if (fail) throw std::runtime_error("no default failed");
    co_return NoDefault(++handled);
  }
  asio::awaitable<std::unique_ptr<int>> answer_move_only(bool fail) {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    if (fail) throw std::runtime_error("move-only failed");
    co_return std::make_unique<int>(++handled);
  }
  int handled = 0;
};
COKKA_REFLECT(CoroutineReplies, methods(answer_void, answer_no_default, answer_move_only), fields(handled));
}  // namespace

TEST_CASE("coroutine handlers reply void, move-only and not default-constructible values, or their exception") {
  cokka::System system(cokka::threads{2});
  auto proxy = system.start<CoroutineReplies>().proxy();
  proxy.answer_void(false).get(5s);
  CHECK(proxy.answer_no_default(false).get(5s).value == 2);
  CHECK(*proxy.answer_move_only(false).get(5s) == 3);
  CHECK_THROWS_WITH_AS(proxy.answer_void(true).get(5s), "void failed", std::runtime_error);
  CHECK_THROWS_WITH_AS(proxy.answer_no_default(true).get(5s), "no default failed", std::runtime_error);
  CHECK_THROWS_WITH_AS(proxy.answer_move_only(true).get(5s), "move-only failed", std::runtime_error);
  CHECK(proxy.handled().get(5s) == 3);  // failures reached the asker; the actor lives on
}

namespace {
// An on_receive coroutine whose reply type has no default constructor, awaited by another actor's coroutine.
struct NoDefaultMaker : cokka::Actor<NoDefaultMaker> {
  asio::awaitable<NoDefault> on_receive(cokka::Message& msg) {
    const int n = msg.as<int>();
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    if (n < 0) throw std::invalid_argument("negative");
    co_return NoDefault(n);
  }
};

struct NoDefaultAsker : cokka::Actor<NoDefaultAsker> {
  explicit NoDefaultAsker(cokka::ActorRef<NoDefaultMaker> maker) : maker_(std::move(maker)) {}
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    NoDefault made = co_await maker_.ask<NoDefault>(msg.as<int>(), asio::use_awaitable);
    co_return made.value;
  }
  cokka::ActorRef<NoDefaultMaker> maker_;
};
}  // namespace

TEST_CASE("a coroutine on_receive replies a T without a default constructor, another coroutine co_awaits it") {
  cokka::System system(cokka::threads{2});
  auto maker = system.start<NoDefaultMaker>();
  auto asker = system.start<NoDefaultAsker>(maker);
  CHECK(maker.ask<NoDefault>(4).get(5s).value == 4);
  CHECK(asker.ask<int>(5).get(5s) == 5);
  auto failed = asker.ask<int>(-1);
  CHECK_THROWS_WITH_AS(failed.get(5s), "negative", std::invalid_argument);
  CHECK(asker.ask<int>(6).get(5s) == 6);
}

namespace {
struct CoroutineHooks : cokka::Actor<CoroutineHooks> {
  explicit CoroutineHooks(test::Journal& journal) : journal_(journal) {}
  asio::awaitable<void> on_start() {
    asio::steady_timer timer(co_await asio::this_coro::executor, 10ms);
    co_await timer.async_wait(asio::use_awaitable);
    journal_.add("started");
  }
  std::string on_receive(cokka::Message&) {
    journal_.add("message");
    return "ok";
  }
  asio::awaitable<void> on_stop() {
    asio::steady_timer timer(co_await asio::this_coro::executor, 10ms);
    co_await timer.async_wait(asio::use_awaitable);
    journal_.add("stopped");
  }
  test::Journal& journal_;
};
}  // namespace

TEST_CASE("hooks may be coroutines, messages wait for a coroutine on_start") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto actor = system.start<CoroutineHooks>(journal);
  CHECK(actor.ask<std::string>(0).get(5s) == "ok");
  CHECK(actor.stop());
  CHECK(journal.events() == std::vector<std::string>{"started", "message", "stopped"});
}

//! [blocking_get]
namespace {
struct Blocker : cokka::Actor<Blocker> {
  explicit Blocker(cokka::Future<int> pending) : pending_(std::move(pending)) {}
  int on_receive(cokka::Message&) { return pending_.get(); }
  cokka::Future<int> pending_;
};
}  // namespace

TEST_CASE("a blocking get inside a handler throws BlockingCallInActor and says what to do") {
  cokka::System system(cokka::threads{1});
  cokka::Promise<int> never;
  auto actor = system.start<Blocker>(never.get_future());
  try {
    actor.ask<int>(0).get(5s);
    FAIL("no exception");
  } catch (const cokka::BlockingCallInActor& e) {
    CHECK(std::string(e.what()).find("co_await") != std::string::npos);
  }
  CHECK(actor.is_alive());
}
//! [blocking_get]

namespace {
struct Identity : cokka::Actor<Identity> {
  std::string on_receive(cokka::Message&) { return std::string(urn()) + "|" + to_string(self()); }
};
}  // namespace

TEST_CASE("urn is a uuid4 urn and to_string prints Type (urn)") {
  cokka::System system(cokka::threads{1});
  auto actor = system.start<Identity>();
  auto urn = std::string(actor.urn());
  CHECK(urn.size() == 45);
  CHECK(urn.rfind("urn:uuid:", 0) == 0);
  CHECK(urn[23] == '4');
  CHECK(actor.ask<std::string>(0).get(5s) == urn + "|" + to_string(actor));
  CHECK(to_string(actor) == "(anonymous namespace)::Identity (" + urn + ")");
  CHECK(system.start<Identity>().urn() != actor.urn());
}

namespace {
struct Base : cokka::Actor<Base> {
  virtual ~Base() = default;
  std::string on_receive(cokka::Message&) { return name(); }
  virtual std::string name() { return "base"; }
};
struct Derived : Base {
  std::string name() override { return "derived"; }
};
}  // namespace

TEST_CASE("actor classes can be subclassed, the most-derived hooks run") {
  cokka::System system(cokka::threads{1});
  auto derived = system.start<Derived>();
  cokka::ActorRef<Base> as_base = derived;
  cokka::ActorRef<> erased = derived;
  CHECK(as_base.ask<std::string>(0).get(5s) == "derived");
  CHECK(erased == derived);
}

TEST_CASE("an actor without on_receive logs unexpected messages and replies void") {
  struct Silent : cokka::Actor<Silent> {};
  cokka::System system(cokka::threads{1});
  auto actor = system.start<Silent>();
  CHECK_NOTHROW(actor.ask<void>(1).get(5s));
  CHECK_THROWS_AS(actor.ask<int>(1).get(5s), cokka::BadReplyType);
  CHECK(actor.is_alive());
}

namespace {
// Hooks' hooks, made protected: enough for cokka (System::start derives from the actor).
class ProtectedHooks : public Hooks {
public:
  using Hooks::Hooks;

protected:
  using Hooks::on_failure;
  using Hooks::on_receive;
  using Hooks::on_start;
  using Hooks::on_stop;
};
}  // namespace

TEST_CASE("protected hooks run like public ones") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto stopped = system.start<ProtectedHooks>(journal);
  CHECK(stopped.ask<std::string>("x").get(5s) == "re: x");
  CHECK(stopped.stop());
  auto failed = system.start<ProtectedHooks>(journal);
  failed.tell("throw");
  failed.stop_async().get(5s);  // true or false: the failure may already have killed it
  CHECK(journal.events() == std::vector<std::string>{"start", "msg x", "stop", "start", "failure handler failed"});
}

namespace {
// Members that look like hooks the actor lacks: logged, never called.
struct Misspelt : cokka::Actor<Misspelt> {
  int on_recieve(cokka::Message&) { return 1; }

private:
  void onStart() {}
};
// `receive` would look like on_receive, but the actor has on_receive: nothing to warn about.
struct BothNames : cokka::Actor<BothNames> {
  int on_receive(cokka::Message& msg) { return receive(msg.as<int>()); }
  int receive(int n) { return n + 1; }
};
}  // namespace

TEST_CASE("members that look like a hook the actor lacks are logged once per actor type at start") {
  test::LogCapture capture(spdlog::level::warn);
  cokka::System system(cokka::threads{1});
  auto first = system.start<Misspelt>();
  system.start<Misspelt>();
  const auto records = capture.find(spdlog::level::warn, "looks like the hook");
  REQUIRE(records.size() == 2);
  CHECK(records[0].text ==
        "(anonymous namespace)::Misspelt has a member on_recieve that looks like the hook on_receive, which it does "
        "not have: cokka finds hooks by their exact names only, so on_recieve never runs as a hook");
  CHECK(records[1].text.starts_with("(anonymous namespace)::Misspelt has a member onStart that looks like the hook "
                                    "on_start"));
  // Not a hook indeed: the message is unexpected and the ask gets a void reply.
  CHECK_NOTHROW(first.ask<void>(1).get(5s));
  CHECK(capture.count(spdlog::level::warn, "Unexpected message received by") == 1);

  auto both = system.start<BothNames>();
  CHECK(both.ask<int>(1).get(5s) == 2);
  CHECK(capture.count(spdlog::level::warn, "BothNames") == 0);
}

TEST_CASE("actor objects are made only by System::start") {
  struct Loose : cokka::Actor<Loose> {};
  static_assert(std::is_abstract_v<Loose>, "the hooks' dispatch is added by System::start");
  cokka::System system(cokka::threads{1});
  CHECK(system.start<Loose>().is_alive());
}

namespace {
// g++ 12.2 destroys a capturing lambda written inside a co_await expression twice (field notes). Handlers
// here bind such lambdas to named locals first; under ASan this test catches a regression to the bad form.
struct LambdaAwaiter : cokka::Actor<LambdaAwaiter> {
  asio::awaitable<std::string> on_receive(cokka::Message& msg) {
    auto text = msg.as<std::string>();
    auto work = [captured = text + " with a heap-allocated capture long enough"]() -> asio::awaitable<std::string> {
      co_return captured;
    };
    auto result = co_await asio::co_spawn(co_await asio::this_coro::executor, work, asio::use_awaitable);
    co_return result;
  }
};
}  // namespace

TEST_CASE("a lambda spawned from a coroutine handler is destroyed exactly once") {
  cokka::System system(cokka::threads{2});
  auto actor = system.start<LambdaAwaiter>();
  for (int i = 0; i < 20; ++i)
    CHECK(actor.ask<std::string>(std::string("run")).get(5s) == "run with a heap-allocated capture long enough");
}
