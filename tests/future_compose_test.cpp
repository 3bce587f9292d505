// Future composition: map, filter, reduce, join, get_all, then; laziness, compute-once and no-cache-on-throw.
#include <cokka/cokka.hpp>

#include "support.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <coroutine>
#include <future>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

using namespace std::chrono_literals;

namespace {

using Ints = std::vector<int>;

/// An io_context run by one extra thread until the object goes away.
class Runner {
public:
  Runner() : thread_([this] { io.run(); }) {}
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  ~Runner() {
    guard_.reset();
    thread_.join();
  }
  asio::io_context io;

private:
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io);
  std::thread thread_;
};

std::error_code error_code_of(const std::exception_ptr& error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const std::system_error& e) {
    return e.code();
  } catch (...) {
  }
  return {};
}

template <class T>
test::Task await_into(cokka::Future<T> future, std::optional<T>& out, std::string& error) {
  try {
    out = co_await future;
  } catch (const std::exception& e) {
    error = e.what();
  }
}

}  // namespace

//! [map]
TEST_CASE("map transforms the value lazily, a failed source passes on without calling f") {
  cokka::Promise<int> promise;
  std::atomic<int> calls{0};
  auto doubled = promise.get_future().map([&](int v) {
    ++calls;
    return v * 2;
  });
  static_assert(std::is_same_v<decltype(doubled), cokka::Future<int>>);
  auto text = doubled.map([](int v) { return std::to_string(v); });
  CHECK_FALSE(doubled.ready());
  CHECK_FALSE(text.ready());
  promise.set_value(21);
  CHECK(doubled.ready());
  CHECK(calls == 0);  // lazy: nothing ran yet
  CHECK(text.get() == "42");
  CHECK(doubled.get() == 42);
  CHECK(calls == 1);

  cokka::Promise<int> failing;
  auto mapped = failing.get_future().map([&](int v) {
    ++calls;
    return v;
  });
  failing.set_exception(std::make_exception_ptr(std::out_of_range("no such row")));
  CHECK_THROWS_WITH_AS(mapped.get(), "no such row", std::out_of_range);
  CHECK_THROWS_WITH_AS(mapped.get(), "no such row", std::out_of_range);
  CHECK(calls == 1);
}
//! [map]

TEST_CASE("map over and into void") {
  cokka::Promise<void> done;
  auto answer = done.get_future().map([] { return 42; });
  int seen = 0;
  auto recorded = answer.map([&](int v) { seen = v; });
  static_assert(std::is_same_v<decltype(recorded), cokka::Future<void>>);
  done.set_value();
  CHECK_NOTHROW(recorded.get());
  CHECK(seen == 42);
  CHECK(answer.get() == 42);
}

TEST_CASE("a derived future computes once for many concurrent readers") {
  cokka::Promise<int> promise;
  std::atomic<int> calls{0};
  auto squared = promise.get_future().map([&](int v) {
    ++calls;
    std::this_thread::sleep_for(5ms);  // widen the window in which readers overlap
    return v * v;
  });
  std::atomic<int> sum{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 8; ++i) readers.emplace_back([&] { sum += squared.get(); });
  Runner runner;
  std::promise<int> from_async;
  squared.async_wait([&](std::exception_ptr error, int v) { from_async.set_value(error ? -1 : v); });
  auto from_then = squared.then(runner.io.get_executor(), [](cokka::Future<int> ready) { return ready.get() + 1; });
  promise.set_value(7);
  for (auto& t : readers) t.join();
  CHECK(sum == 8 * 49);
  CHECK(from_async.get_future().get() == 49);
  CHECK(from_then.get() == 50);
  CHECK(squared.get() == 49);
  CHECK(calls == 1);
}

TEST_CASE("a throwing computation is not cached: the next read runs it again, then the value is cached") {
  cokka::Promise<int> promise;
  int calls = 0;
  auto flaky = promise.get_future().map([&](int v) {
    if (++calls == 1) throw std::runtime_error("first try fails");
    return v + 1;
  });
  promise.set_value(1);
  CHECK_THROWS_WITH_AS(flaky.get(), "first try fails", std::runtime_error);
  CHECK(calls == 1);
  CHECK(flaky.get() == 2);
  CHECK(flaky.get() == 2);
  CHECK(calls == 2);
}

TEST_CASE("a throwing computation reaches async_wait and then(), and is retried by the next reader") {
  Runner runner;
  cokka::Promise<int> promise;
  std::atomic<int> calls{0};
  auto flaky = promise.get_future().map([&](int v) {
    if (++calls == 1) throw std::invalid_argument("not yet");
    return v;
  });
  promise.set_value(3);
  std::promise<std::string> first;
  flaky.async_wait(asio::bind_executor(runner.io, [&](std::exception_ptr error, int) {
    try {
      if (error) std::rethrow_exception(error);
      first.set_value("no error");
    } catch (const std::invalid_argument& e) {
      first.set_value(e.what());
    }
  }));
  CHECK(first.get_future().get() == "not yet");
  auto after = flaky.then(runner.io.get_executor(), [](cokka::Future<int> ready) { return ready.get() * 10; });
  CHECK(after.get() == 30);
  CHECK(calls == 2);
}

TEST_CASE("derived futures are computed on the reader's executor by async_wait") {
  Runner runner;
  auto strand = asio::make_strand(runner.io);
  cokka::Promise<int> promise;
  std::atomic<bool> on_strand{false};
  auto mapped = promise.get_future().map([&](int v) {
    on_strand = strand.running_in_this_thread();
    return v;
  });
  auto value = mapped.async_wait(asio::bind_executor(strand, asio::use_future));
  promise.set_value(5);
  CHECK(value.get() == 5);
  CHECK(on_strand);
}

TEST_CASE("cancelling an async_wait on a derived future ends only that wait") {
  asio::io_context io;
  cokka::Promise<int> promise;
  auto mapped = promise.get_future().map([](int v) { return v + 1; });
  asio::cancellation_signal cancel;
  std::error_code code;
  mapped.async_wait(asio::bind_cancellation_slot(
      cancel.slot(), asio::bind_executor(io, [&](std::exception_ptr error, int) { code = error_code_of(error); })));
  asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
  io.run();
  CHECK(code == asio::error_code(asio::error::operation_aborted));
  promise.set_value(1);
  CHECK(mapped.get() == 2);
}

TEST_CASE("cancellation racing the roots of a join ends each wait exactly once") {
  Runner runner;
  auto strand = asio::make_strand(runner.io);
  int completed = 0;
  int aborted = 0;
  for (int i = 0; i < 300; ++i) {
    cokka::Promise<int> a;
    cokka::Promise<int> b;
    auto both = cokka::join(a.get_future(), b.get_future());
    asio::cancellation_signal cancel;
    std::promise<bool> outcome;
    std::promise<void> emitted;
    const auto handler = [&](std::exception_ptr error, std::tuple<int, int>) { outcome.set_value(error == nullptr); };
    const auto start = [&] {
      both.async_wait(asio::bind_cancellation_slot(cancel.slot(), asio::bind_executor(strand, handler)));
    };
    const auto emit = [&] {
      cancel.emit(asio::cancellation_type::terminal);
      emitted.set_value();
    };
    asio::post(strand, start);
    a.set_value(1);
    asio::post(strand, emit);  // races the second root's completion, posted from this thread
    b.set_value(2);
    (outcome.get_future().get() ? completed : aborted) += 1;
    emitted.get_future().get();
  }
  CHECK(completed + aborted == 300);
}

TEST_CASE("co_await on derived futures in a coroutine type without await_transform") {
  cokka::Promise<int> a;
  cokka::Promise<std::string> b;
  std::optional<std::tuple<int, std::string>> joined;
  std::string error;
  await_into(cokka::join(a.get_future(), b.get_future()), joined, error);
  a.set_value(1);
  CHECK_FALSE(joined.has_value());  // waits for every root
  b.set_value("one");
  REQUIRE(joined.has_value());
  CHECK(*joined == std::tuple{1, std::string("one")});

  cokka::Promise<int> failing;
  failing.set_value(0);
  std::optional<int> out;
  auto throwing = failing.get_future().map([](int v) -> int { throw std::runtime_error("x" + std::to_string(v)); });
  await_into(throwing, out, error);
  CHECK_FALSE(out.has_value());
  CHECK(error == "x0");
}

TEST_CASE("filter keeps the matching elements of a range, in order") {
  cokka::Promise<Ints> promise;
  auto evens = promise.get_future().filter([](int v) { return v % 2 == 0; });
  static_assert(std::is_same_v<decltype(evens), cokka::Future<Ints>>);
  promise.set_value(Ints{1, 2, 3, 4, 6, 7});
  CHECK(evens.get() == Ints{2, 4, 6});
  CHECK(cokka::make_ready_future<Ints>().filter([](int) { return true; }).get().empty());

  cokka::Promise<Ints> failing;
  failing.set_exception(std::make_exception_ptr(std::length_error("too long")));
  CHECK_THROWS_AS(failing.get_future().filter([](int) { return true; }).get(), std::length_error);
}

namespace {
/// Counts its copies (moves are free), to see what filter copies.
struct Counted {
  explicit Counted(int v, std::atomic<int>& copies) : value(v), copies_(&copies) {}
  Counted(const Counted& other) : value(other.value), copies_(other.copies_) { ++*copies_; }
  Counted(Counted&&) noexcept = default;
  Counted& operator=(const Counted&) = delete;
  Counted& operator=(Counted&&) noexcept = default;
  int value;
  std::atomic<int>* copies_;
};
}  // namespace

TEST_CASE("filter moves elements out of its own copy and only copies through a view") {
  std::atomic<int> copies{0};
  std::vector<Counted> values;
  for (int i = 0; i < 4; ++i) values.emplace_back(i, copies);
  auto owned = cokka::make_ready_future<std::vector<Counted>>(std::move(values));
  auto big = owned.filter([](const Counted& c) { return c.value >= 2; }).get();
  REQUIRE(big.size() == 2);
  CHECK(big[1].value == 3);
  CHECK(copies == 4 + 2);  // reading the shared value copies the vector, get() copies the result; kept ones are moved

  std::vector<std::string> words{"alpha", "beta", "gamma"};
  auto long_words =
      cokka::make_ready_future<std::span<std::string>>(words).filter([](const std::string& w) { return w.size() > 4; });
  CHECK(long_words.get() == std::vector<std::string>{"alpha", "gamma"});
  CHECK(words == std::vector<std::string>{"alpha", "beta", "gamma"});  // the viewed data is untouched
}

//! [reduce]
TEST_CASE("reduce folds a range, without init an empty range fails with a clear InvalidState") {
  cokka::Promise<Ints> promise;
  auto sum = promise.get_future().reduce([](int acc, int v) { return acc + v; });
  auto joined = promise.get_future().reduce([](std::string acc, int v) { return acc + std::to_string(v); },
                                            std::string(">"));
  static_assert(std::is_same_v<decltype(joined), cokka::Future<std::string>>);
  promise.set_value(Ints{1, 2, 3, 4});
  CHECK(sum.get() == 10);
  CHECK(joined.get() == ">1234");
  CHECK(cokka::make_ready_future<Ints>(Ints{9}).reduce([](int a, int b) { return a * b; }).get() == 9);

  auto empty = cokka::make_ready_future<Ints>();
  CHECK(empty.reduce([](int a, int b) { return a + b; }, 100).get() == 100);
  auto nothing = empty.reduce([](int a, int b) { return a + b; });
  CHECK_THROWS_AS(nothing.get(), cokka::InvalidState);
  CHECK_THROWS_WITH(nothing.get(), doctest::Contains("reduce(f, init)"));
}
//! [reduce]

TEST_CASE("reduce with init starts from a fresh copy of init after a failed computation") {
  int calls = 0;
  auto list = cokka::make_ready_future<Ints>(Ints{1, 2});
  auto appended = list.reduce(
      [&](Ints acc, int v) {
        if (++calls == 2) throw std::runtime_error("flaky");
        acc.push_back(v);
        return acc;
      },
      Ints{0});
  CHECK_THROWS_AS(appended.get(), std::runtime_error);
  CHECK(appended.get() == Ints{0, 1, 2});
  CHECK(calls == 4);
}

//! [join]
TEST_CASE("join gives a tuple of every value, std::monostate for void") {
  cokka::Promise<int> a;
  cokka::Promise<void> b;
  cokka::Promise<std::string> c;
  auto all = cokka::join(a.get_future(), b.get_future(), c.get_future().map([](std::string s) { return s + "!"; }));
  static_assert(std::is_same_v<decltype(all), cokka::Future<std::tuple<int, std::monostate, std::string>>>);
  c.set_value("hey");
  a.set_value(1);
  CHECK_FALSE(all.ready());
  b.set_value();
  CHECK(all.ready());
  CHECK(all.get() == std::tuple{1, std::monostate{}, std::string("hey!")});
  CHECK(cokka::join().get() == std::tuple<>{});

  auto twice = cokka::join(a.get_future(), a.get_future());
  CHECK(twice.get() == std::tuple{1, 1});
}
//! [join]

TEST_CASE("join fails with the first failure in argument order") {
  cokka::Promise<int> a;
  cokka::Promise<int> b;
  cokka::Promise<int> c;
  auto all = cokka::join(a.get_future(), b.get_future(), c.get_future());
  c.set_exception(std::make_exception_ptr(std::runtime_error("third")));
  b.set_exception(std::make_exception_ptr(std::logic_error("second")));
  a.set_value(1);
  CHECK_THROWS_WITH_AS(all.get(), "second", std::logic_error);
  CHECK_THROWS_AS(cokka::join(a.get_future(), cokka::Future<int>()), cokka::InvalidState);
}

//! [get_all]
TEST_CASE("get_all returns the values in order and rethrows the first failure in order") {
  std::vector<cokka::Promise<int>> promises(3);
  std::vector<cokka::Future<int>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  std::thread setter([&] {
    for (int i = 2; i >= 0; --i) promises[static_cast<std::size_t>(i)].set_value(i * 10);
  });
  CHECK(cokka::get_all(futures, 10s) == Ints{0, 10, 20});
  setter.join();
  CHECK(cokka::get_all(futures) == Ints{0, 10, 20});

  cokka::Promise<int> bad;
  bad.set_exception(std::make_exception_ptr(std::domain_error("bad one")));
  futures.push_back(bad.get_future());
  CHECK_THROWS_WITH_AS(cokka::get_all(futures, 10s), "bad one", std::domain_error);

  std::vector<cokka::Future<void>> voids{cokka::make_ready_future<void>(), cokka::make_ready_future<void>()};
  static_assert(std::is_void_v<decltype(cokka::get_all(voids))>);
  CHECK_NOTHROW(cokka::get_all(voids, 1s));
  CHECK(cokka::get_all(std::vector<cokka::Future<int>>{}, 1ms).empty());
}
//! [get_all]

TEST_CASE("get_all shares one deadline: three futures set 150 ms apart miss a 200 ms total") {
  std::vector<cokka::Promise<int>> promises(3);
  std::vector<cokka::Future<int>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  std::thread setter([&] {
    for (auto& p : promises) {
      std::this_thread::sleep_for(150ms);
      p.set_value(1);
    }
  });
  // Each future arrives within 150 ms of the previous one, so a per-future 200 ms timeout would succeed.
  CHECK_THROWS_AS(cokka::get_all(futures, 200ms), cokka::Timeout);
  setter.join();
  CHECK(cokka::get_all(futures, 200ms) == Ints{1, 1, 1});  // the futures stay usable
}

TEST_CASE("get(timeout) on a derived future throws Timeout and later still computes") {
  cokka::Promise<int> promise;
  auto mapped = promise.get_future().map([](int v) { return -v; });
  CHECK_THROWS_AS(mapped.get(10ms), cokka::Timeout);
  promise.set_value(4);
  CHECK(mapped.get(10ms) == -4);
}

TEST_CASE("a broken promise reaches every derived future") {
  cokka::Future<int> source;
  {
    cokka::Promise<int> promise;
    source = promise.get_future();
  }
  CHECK_THROWS_AS(source.map([](int v) { return v; }).get(), cokka::BrokenPromise);
  CHECK_THROWS_AS(cokka::join(source).get(), cokka::BrokenPromise);
  CHECK_THROWS_AS(cokka::get_all(std::vector{source}, 1s), cokka::BrokenPromise);
  CHECK_THROWS_AS(cokka::Future<int>().map([](int v) { return v; }), cokka::InvalidState);
}

TEST_CASE("a future holding a future is not flattened") {
  cokka::Promise<int> inner;
  auto outer = cokka::make_ready_future<int>(1).map([&](int) { return inner.get_future(); });
  static_assert(std::is_same_v<decltype(outer), cokka::Future<cokka::Future<int>>>);
  auto got = outer.get();
  CHECK_FALSE(got.ready());
  inner.set_value(2);
  CHECK(got.get() == 2);
  auto pair = cokka::join(outer, inner.get_future());
  static_assert(std::is_same_v<decltype(pair), cokka::Future<std::tuple<cokka::Future<int>, int>>>);
  CHECK(std::get<0>(pair.get()) == got);
}

TEST_CASE("then runs f on the executor with the ready future, also for failures") {
  Runner runner;
  auto strand = asio::make_strand(runner.io);
  cokka::Promise<int> promise;
  std::atomic<bool> on_strand{false};
  auto plus_one = promise.get_future().then(strand, [&](cokka::Future<int> ready) {
    on_strand = strand.running_in_this_thread();
    CHECK(ready.ready());
    return ready.get() + 1;
  });
  promise.set_value(1);
  CHECK(plus_one.get() == 2);
  CHECK(on_strand);

  cokka::Promise<int> failing;
  auto recovered = failing.get_future().then(runner.io.get_executor(), [](cokka::Future<int> ready) {
    try {
      return ready.get();
    } catch (const std::runtime_error& e) {
      return -1;
    }
  });
  failing.set_exception(std::make_exception_ptr(std::runtime_error("lost")));
  CHECK(recovered.get() == -1);

  std::atomic<int> ran{0};
  auto side_effect = cokka::make_ready_future<void>().then(runner.io.get_executor(), [&](cokka::Future<void>) { ++ran; });
  static_assert(std::is_same_v<decltype(side_effect), cokka::Future<void>>);
  side_effect.get();
  CHECK(ran == 1);

  auto throwing = cokka::make_ready_future<int>(0).then(
      runner.io.get_executor(), [](cokka::Future<int>) -> int { throw std::overflow_error("in then"); });
  CHECK_THROWS_WITH_AS(throwing.get(), "in then", std::overflow_error);
}

TEST_CASE("then whose executor is destroyed without running it breaks its future") {
  cokka::Future<int> result;
  {
    asio::io_context io;
    result = cokka::make_ready_future<int>(1).then(io.get_executor(), [](cokka::Future<int> ready) { return ready.get(); });
  }
  CHECK_THROWS_AS(result.get(), cokka::BrokenPromise);
}

namespace {
struct Doubler : cokka::Actor<Doubler> {
  int on_receive(cokka::Message& msg) { return msg.as<int>() * 2; }
};

struct Composer : cokka::Actor<Composer> {
  explicit Composer(cokka::ActorRef<Doubler> doubler) : doubler_(std::move(doubler)) {}
  asio::awaitable<std::string> on_receive(cokka::Message& msg) {
    const int n = msg.as<int>();
    if (n < 0) {
      cokka::Promise<int> never_set;
      auto blocked = never_set.get_future().map([](int v) { return v; });
      try {
        blocked.get();  // must refuse: a blocking wait inside a handler
      } catch (const cokka::BlockingCallInActor& e) {
        co_return std::string(e.what());
      }
      co_return std::string("no exception");
    }
    auto pair = cokka::join(doubler_.ask<int>(n), doubler_.ask<int>(n + 1));
    auto sum = pair.map([](std::tuple<int, int> t) { return std::get<0>(t) + std::get<1>(t); });
    const int total = co_await sum.async_wait(asio::use_awaitable);
    co_return std::to_string(total);
  }
  cokka::ActorRef<Doubler> doubler_;
};
}  // namespace

TEST_CASE("inside an actor: derived futures are co_awaited, a blocking get throws BlockingCallInActor") {
  cokka::System system(cokka::threads{2});
  auto doubler = system.start<Doubler>();
  auto composer = system.start<Composer>(doubler);
  CHECK(composer.ask<std::string>(5).get(10s) == "22");
  const auto refusal = composer.ask<std::string>(-1).get(10s);
  CHECK(refusal.find("co_await") != std::string::npos);
}
