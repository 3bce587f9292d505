#include "support.hpp"

#include <cokka/future.hpp>
#include <cokka/promise.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <doctest/doctest.h>

#include <coroutine>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("a promise's value reaches every get, any number of times") {
  cokka::Promise<std::string> promise;
  auto future = promise.get_future();
  CHECK_FALSE(future.ready());
  promise.set_value("done");
  CHECK(future.ready());
  CHECK(future.get() == "done");
  CHECK(future.get() == "done");
  CHECK(promise.get_future().get(1ms) == "done");
}

TEST_CASE("Future<void> completes and rethrows") {
  cokka::Promise<void> promise;
  auto future = promise.get_future();
  promise.set_value();
  CHECK_NOTHROW(future.get());

  cokka::Promise<void> failing;
  failing.set_exception(std::make_exception_ptr(std::logic_error("nope")));
  CHECK_THROWS_WITH_AS(failing.get_future().get(), "nope", std::logic_error);
}

TEST_CASE("a stored exception is rethrown by each get, with its type and text") {
  cokka::Promise<int> promise;
  promise.set_exception(std::make_exception_ptr(std::out_of_range("index 7")));
  auto future = promise.get_future();
  for (int i = 0; i < 3; ++i) CHECK_THROWS_WITH_AS(future.get(), "index 7", std::out_of_range);
}

TEST_CASE("setting twice throws FutureAlreadySet, the first value stays") {
  cokka::Promise<int> promise;
  promise.set_value(1);
  CHECK_THROWS_AS(promise.set_value(2), cokka::FutureAlreadySet);
  CHECK_THROWS_AS(promise.set_exception(std::make_exception_ptr(std::runtime_error("x"))), cokka::FutureAlreadySet);
  CHECK(promise.get_future().get() == 1);
}

TEST_CASE("a promise destroyed unset breaks its future") {
  cokka::Future<int> future;
  {
    cokka::Promise<int> promise;
    future = promise.get_future();
  }
  CHECK(future.ready());
  CHECK_THROWS_AS(future.get(), cokka::BrokenPromise);
}

TEST_CASE("an empty future says so instead of hanging") {
  cokka::Future<int> future;
  CHECK_FALSE(future.valid());
  CHECK_THROWS_AS(future.get(), cokka::InvalidState);
}

TEST_CASE("get(timeout) throws Timeout and a later get still sees the late value") {
  cokka::Promise<int> promise;
  auto future = promise.get_future();
  CHECK_THROWS_AS(future.get(20ms), cokka::Timeout);
  promise.set_value(5);
  CHECK(future.get(20ms) == 5);
}

TEST_CASE("many threads blocked on one future all wake with the value") {
  cokka::Promise<int> promise;
  auto future = promise.get_future();
  std::atomic<int> sum{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 8; ++i) waiters.emplace_back([&] { sum += future.get(); });
  std::this_thread::sleep_for(10ms);
  promise.set_value(3);
  for (auto& t : waiters) t.join();
  CHECK(sum == 24);
}

TEST_CASE("a move-only value can be taken once") {
  cokka::Promise<std::unique_ptr<int>> promise;
  promise.set_value(std::make_unique<int>(9));
  auto future = promise.get_future();
  CHECK(*future.get() == 9);
  CHECK_THROWS_AS(future.get(), cokka::InvalidState);
}

TEST_CASE("async_wait with use_awaitable resumes the coroutine on its own executor") {
  asio::io_context io;
  cokka::Promise<int> promise;
  auto future = promise.get_future();
  int got = 0;
  bool on_io_thread = false;
  auto waiter = [&]() -> asio::awaitable<void> {
    got = co_await future.async_wait(asio::use_awaitable);
    on_io_thread = io.get_executor().running_in_this_thread();
  };
  asio::co_spawn(io, waiter(), asio::detached);
  std::thread setter([&] {
    std::this_thread::sleep_for(10ms);
    promise.set_value(11);
  });
  io.run();
  setter.join();
  CHECK(got == 11);
  CHECK(on_io_thread);
}

TEST_CASE("async_wait rethrows the stored exception inside the coroutine") {
  asio::io_context io;
  cokka::Promise<int> promise;
  promise.set_exception(std::make_exception_ptr(std::invalid_argument("bad")));
  auto future = promise.get_future();
  std::string caught;
  auto waiter = [&]() -> asio::awaitable<void> {
    try {
      co_await future.async_wait(asio::use_awaitable);
    } catch (const std::invalid_argument& e) {
      caught = e.what();
    }
  };
  asio::co_spawn(io, waiter(), asio::detached);
  io.run();
  CHECK(caught == "bad");
}

//! [completion_tokens]
TEST_CASE("async_wait works with use_future, as_tuple and a plain callback") {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });

  cokka::Promise<int> promise;
  auto future = promise.get_future();
  std::future<int> std_future = future.async_wait(asio::bind_executor(io, asio::use_future));

  std::promise<std::pair<bool, int>> from_callback;
  future.async_wait([&](std::exception_ptr error, int value) { from_callback.set_value({error == nullptr, value}); });

  std::promise<int> from_tuple;
  auto tuple_waiter = [&]() -> asio::awaitable<void> {
    auto [error, value] = co_await future.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    from_tuple.set_value(error ? -1 : value);
  };
  asio::co_spawn(io, tuple_waiter(), asio::detached);

  promise.set_value(4);
  CHECK(std_future.get() == 4);
  CHECK(from_callback.get_future().get() == std::pair{true, 4});
  CHECK(from_tuple.get_future().get() == 4);
  guard.reset();
  runner.join();
}
//! [completion_tokens]

//! [as_tuple]
TEST_CASE("as_tuple(use_awaitable) hands a failure over as a value: no try block (redirect_error does not compile)") {
  asio::io_context io;
  cokka::Promise<int> promise;
  auto future = promise.get_future();
  promise.set_exception(std::make_exception_ptr(cokka::Timeout("too late")));
  std::string failure;
  auto waiter = [&]() -> asio::awaitable<void> {
    auto [error, value] = co_await future.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (!error) co_return;
    try {
      std::rethrow_exception(error);
    } catch (const cokka::Timeout& e) {
      failure = e.what();
    }
  };
  asio::co_spawn(io, waiter(), asio::detached);
  io.run();
  CHECK(failure == "too late");
}
//! [as_tuple]

namespace {
// Asio passes a value next to every error, and there is no NoDefault to pass.
struct NoDefault {
  explicit NoDefault(int v) : value(v) {}
  int value;
};
}  // namespace

TEST_CASE("async_wait of a T without a default constructor: use_awaitable gives the T, other tokens an optional") {
  asio::io_context io;
  cokka::Promise<NoDefault> promise;
  auto future = promise.get_future();
  cokka::Promise<NoDefault> failing;
  failing.set_exception(std::make_exception_ptr(std::invalid_argument("bad")));
  auto failed = failing.get_future();

  static_assert(std::is_same_v<decltype(future.async_wait(asio::use_awaitable)), asio::awaitable<NoDefault>>);
  static_assert(std::is_same_v<decltype(future.async_wait(asio::use_future)), std::future<std::optional<NoDefault>>>);
  int awaited = 0, tuple_value = 0;
  std::string caught;
  bool tuple_error_empty = false;
  auto waiter = [&]() -> asio::awaitable<void> {
    NoDefault got = co_await future.async_wait(asio::use_awaitable);
    awaited = got.value;
    try {
      co_await failed.async_wait(asio::use_awaitable);
    } catch (const std::invalid_argument& e) {
      caught = e.what();
    }
    auto [error, value] = co_await future.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    tuple_value = !error && value ? value->value : -1;
    auto [failure, nothing] = co_await failed.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    tuple_error_empty = failure && !nothing;
  };
  asio::co_spawn(io, waiter(), asio::detached);

  std::optional<NoDefault> from_callback;
  bool callback_error_empty = false;
  future.async_wait(asio::bind_executor(io, [&](std::exception_ptr, std::optional<NoDefault> value) {
    from_callback = std::move(value);
  }));
  failed.async_wait(asio::bind_executor(io, [&](std::exception_ptr error, std::optional<NoDefault> value) {
    callback_error_empty = error && !value;
  }));
  std::future<std::optional<NoDefault>> std_future = future.async_wait(asio::use_future);

  promise.set_value(NoDefault(7));
  io.run();
  CHECK(awaited == 7);
  CHECK(caught == "bad");
  CHECK(tuple_value == 7);
  CHECK(tuple_error_empty);
  REQUIRE(from_callback.has_value());
  CHECK(from_callback->value == 7);
  CHECK(callback_error_empty);
  CHECK(std_future.get()->value == 7);
}

//! [cancel_wait]
TEST_CASE("cancelling an async_wait ends only that wait, with operation_aborted") {
  asio::io_context io;
  cokka::Promise<int> promise;
  auto future = promise.get_future();
  asio::cancellation_signal cancel;
  std::error_code code;
  future.async_wait(asio::bind_cancellation_slot(cancel.slot(), asio::bind_executor(io, [&](std::exception_ptr error, int) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const std::system_error& e) {
      code = e.code();
    }
  })));
  asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
  io.run();
  CHECK(code == asio::error_code(asio::error::operation_aborted));
  CHECK_FALSE(future.ready());
  promise.set_value(1);
  CHECK(future.get() == 1);
}
//! [cancel_wait]

namespace {
test::Task await_into(cokka::Future<int> future, int& out) { out = co_await future; }
}  // namespace

TEST_CASE("co_await future in a coroutine type without await_transform") {
  cokka::Promise<int> promise;
  int out = 0;
  await_into(promise.get_future(), out);
  CHECK(out == 0);
  promise.set_value(8);
  CHECK(out == 8);
  int ready_out = 0;
  await_into(promise.get_future(), ready_out);
  CHECK(ready_out == 8);
}
