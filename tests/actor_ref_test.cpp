// ActorRef: tell, ask and its forms, replies and their types, stop semantics, races (design.md 4, 6, 11).
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <unordered_set>

using namespace std::chrono_literals;

namespace {

struct Block {
  test::Gate* gate;
};
struct Echo : cokka::Actor<Echo> {
  cokka::Message on_receive(cokka::Message& msg) {
    if (auto* block = msg.get_if<Block>()) {
      block->gate->wait();
      return {};
    }
    return std::move(msg);
  }
};

struct Recorder : cokka::Actor<Recorder> {
  std::vector<int> on_receive(cokka::Message& msg) {
    if (msg.is<int>()) seen_.push_back(msg.as<int>());
    return seen_;
  }
  std::vector<int> seen_;
};

}  // namespace

TEST_CASE("ask converts the reply to R, or fails with BadReplyType naming both types") {
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  CHECK(echo.ask<int>(5).get() == 5);
  CHECK(echo.ask<std::string>(std::string("s")).get() == "s");
  CHECK(echo.ask(7).get().as<int>() == 7);  // R defaults to Message: the reply as it is
  CHECK_NOTHROW(echo.ask<void>(7).get());   // void ignores the reply
  try {
    echo.ask<std::string>(5).get();
    FAIL("no exception");
  } catch (const cokka::BadReplyType& e) {
    std::string what = e.what();
    CHECK(what.find("std::string") != std::string::npos);
    CHECK(what.find("int") != std::string::npos);
  }
  CHECK(echo.is_alive());
}

namespace {
// Replies with C strings, the way a first actor is usually written.
struct Greeter : cokka::Actor<Greeter> {
  const char* on_receive(cokka::Message& msg) {
    auto& text = msg.as<std::string>();
    if (text == "null") return nullptr;
    if (text != "who") last_ = text;
    return last_.c_str();  // copied into the reply before the next message can change last_
  }
  std::string last_ = "nobody";
};

struct CoroutinePong : cokka::Actor<CoroutinePong> {
  asio::awaitable<const char*> on_receive(cokka::Message& msg) {
    const bool null = msg.as<std::string>() == "null";
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    co_return null ? nullptr : "pong";
  }
};
}  // namespace

TEST_CASE("string literals are sent as std::string, C-string replies arrive as std::string") {
  cokka::System system(cokka::threads{2});
  auto greeter = system.start<Greeter>();
  greeter.tell("Bob");
  CHECK(greeter.ask<std::string>("who").get(5s) == "Bob");
  CHECK(greeter.ask("who").get(5s).is<std::string>());  // the reply as it is: a std::string

  auto pong = system.start<CoroutinePong>();
  CHECK(pong.ask<std::string>("ping").get(5s) == "pong");
}

TEST_CASE("a handler replying a null char pointer fails the ask with InvalidState, the actor lives on") {
  cokka::System system(cokka::threads{2});
  auto greeter = system.start<Greeter>();
  auto plain = greeter.ask<std::string>("null");
  CHECK_THROWS_AS(plain.get(5s), cokka::InvalidState);
  CHECK(greeter.ask<std::string>("who").get(5s) == "nobody");

  auto pong = system.start<CoroutinePong>();
  auto coroutine = pong.ask<std::string>("null");
  CHECK_THROWS_AS(coroutine.get(5s), cokka::InvalidState);
  CHECK(pong.ask<std::string>("ping").get(5s) == "pong");
}

namespace {
/// Asks `echo` for `sent` as an R and returns the BadReplyType text ("" when the ask succeeded).
template <class R, class M>
std::string refusal(const cokka::ActorRef<Echo>& echo, M sent) {
  auto reply = echo.ask<R>(sent);
  try {
    reply.get(5s);
  } catch (const cokka::BadReplyType& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("ask<R> of a number of another type converts it when every value of that type is an R") {
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  CHECK(echo.ask<long>(-5).get(5s) == -5L);                                     // int -> long
  CHECK(echo.ask<long long>(5u).get(5s) == 5LL);                                // unsigned -> wider signed
  CHECK(echo.ask<unsigned long>(static_cast<unsigned short>(7)).get(5s) == 7ul);  // unsigned -> wider unsigned
  CHECK(echo.ask<int>(static_cast<signed char>(-3)).get(5s) == -3);              // int8_t is a number
  CHECK(echo.ask<double>(-7).get(5s) == -7.0);                                  // int -> double: 31 <= 53 bits
  CHECK(echo.ask<float>(static_cast<short>(300)).get(5s) == 300.0f);           // short -> float: 15 <= 24 bits
  CHECK(echo.ask<double>(1.5f).get(5s) == 1.5);                                 // float -> double
  CHECK(echo.ask<long double>(0.25).get(5s) == 0.25L);                          // double -> long double
}

TEST_CASE("ask<R> refuses conversions that could lose a value with BadReplyType naming both types") {
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  CHECK(refusal<int>(echo, 5L) == "cokka: ask<int> got a reply of type long");              // narrowing
  CHECK(refusal<unsigned>(echo, 5) == "cokka: ask<unsigned int> got a reply of type int");  // signed -> unsigned
  CHECK(refusal<unsigned long>(echo, 5L) == "cokka: ask<unsigned long> got a reply of type long");
  CHECK(refusal<float>(echo, 5) == "cokka: ask<float> got a reply of type int");            // 31 > 24 bits
  CHECK(refusal<double>(echo, 5LL) == "cokka: ask<double> got a reply of type long long");  // 63 > 53 bits
  CHECK(refusal<float>(echo, 0.5) == "cokka: ask<float> got a reply of type double");       // narrowing
  CHECK(refusal<int>(echo, 2.0) == "cokka: ask<int> got a reply of type double");           // floating -> integer
  CHECK(refusal<bool>(echo, 1) == "cokka: ask<bool> got a reply of type int");              // integer -> bool
  CHECK(refusal<int>(echo, true) == "cokka: ask<int> got a reply of type bool");            // bool is no number
  CHECK(refusal<int>(echo, 'a') == "cokka: ask<int> got a reply of type char");             // nor is a character
  CHECK(refusal<long>(echo, std::string("5")) == "cokka: ask<long> got a reply of type std::string");
  CHECK(echo.is_alive());
}

TEST_CASE("ask with a timeout throws Timeout, the next ask still gets its reply") {
  test::Gate gate;
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  echo.tell(Block{&gate});
  CHECK_THROWS_AS(echo.ask<int>(1, 30ms), cokka::Timeout);
  gate.open();
  CHECK(echo.ask<int>(2, 5s) == 2);
}

TEST_CASE("ask takes Asio completion tokens") {
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  asio::io_context io;
  int awaited = 0;
  auto session = [&]() -> asio::awaitable<void> { awaited = co_await echo.ask<int>(21, asio::use_awaitable); };
  asio::co_spawn(io, session(), asio::detached);
  io.run();
  CHECK(awaited == 21);

  std::promise<int> from_callback;
  echo.ask<int>(3, [&](std::exception_ptr error, int value) { from_callback.set_value(error ? -1 : value); });
  CHECK(from_callback.get_future().get() == 3);
}

TEST_CASE("messages from one sender arrive in the order sent") {
  cokka::System system(cokka::threads{2});
  auto recorder = system.start<Recorder>();
  for (int i = 0; i < 1000; ++i) recorder.tell(i);
  auto seen = recorder.ask<std::vector<int>>(std::string("done")).get(5s);
  REQUIRE(seen.size() == 1000);
  for (int i = 0; i < 1000; ++i) CHECK(seen[i] == i);
}

TEST_CASE("tell, ask and proxy-free sends to a dead actor") {
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  CHECK(echo.stop());
  CHECK_FALSE(echo.is_alive());
  try {
    echo.tell(1);
    FAIL("no exception");
  } catch (const cokka::ActorDeadError& e) {
    CHECK(std::string(e.what()) == to_string(echo) + " not found");
  }
  CHECK_THROWS_WITH_AS(echo.ask<int>(1).get(), (to_string(echo) + " not found").c_str(), cokka::ActorDeadError);
  CHECK_FALSE(echo.stop());
  CHECK_FALSE(echo.stop_async().get());
}

TEST_CASE("a stop queued behind a blocked handler: asks before it are answered, asks after it fail") {
  test::Gate gate;
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  echo.tell(Block{&gate});
  auto before = echo.ask<int>(1);
  auto first_stop = echo.stop_async();
  auto after = echo.ask<int>(2);
  auto second_stop = echo.stop_async();
  echo.tell(3);  // accepted while stopping, then dropped
  CHECK(echo.is_alive());
  gate.open();
  CHECK(before.get(5s) == 1);
  CHECK(first_stop.get(5s));
  CHECK(second_stop.get(5s));  // queued stops resolve true
  CHECK_THROWS_WITH_AS(after.get(5s), (to_string(echo) + " stopped before handling the message").c_str(),
                       cokka::ActorDeadError);
  CHECK_FALSE(echo.is_alive());
}

TEST_CASE("stop(timeout) throws Timeout while a handler is busy, the actor still stops later") {
  test::Gate gate;
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  echo.tell(Block{&gate});
  CHECK_THROWS_AS(echo.stop(20ms), cokka::Timeout);
  gate.open();
  for (int i = 0; i < 500 && echo.is_alive(); ++i) std::this_thread::sleep_for(10ms);
  CHECK_FALSE(echo.is_alive());
}

TEST_CASE("refs compare and hash by actor identity, and widen to ActorRef<>") {
  cokka::System system(cokka::threads{1});
  auto a = system.start<Echo>();
  auto b = system.start<Echo>();
  cokka::ActorRef<Echo> a_again = a;
  cokka::ActorRef<> erased = a;
  CHECK(a == a_again);
  CHECK(erased == a);
  CHECK_FALSE(a == b);
  std::unordered_set<cokka::ActorRef<>> set{a, b, erased};
  CHECK(set.size() == 2);
  CHECK(to_string(cokka::ActorRef<>{}) == "(no actor)");
  CHECK_THROWS_AS(cokka::ActorRef<Echo>{}.tell(1), cokka::InvalidState);
}

TEST_CASE("several threads wait on one ask's future") {
  test::Gate gate;
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  echo.tell(Block{&gate});
  auto reply = echo.ask<int>(6);
  std::atomic<int> sum{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) waiters.emplace_back([&] { sum += reply.get(); });
  gate.open();
  for (auto& t : waiters) t.join();
  CHECK(sum == 24);
}

TEST_CASE("asks racing a stop all complete: with the reply or with ActorDeadError") {
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  constexpr int senders = 8, per_sender = 10'000;
  std::atomic<int> replied{0}, dead{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < senders; ++t)
    threads.emplace_back([&] {
      std::vector<cokka::Future<int>> futures;
      futures.reserve(per_sender);
      for (int i = 0; i < per_sender; ++i) futures.push_back(echo.ask<int>(i));
      for (auto& f : futures) {
        try {
          f.get(2s);
          ++replied;
        } catch (const cokka::ActorDeadError&) {
          ++dead;
        } catch (...) {
          ++other;  // a Timeout would mean a lost message
        }
      }
    });
  std::this_thread::sleep_for(2ms);
  std::thread stopper([&] { echo.stop(); });
  for (auto& t : threads) t.join();
  stopper.join();
  CHECK(other == 0);
  CHECK(replied + dead == senders * per_sender);
}
