// Proxies: method calls, fields, traversable members, defer, dead actors, equality, exceptions, coroutines.
#include <cokka/cokka.hpp>
#include <cokka/proxy.hpp>

#include "support.hpp"

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

using namespace std::chrono_literals;

namespace proxy_test {

struct CustomError : std::runtime_error {
  explicit CustomError(int code) : std::runtime_error("custom " + std::to_string(code)), code(code) {}
  int code;
};

// Nested objects know the strand of the actor that owns them, so they can tell where they run.
struct StrandProbe {
  std::optional<cokka::ActorExecutor> strand;
  bool on_strand() const { return strand && strand->running_in_this_thread(); }
};

struct Track {
  StrandProbe probe;
  int plays = 0;
  int next() { return ++plays; }
  bool on_owner_strand() const { return probe.on_strand(); }
};
COKKA_REFLECT(Track, methods(next, on_owner_strand), fields(plays));

struct Playback {
  StrandProbe probe;
  Track track;
  bool playing = false;
  void play() { playing = true; }
  bool on_owner_strand() const { return probe.on_strand(); }
};
COKKA_REFLECT(Playback, methods(play, on_owner_strand), fields(playing), traversable(track));

struct Adder : cokka::Actor<Adder> {
  int add(int a, int b) { return a + b; }
};
COKKA_REFLECT(Adder, methods(add));

struct Calculator : cokka::Actor<Calculator> {
  explicit Calculator(std::shared_ptr<cokka::Promise<std::string>> failed = {}) : failed_(std::move(failed)) {}

  void on_start() {
    playback.probe.strand = executor();
    playback.track.probe.strand = executor();
  }
  void on_failure(std::exception_ptr error) {
    if (!failed_) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      failed_->set_value(e.what());
    }
  }

  // Overloads and a default argument.
  int add(int a, std::optional<int> b = {}) {
    value = b ? a + *b : value + a;
    last_result = value;
    return value;
  }
  std::string add(const std::string& a, const std::string& b) { return a + b; }
  int sub(int a) {
    value -= a;
    last_result = value;
    return value;
  }
  void reset() { value = 0, last_result.reset(); }
  const int& value_ref() const { return value; }  // a reference result reaches the caller as a copy

  std::unique_ptr<int> boxed(std::unique_ptr<int> in) {
    *in += 1;
    return in;
  }

  void record(int n) { seen.push_back(n); }
  void fail(int code) { throw CustomError(code); }
  void fail_std() { throw std::invalid_argument("bad argument"); }

  // A coroutine method: waits on a timer, then on another actor, without blocking the strand.
  asio::awaitable<int> slow_add(int a, int b) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 2ms);
    co_await timer.async_wait(asio::use_awaitable);
    auto reply = adder->add(a, b);
    co_return co_await reply.async_wait(asio::use_awaitable);
  }
  // While it is suspended, no other message may run: busy_ is visible to nobody but itself.
  asio::awaitable<void> slow_mark() {
    busy_ = true;
    asio::steady_timer timer(co_await asio::this_coro::executor, 2ms);
    co_await timer.async_wait(asio::use_awaitable);
    busy_ = false;
  }
  bool busy() const { return busy_; }
  // The reference parameter must stay valid across the suspension (the proxy owns the argument).
  asio::awaitable<std::size_t> slow_length(const std::string& text) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1ms);
    co_await timer.async_wait(asio::use_awaitable);
    co_return text.size();
  }
  asio::awaitable<int> slow_fail(int code) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1ms);
    co_await timer.async_wait(asio::use_awaitable);
    throw CustomError(code);
  }

  // Returns its own proxy call: the caller gets Future<Future<int>>, not a flattened Future<int>.
  // Defined after COKKA_REFLECT: a proxy of Calculator can only be made where the registration is visible.
  cokka::Future<int> add_later(int a);

  std::optional<int> last_result;
  std::optional<cokka::Proxy<Adder>> adder;
  std::vector<int> seen;
  int value = 0;
  Playback playback;

private:
  std::shared_ptr<cokka::Promise<std::string>> failed_;
  bool busy_ = false;
};
COKKA_REFLECT(Calculator,
              methods(add, sub, reset, value_ref, boxed, record, fail, fail_std, slow_add, slow_mark, busy,
                      slow_length, slow_fail, add_later),
              fields(last_result, adder, seen), traversable(playback));

cokka::Future<int> Calculator::add_later(int a) { return self().proxy().add(a); }

// Uses Calculator's registration.
struct ScientificCalculator : Calculator {
  double sqrt_of(double) { return 0; }
};

// C strings in and out: arguments, replies, coroutine replies, a field.
struct Namer : cokka::Actor<Namer> {
  void hold(test::Gate* gate) { gate->wait(); }
  std::string greet(const std::string& who) { return "hi " + who; }
  std::size_t length(const char* text) { return std::strlen(text); }  // takes the pointer itself
  const char* kind() const { return "namer"; }
  asio::awaitable<const char*> slow_kind() {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1ms);
    co_await timer.async_wait(asio::use_awaitable);
    co_return "slow namer";
  }
  std::string name;
};
COKKA_REFLECT(Namer, methods(hold, greet, length, kind, slow_kind), fields(name));

}  // namespace proxy_test

using namespace proxy_test;

TEST_SUITE("proxy") {
  TEST_CASE("method calls respect overloads and default arguments") {
    cokka::System system(cokka::threads{2});
    auto calc = system.start<Calculator>().proxy();
    static_assert(std::is_same_v<decltype(calc), cokka::Proxy<Calculator>>);
    static_assert(std::is_same_v<decltype(calc.add(1, 2)), cokka::Future<int>>);
    static_assert(std::is_same_v<decltype(calc.add("a", "b")), cokka::Future<std::string>>);
    CHECK(calc.add(1, 3).get() == 4);
    CHECK(calc.add("con", std::string("cat")).get() == "concat");
    CHECK(calc.add(10).get() == 14);  // b defaulted: adds to the running value (4)
    CHECK(calc.value_ref().get() == 14);
  }

  TEST_CASE("C strings: arguments are kept as std::string, replies arrive as std::string") {
    test::Gate gate;
    cokka::System system(cokka::threads{2});
    auto namer = system.start<Namer>().proxy();
    CHECK(namer.greet("Bob").get(5s) == "hi Bob");

    char buffer[16] = "Ann";
    namer.hold.defer(&gate);
    auto greeting = namer.greet(buffer);  // queued behind hold: the buffer changes before the call runs
    std::strcpy(buffer, "changed");
    gate.open();
    CHECK(greeting.get(5s) == "hi Ann");

    CHECK(namer.length("four").get(5s) == 4);  // a method taking a char pointer gets the pointer
    auto kind = namer.kind();
    static_assert(std::is_same_v<decltype(kind), cokka::Future<std::string>>);
    CHECK(kind.get(5s) == "namer");
    auto slow_kind = namer.slow_kind();
    static_assert(std::is_same_v<decltype(slow_kind), cokka::Future<std::string>>);
    CHECK(slow_kind.get(5s) == "slow namer");

    namer.name.set(buffer).get(5s);
    CHECK(namer.name().get(5s) == "changed");
    const char* nothing = nullptr;
    CHECK_THROWS_AS(namer.greet(nothing), cokka::InvalidState);
  }

  TEST_CASE("move-only arguments and results, void results") {
    cokka::System system(cokka::threads{2});
    auto calc = system.start<Calculator>().proxy();
    auto boxed = calc.boxed(std::make_unique<int>(41));
    static_assert(std::is_same_v<decltype(boxed), cokka::Future<std::unique_ptr<int>>>);
    CHECK(*boxed.get() == 42);
    calc.add(5, 5).get();
    auto reset = calc.reset();
    static_assert(std::is_same_v<decltype(reset), cokka::Future<void>>);
    reset.get();
    CHECK_FALSE(calc.last_result().get().has_value());
  }

  TEST_CASE("field reads and writes are ordered with method calls") {
    cokka::System system(cokka::threads{2});
    auto calc = system.start<Calculator>().proxy();
    calc.sub(5);  // not waited for
    calc.add(3);  // not waited for
    auto last = calc.last_result();
    static_assert(std::is_same_v<decltype(last), cokka::Future<std::optional<int>>>);
    CHECK(last.get() == -2);

    auto written = calc.last_result.set(17);
    static_assert(std::is_same_v<decltype(written), cokka::Future<void>>);
    written.get();
    CHECK(calc.last_result().get() == 17);
    calc.last_result.set({});
    CHECK_FALSE(calc.last_result().get().has_value());
  }

  TEST_CASE("calls through one proxy from one thread run in order") {
    cokka::System system(cokka::threads{2});
    auto calc = system.start<Calculator>().proxy();
    std::vector<int> expected;
    for (int i = 0; i < 500; ++i) {
      if (i % 2) calc.record(i);
      else calc.record.defer(i);
      expected.push_back(i);
    }
    CHECK(calc.seen().get() == expected);
  }

  TEST_CASE("traversable members run on the owning actor's strand, two levels deep") {
    cokka::System system(cokka::threads{2});
    auto calc = system.start<Calculator>().proxy();
    auto playback = calc.playback;  // a standalone copy stays usable
    static_assert(
        std::is_same_v<decltype(playback), cokka::Proxy<cokka::Path<Calculator, &Calculator::playback>>>);
    CHECK(playback.on_owner_strand().get());
    CHECK(calc.playback.track.on_owner_strand().get());
    playback.play().get();
    CHECK(calc.playback.playing().get());
    calc.playback.track.next();
    calc.playback.track.next();
    CHECK(calc.playback.track.next().get() == 3);
    calc.playback.track.plays.set(10).get();
    CHECK(playback.track.plays().get() == 10);

    // Logs and errors name nested members by their path.
    using TrackPath = cokka::Path<Calculator, &Calculator::playback, &Playback::track>;
    using NextSpec = cokka::detail::Descriptor<Track>::cokka_specs_::next;
    CHECK(std::string_view(cokka::detail::MemberName<TrackPath, NextSpec>::value) == "playback.track.next");
  }

  TEST_CASE("coroutine methods await a timer and another actor, and hold the mailbox meanwhile") {
    cokka::System system(cokka::threads{2});
    auto adder = system.start<Adder>().proxy();
    auto calc = system.start<Calculator>().proxy();
    calc.adder.set(adder).get();

    auto sum = calc.slow_add(20, 22);
    static_assert(std::is_same_v<decltype(sum), cokka::Future<int>>);
    CHECK(sum.get() == 42);

    auto marked = calc.slow_mark();
    static_assert(std::is_same_v<decltype(marked), cokka::Future<void>>);
    CHECK_FALSE(calc.busy().get());  // queued behind slow_mark, so it only runs once that coroutine is done
    CHECK(marked.ready());

    std::string text(100, 'x');
    auto length = calc.slow_length(text);
    text.clear();
    CHECK(length.get() == 100);

    auto failed = calc.slow_fail(7);
    CHECK_THROWS_AS(failed.get(), CustomError);
    CHECK(calc.add(1, 1).get() == 2);  // an ask failure leaves the actor alive
  }

  TEST_CASE("exceptions reach the caller with their type, the actor lives on") {
    cokka::System system(cokka::threads{2});
    auto calc = system.start<Calculator>().proxy();
    try {
      calc.fail(3).get();
      FAIL("expected CustomError");
    } catch (const CustomError& e) {
      CHECK(e.code == 3);
    }
    CHECK_THROWS_WITH_AS(calc.fail_std().get(), "bad argument", std::invalid_argument);
    CHECK(calc.add(2, 3).get() == 5);
  }

  TEST_CASE("an actor method returning its own proxy call gives Future<Future<T>>") {
    cokka::System system(cokka::threads{2});
    auto calc = system.start<Calculator>().proxy();
    auto outer = calc.add_later(9);
    static_assert(std::is_same_v<decltype(outer), cokka::Future<cokka::Future<int>>>);
    cokka::Future<int> inner = outer.get();
    CHECK(inner.get() == 9);
  }

  TEST_CASE("defer is a tell: ordered, no future, and a failure stops the actor") {
    cokka::System system(cokka::threads{2});
    auto failed = std::make_shared<cokka::Promise<std::string>>();
    auto failure = failed->get_future();
    auto ref = system.start<Calculator>(failed);
    auto calc = ref.proxy();
    static_assert(std::is_void_v<decltype(calc.add.defer(5))>);
    calc.add.defer(5);
    CHECK(calc.last_result().get() == 5);

    calc.slow_mark.defer();  // a coroutine sent as a tell still holds the mailbox until it is done
    CHECK_FALSE(calc.busy().get());

    calc.fail.defer(9);
    CHECK(failure.get() == "custom 9");  // on_failure ran with the method's exception
    ref.stop();                            // returns once the actor is dead
    CHECK_FALSE(ref.is_alive());
    CHECK_THROWS_AS(calc.add.defer(1), cokka::ActorDeadError);
    CHECK_THROWS_AS(calc.add(1).get(), cokka::ActorDeadError);
  }

  TEST_CASE("proxies to dead actors") {
    cokka::System system(cokka::threads{2});
    auto ref = system.start<Calculator>();
    auto calc = ref.proxy();
    auto playback = calc.playback;
    CHECK(ref.stop());

    try {
      (void)ref.proxy();
      FAIL("expected ActorDeadError");
    } catch (const cokka::ActorDeadError& e) {
      CHECK(std::string(e.what()) == to_string(ref) + " not found");
      CHECK(std::string(e.what()).starts_with("proxy_test::Calculator (urn:uuid:"));
    }
    CHECK_THROWS_AS(calc.add(1, 2).get(), cokka::ActorDeadError);
    CHECK_THROWS_AS(calc.reset().get(), cokka::ActorDeadError);
    CHECK_THROWS_AS(calc.last_result().get(), cokka::ActorDeadError);
    CHECK_THROWS_AS(calc.last_result.set(1).get(), cokka::ActorDeadError);
    CHECK_THROWS_AS(calc.sub.defer(1), cokka::ActorDeadError);
    CHECK_THROWS_AS(playback.play().get(), cokka::ActorDeadError);
    CHECK_THROWS_AS(playback.track.next.defer(), cokka::ActorDeadError);
  }

  TEST_CASE("queued proxy calls fail with ActorDeadError when the actor stops first") {
    cokka::System system(cokka::threads{2});
    auto ref = system.start<Calculator>();
    auto calc = ref.proxy();
    auto adder = system.start<Adder>().proxy();
    calc.adder.set(adder).get();
    auto slow = calc.slow_add(1, 2);  // holds the mailbox for a moment
    ref.stop_async();                 // queued behind slow_add
    auto late = calc.add(1, 2);       // queued behind the stop, or refused
    CHECK(slow.get() == 3);
    CHECK_THROWS_AS(late.get(), cokka::ActorDeadError);
  }

  TEST_CASE("making a proxy runs nothing on the actor") {
    cokka::System system(cokka::threads{2});
    auto ref = system.start<Calculator>();
    auto first = ref.proxy();
    first.record(1).get();
    auto second = ref.proxy();
    auto copy = second;
    auto nested = copy.playback.track;
    (void)nested;
    CHECK(first.seen().get() == std::vector<int>{1});
  }

  TEST_CASE("equality and hashing") {
    cokka::System system(cokka::threads{2});
    auto ref = system.start<Calculator>();
    auto a = ref.proxy();
    auto b = ref.proxy();
    auto other = system.start<Calculator>().proxy();
    CHECK(a == b);
    CHECK(a != other);
    CHECK(a.playback == b.playback);
    CHECK(a.playback != other.playback);
    CHECK(a.playback.track == b.playback.track);
    CHECK_FALSE(a == a.playback);  // same actor, different path
    CHECK(std::hash<cokka::Proxy<Calculator>>{}(a) == std::hash<cokka::Proxy<Calculator>>{}(b));

    std::unordered_set<cokka::Proxy<Calculator>> set{a, b, other};
    CHECK(set.size() == 2);

    auto copy = a;
    CHECK(copy == a);
    copy = other;
    CHECK(copy == other);
    CHECK(copy.add(1, 1).get() == 2);  // a copy-assigned proxy calls its new actor
  }

  TEST_CASE("a subclass uses its base's registration") {
    cokka::System system(cokka::threads{2});
    auto ref = system.start<ScientificCalculator>();
    auto sci = ref.proxy();
    static_assert(std::is_same_v<decltype(sci), cokka::Proxy<ScientificCalculator>>);
    CHECK(sci.add(2, 2).get() == 4);
    CHECK(sci.playback.track.next().get() == 1);
    cokka::ActorRef<Calculator> as_base = ref;
    CHECK(as_base.proxy() == sci);  // same actor, same (empty) path
  }
}
