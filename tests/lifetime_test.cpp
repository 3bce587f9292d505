// The ways users break lifetimes (issues 24 and 15), each written as a user would hit it: a caller stopping or
// destroying its own io_context, a detached child coroutine outliving its actor, a continuation bound to an
// actor's executor outliving its System, an operation that completes inline, a busy single io thread during
// ~System. The ownership rules these hold are in docs/internals.md. Timeouts are hang detectors only.
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/bind_allocator.hpp>
#include <asio/bind_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// Rounds of a loop test: `fallback` in CI, more through the environment (scripts/soak sets it).
int rounds(int fallback) {
  const char* text = std::getenv("COKKA_LIFETIME_ROUNDS");
  return text ? std::atoi(text) : fallback;
}

struct Echo : cokka::Actor<Echo> {
  int on_receive(cokka::Message& msg) { return msg.as<int>(); }
};

/// Records its destruction in a journal.
struct Guard {
  Guard(test::Journal& journal, std::string name) : journal(&journal), name(std::move(name)) {}
  Guard(Guard&& other) noexcept : journal(std::exchange(other.journal, nullptr)), name(std::move(other.name)) {}
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  Guard& operator=(Guard&&) = delete;
  ~Guard() {
    if (journal) journal->add(name + " destroyed");
  }
  test::Journal* journal;
  std::string name;
};

}  // namespace

// Issue 15, item 1. A cokka io thread used to release its copy of the asker's tracked executor after the
// asker's handler ran, so after its owner had legitimately destroyed the io_context (ASan: heap-use-after-free).
TEST_CASE("a caller destroys its own io_context right after awaiting an ask, round after round") {
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  const int total = rounds(500);
  int answered = 0;
  for (int round = 0; round < total; ++round) {
    auto io = std::make_unique<asio::io_context>();
    int reply = -1;
    auto asker = [&echo, &reply, round]() -> asio::awaitable<void> {
      reply = co_await echo.ask<int>(round, asio::use_awaitable);
    };
    asio::co_spawn(*io, asker, asio::detached);
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (reply != round && std::chrono::steady_clock::now() < give_up) io->run_one_for(100ms);
    io.reset();  // the asker's completion ran: the context is the caller's to destroy
    answered += reply == round;
  }
  CHECK(answered == total);
}

namespace {

/// A plain handler that takes its time and then writes the actor's own state.
struct Slow : cokka::Actor<Slow> {
  Slow(test::Gate& entered, std::atomic<bool>& finished, test::Journal& journal)
      : entered_(entered), finished_(finished), journal_(journal) {}
  ~Slow() { journal_.add(finished_ ? "destroyed after the handler" : "destroyed under the handler"); }
  void on_receive(cokka::Message&) {
    entered_.open();
    std::this_thread::sleep_for(300ms);
    state_.assign(1000, 'x');  // the object must still be alive here
    finished_ = true;
  }
  test::Gate& entered_;
  std::atomic<bool>& finished_;
  test::Journal& journal_;
  std::string state_;
};

}  // namespace

// Issue 24, finding 1. io_context::stop() makes stopped() true while another thread still finishes its handler;
// ~System used to take that for "nothing runs" and destroy the actor under the running handler.
TEST_CASE("~System waits for a handler still running on a borrowed io_context its caller stopped") {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&io] { io.run(); });
  test::Gate entered;
  std::atomic<bool> finished{false};
  test::Journal journal;
  {
    cokka::System system(io);
    system.start<Slow>(entered, finished, journal).tell(1);
    REQUIRE(entered.wait());
    io.stop();  // the handler is still sleeping on the runner thread
  }
  CHECK(journal.events() == std::vector<std::string>{"destroyed after the handler"});
  runner.join();
}

namespace {

/// Its handler waits for a timer; what happens after the co_await is journaled.
struct TimerWaiter : cokka::Actor<TimerWaiter> {
  TimerWaiter(test::Journal& journal, test::Gate& waiting) : journal_(journal), waiting_(waiting) {}
  ~TimerWaiter() { journal_.add("actor destroyed"); }
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    Guard guard(journal_, "frame");
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(msg.as<int>()));
    waiting_.open();
    co_await timer.async_wait(asio::use_awaitable);
    journal_.add("resumed");
    co_return 1;
  }
  test::Journal& journal_;
  test::Gate& waiting_;
};

}  // namespace

// Issue 24, finding 1, second case. With a stopped context the sweep used to be skipped: the suspended handler
// was never marked discarded, and running the context again resumed it on the destroyed actor.
TEST_CASE("a stopped borrowed io_context run again after ~System destroys the suspended handler, never resumes it") {
  test::Journal journal;
  asio::io_context io;
  cokka::Future<int> reply;
  {
    cokka::System system(io);
    auto work = asio::make_work_guard(io);
    std::thread runner([&io] { io.run(); });
    test::Gate waiting;
    auto waiter = system.start<TimerWaiter>(journal, waiting);
    reply = waiter.ask<int>(50);
    REQUIRE(waiting.wait());
    io.stop();
    runner.join();
  }
  CHECK_THROWS_AS(reply.get(0s), cokka::ActorDeadError);  // every ask ends at ~System
  // The frame in the stopped context still refers to the actor: the object goes with it.
  CHECK(journal.events().empty());
  io.restart();
  io.run();  // the timer fires: the resumption is destroyed instead of run
  CHECK(journal.events() == std::vector<std::string>{"frame destroyed", "actor destroyed"});
}

namespace {

/// Its coroutine handler awaits an operation that completes inline, on the actor's own strand.
struct Inline : cokka::Actor<Inline> {
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    auto executor = co_await asio::this_coro::executor;
    co_await asio::dispatch(executor, asio::use_awaitable);
    co_return msg.as<int>();
  }
};

struct Blocker : cokka::Actor<Blocker> {
  explicit Blocker(test::Gate& gate) : gate_(gate) {}
  void on_start() { gate_.wait(); }  // holds the mailbox while the test queues the asks
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    auto executor = co_await asio::this_coro::executor;
    co_await asio::dispatch(executor, asio::use_awaitable);
    co_return msg.as<int>();
  }
  test::Gate& gate_;
};

}  // namespace

// Issue 24, finding 2. coroutine_done -> drain -> spawn -> co_spawn -> coroutine_done nested once per queued
// message when the awaited operation completed inline: 2,000 queued asks overflowed a release build's stack.
TEST_CASE("twenty thousand queued asks to a coroutine handler whose awaited operation completes inline") {
  cokka::System system(cokka::threads{2});
  test::Gate gate;
  auto actor = system.start<Blocker>(gate);
  std::vector<cokka::Future<int>> replies;
  replies.reserve(20000);
  for (int i = 0; i < 20000; ++i) replies.push_back(actor.ask<int>(i));
  gate.open();
  const auto values = cokka::get_all(replies, 60s);
  CHECK(values.size() == 20000);
  CHECK(values.back() == 19999);
  // Also when the asks arrive one by one.
  auto single = system.start<Inline>();
  for (int i = 0; i < 100; ++i) CHECK(single.ask<int>(i).get(10s) == i);
}

namespace {

asio::awaitable<void> child(test::Journal& journal, Guard /*destroyed with the frame*/, std::chrono::milliseconds wait) {
  asio::steady_timer timer(co_await asio::this_coro::executor, wait);
  co_await timer.async_wait(asio::use_awaitable);
  journal.add("child resumed");
}

/// Spawns a detached child on its handler's executor (the standard Asio idiom) and returns at once.
struct Parent : cokka::Actor<Parent> {
  explicit Parent(test::Journal& journal) : journal_(journal) {}
  asio::awaitable<void> on_receive(cokka::Message& msg) {
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, child(journal_, Guard(journal_, "child frame"), std::chrono::milliseconds(msg.as<int>())),
                   asio::detached);
    co_return;
  }
  test::Journal& journal_;
};

}  // namespace

// Issue 24, finding 3. The executor of a coroutine handler held a raw pointer to the actor's runtime cell; a
// detached child keeps a copy beyond the handler, the actor and every ref (ASan: heap-use-after-free).
TEST_CASE("a detached child coroutine outliving its actor is destroyed at its next resumption, never run") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  {
    auto parent = system.start<Parent>(journal);
    parent.ask<void>(100).get(5s);
    CHECK(parent.stop());
  }  // the last ref to the actor goes
  for (int i = 0; i < 500 && journal.events().empty(); ++i) std::this_thread::sleep_for(10ms);
  CHECK(journal.events() == std::vector<std::string>{"child frame destroyed"});
}

TEST_CASE("a detached child coroutine outliving its System is destroyed with it") {
  test::Journal journal;
  {
    cokka::System system(cokka::threads{2});
    system.start<Parent>(journal).ask<void>(3'600'000).get(5s);
  }
  CHECK(journal.events() == std::vector<std::string>{"child frame destroyed"});
}

namespace {

/// Chains continuations on its own executor onto futures it does not own.
struct Chainer : cokka::Actor<Chainer> {
  explicit Chainer(test::Journal& journal) : journal_(journal) {}
  cokka::Future<int> on_receive(cokka::Message& msg) {
    auto foreign = msg.as<cokka::Future<int>>();
    foreign.async_wait(asio::bind_executor(executor(), [this](std::exception_ptr, int) { journal_.add("callback ran"); }));
    return foreign.then(executor(), [this](cokka::Future<int> ready) {
      journal_.add("then ran");
      return ready.get() + 1;
    });
  }
  test::Journal& journal_;
};

}  // namespace

// Issue 24, finding 5. ~System could not cancel such waits; the completion later posted to the strand of a
// destroyed io_context (ASan: heap-use-after-free).
TEST_CASE("a continuation bound to an actor's executor on a foreign future outlives the System harmlessly") {
  test::Journal journal;
  cokka::Promise<int> foreign;
  cokka::Future<int> chained;
  {
    cokka::System system(cokka::threads{2});
    chained = system.start<Chainer>(journal).ask<cokka::Future<int>>(foreign.get_future()).get(5s);
  }
  foreign.set_value(1);
  CHECK_THROWS_AS(chained.get(5s), cokka::BrokenPromise);
  CHECK(journal.events().empty());
}

TEST_CASE("a continuation bound to an actor's executor is destroyed unrun once the actor is dead") {
  test::Journal journal;
  cokka::Promise<int> foreign;
  cokka::System system(cokka::threads{2});
  auto chainer = system.start<Chainer>(journal);
  auto chained = chainer.ask<cokka::Future<int>>(foreign.get_future()).get(5s);
  CHECK(chainer.stop());
  foreign.set_value(1);
  CHECK_THROWS_AS(chained.get(5s), cokka::BrokenPromise);
  CHECK(journal.events().empty());
}

namespace {

/// Records whether its on_stop ran while the app's only io thread was inside one of the app's own handlers.
struct Overlap : cokka::Actor<Overlap> {
  Overlap(std::atomic<bool>& busy, std::atomic<int>& overlaps) : busy_(busy), overlaps_(overlaps) {}
  int on_receive(cokka::Message&) { return 0; }
  void on_stop() {
    if (busy_) ++overlaps_;
  }
  std::atomic<bool>& busy_;
  std::atomic<int>& overlaps_;
};

}  // namespace

// Issue 24, finding 6. A single io thread busy in the app's handler for over 500 ms during ~System was taken for
// "nobody runs the context", and ~System polled it from the destroying thread: the actors' hooks ran next to the
// app's handler on a single-threaded io_context (whose handlers must never overlap).
TEST_CASE("~System waits for a borrowed io_context's one thread while it is busy, instead of polling beside it") {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&io] { io.run(); });
  std::atomic<bool> busy{false};
  std::atomic<int> overlaps{0};
  {
    cokka::System system(io);
    auto actor = system.start<Overlap>(busy, overlaps);
    CHECK(actor.ask<int>(0).get(5s) == 0);  // cokka's work ran on this context before
    test::Gate entered;
    asio::post(io, [&] {
      busy = true;
      entered.open();
      std::this_thread::sleep_for(1200ms);
      busy = false;
    });
    REQUIRE(entered.wait());
  }
  CHECK(overlaps == 0);
  work.reset();
  runner.join();
}

namespace {

/// Counts the messages it handles.
struct Counter : cokka::Actor<Counter> {
  int on_receive(cokka::Message& msg) {
    if (msg.is<std::string>()) return handled_;
    return ++handled_;
  }
  int handled_ = 0;
};

/// A std::allocator that counts what it allocates.
template <class T>
struct CountingAllocator {
  using value_type = T;
  explicit CountingAllocator(std::atomic<int>& count) noexcept : count(&count) {}
  template <class U>
  CountingAllocator(const CountingAllocator<U>& other) noexcept : count(other.count) {}  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) {
    ++*count;
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const CountingAllocator<U>& other) const noexcept {
    return count == other.count;
  }
  std::atomic<int>* count;
};

}  // namespace

// Issue 24, finding 7. ask(message, token) used to send at the call, also for lazy tokens.
TEST_CASE("ask with a lazy completion token sends only when the operation is initiated") {
  cokka::System system(cokka::threads{2});
  auto counter = system.start<Counter>();
  { auto never_initiated = counter.ask<int>(1, asio::experimental::deferred); }
  { auto never_awaited = counter.ask<int>(1, asio::use_awaitable); }
  CHECK(counter.ask<int>(std::string("count")).get(5s) == 0);

  auto later = counter.ask<int>(1, asio::experimental::deferred);
  CHECK(counter.ask<int>(std::string("count")).get(5s) == 0);
  std::promise<int> reply;
  std::move(later)([&reply](std::exception_ptr, int handled) { reply.set_value(handled); });
  CHECK(reply.get_future().get() == 1);
}

TEST_CASE("the wait operation is allocated with the handler's associated allocator") {
  cokka::System system(cokka::threads{2});
  auto echo = system.start<Echo>();
  std::atomic<int> allocations{0};
  std::promise<int> reply;
  echo.ask<int>(7, asio::bind_allocator(CountingAllocator<void>(allocations),
                                        [&reply](std::exception_ptr, int value) { reply.set_value(value); }));
  CHECK(reply.get_future().get() == 7);
  CHECK(allocations >= 1);
}
