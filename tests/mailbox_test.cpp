// Bounded mailboxes, back-pressure and the control lane (issue 18, design.md section 15): exact counts of what
// is accepted, refused and dropped; waiters admitted in order, cancelled or failed, never left hanging. Timeouts
// are hang guards only.
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/system_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

using test::eventually;

/// Blocks in its handler until the test opens the gate.
struct Block {
  test::Gate* gate;
};

/// Records every int it is told, in order; answers an ask with the int; blocks on a Block.
struct Sink : cokka::Actor<Sink> {
  explicit Sink(std::shared_ptr<std::atomic<bool>> blocked) : blocked_(std::move(blocked)) {}
  int on_receive(cokka::Message& msg) {
    if (auto* block = msg.get_if<Block>()) {
      blocked_->store(true);
      block->gate->wait();
      return -1;
    }
    const int value = msg.as<int>();
    std::lock_guard lock(mutex);
    handled.push_back(value);
    return value;
  }
  std::shared_ptr<std::atomic<bool>> blocked_;
  static inline std::mutex mutex;
  static inline std::vector<int> handled;
};

/// A Sink with a bounded mailbox, blocked in its handler (its mailbox empty), until release().
struct BlockedSink {
  explicit BlockedSink(cokka::System& system, cokka::MailboxOptions mailbox) {
    {
      std::lock_guard lock(Sink::mutex);
      Sink::handled.clear();
    }
    ref = system.start<Sink>(cokka::ActorOptions{.mailbox = mailbox}, blocked);
    ref.tell(Block{&gate});
    REQUIRE(eventually([&] { return blocked->load(); }));
  }
  ~BlockedSink() { gate.open(); }
  void release() { gate.open(); }
  static std::vector<int> handled() {
    std::lock_guard lock(Sink::mutex);
    return Sink::handled;
  }

  std::shared_ptr<std::atomic<bool>> blocked = std::make_shared<std::atomic<bool>>(false);
  test::Gate gate;
  cokka::ActorRef<Sink> ref;
};

using test::what;

template <class E>
bool holds(const std::exception_ptr& error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const E&) {
    return true;
  } catch (...) {
  }
  return false;
}

cokka::debug::ActorSnapshot snapshot_of(cokka::System& system, const cokka::ActorRef<>& actor) {
  for (auto& seen : cokka::debug::snapshot(system))
    if (seen.actor == actor) return seen;
  FAIL("actor not in the snapshot");
  return {};
}

/// Collects async_tell outcomes from callbacks.
struct Outcomes {
  void add(int id, std::exception_ptr error) {
    std::lock_guard lock(mutex);
    done.emplace_back(id, std::move(error));
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return done.size();
  }
  std::mutex mutex;
  std::vector<std::pair<int, std::exception_ptr>> done;
};

}  // namespace

TEST_CASE("a full fail mailbox refuses tell and ask and try_tell returns false") {
  cokka::System system(cokka::threads{2});
  BlockedSink sink(system, {.capacity = 4, .on_full = cokka::OnFull::fail});
  for (int i = 0; i < 4; ++i) sink.ref.tell(i);
  try {
    sink.ref.tell(4);
    FAIL("tell into a full mailbox did not throw");
  } catch (const cokka::MailboxFull& full) {
    const std::string text = full.what();
    CHECK(text.find("Sink") != std::string::npos);
    CHECK(text.find(std::string(sink.ref.urn())) != std::string::npos);
    CHECK(text.find("capacity 4") != std::string::npos);
  }
  CHECK_FALSE(sink.ref.try_tell(5));
  auto asked = sink.ref.ask<int>(6);
  CHECK_THROWS_AS(asked.get(10s), cokka::MailboxFull);
  const auto seen = snapshot_of(system, sink.ref);
  CHECK(seen.mailbox_capacity == 4);
  CHECK(seen.mailbox_depth == 4);
  CHECK(cokka::debug::to_string(seen).find("mailbox 4 of 4") != std::string::npos);
  sink.release();
  CHECK(sink.ref.async_ask<int>(7, asio::use_future).get() == 7);  // waits for the room the release makes
  CHECK(BlockedSink::handled() == std::vector<int>{0, 1, 2, 3, 7});
}

TEST_CASE("drop_newest drops and counts the tells a full mailbox refuses") {
  cokka::System system(cokka::threads{2});
  BlockedSink sink(system, {.capacity = 2, .on_full = cokka::OnFull::drop_newest});
  for (int i = 0; i < 5; ++i) CHECK_NOTHROW(sink.ref.tell(i));
  CHECK_THROWS_AS(sink.ref.ask<int>(9).get(10s), cokka::MailboxFull);  // an ask is never silently dropped
  const auto seen = snapshot_of(system, sink.ref);
  CHECK(seen.dropped == 3);
  CHECK(cokka::debug::to_string(seen).find("3 dropped") != std::string::npos);
  sink.release();
  CHECK(sink.ref.async_ask<int>(10, asio::use_future).get() == 10);
  CHECK(BlockedSink::handled() == std::vector<int>{0, 1, 10});
}

TEST_CASE("an unbounded mailbox accepts everything and async_tell completes at once") {
  cokka::System system(cokka::threads{2});
  BlockedSink sink(system, {});
  for (int i = 0; i < 1000; ++i) CHECK(sink.ref.try_tell(i));
  sink.ref.async_tell(1000, asio::use_future).get();
  sink.release();
  CHECK(sink.ref.ask<int>(1001, 10s) == 1001);
  CHECK(BlockedSink::handled().size() == 1002);
}

TEST_CASE("senders waiting for room are admitted in the order they began to wait") {
  cokka::System system(cokka::threads{2});
  BlockedSink sink(system, {.capacity = 2});
  sink.ref.tell(0);
  sink.ref.tell(1);
  Outcomes outcomes;
  for (int i = 2; i < 12; ++i)
    sink.ref.async_tell(i, [&outcomes, i](std::exception_ptr error) { outcomes.add(i, std::move(error)); });
  CHECK(outcomes.count() == 0);
  // A plain tell finds no room (the places that free up belong to the waiters).
  CHECK_THROWS_AS(sink.ref.tell(99), cokka::MailboxFull);
  CHECK(snapshot_of(system, sink.ref).waiting_senders == 10);
  CHECK(cokka::debug::to_string(snapshot_of(system, sink.ref)).find("10 senders waiting for room") !=
        std::string::npos);
  sink.release();
  REQUIRE(eventually([&] { return outcomes.count() == 10; }));
  for (auto& [id, error] : outcomes.done) CHECK_MESSAGE(!error, id << ": " << what(error));
  CHECK(sink.ref.async_ask<int>(12, asio::use_future).get() == 12);
  CHECK(BlockedSink::handled() == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
}

TEST_CASE("a cancelled async_tell is never enqueued") {
  cokka::System system(cokka::threads{2});
  BlockedSink sink(system, {.capacity = 1});
  sink.ref.tell(0);
  asio::cancellation_signal cancel;
  Outcomes outcomes;
  sink.ref.async_tell(1, asio::bind_cancellation_slot(cancel.slot(), [&outcomes](std::exception_ptr error) {
                        outcomes.add(1, std::move(error));
                      }));
  sink.ref.async_tell(2, [&outcomes](std::exception_ptr error) { outcomes.add(2, std::move(error)); });
  cancel.emit(asio::cancellation_type::terminal);
  REQUIRE(eventually([&] { return outcomes.count() == 1; }));
  CHECK(outcomes.done[0].first == 1);
  try {
    std::rethrow_exception(outcomes.done[0].second);
  } catch (const asio::system_error& aborted) {
    CHECK(aborted.code() == asio::error::operation_aborted);
  }
  sink.release();
  REQUIRE(eventually([&] { return outcomes.count() == 2; }));
  CHECK_FALSE(outcomes.done[1].second);
  CHECK(sink.ref.async_ask<int>(3, asio::use_future).get() == 3);
  CHECK(BlockedSink::handled() == std::vector<int>{0, 2, 3});
}

TEST_CASE("async_ask waits for room then gets the reply and a cancelled one fails its future") {
  cokka::System system(cokka::threads{2});
  BlockedSink sink(system, {.capacity = 1});
  sink.ref.tell(0);
  auto reply = sink.ref.async_ask<int>(1, asio::use_future);
  asio::cancellation_signal cancel;
  std::promise<std::exception_ptr> cancelled;
  sink.ref.async_ask<int>(2, asio::bind_cancellation_slot(cancel.slot(), [&cancelled](std::exception_ptr error, int) {
                            cancelled.set_value(std::move(error));
                          }));
  cancel.emit(asio::cancellation_type::terminal);
  auto aborted = cancelled.get_future();
  REQUIRE(aborted.wait_for(10s) == std::future_status::ready);
  CHECK(holds<asio::system_error>(aborted.get()));
  sink.release();
  REQUIRE(reply.wait_for(10s) == std::future_status::ready);
  CHECK(reply.get() == 1);
  auto deferred = sink.ref.async_tell(3, asio::experimental::deferred);
  std::promise<std::exception_ptr> told;
  std::move(deferred)([&told](std::exception_ptr error) { told.set_value(std::move(error)); });
  CHECK_FALSE(told.get_future().get());
  CHECK(sink.ref.async_ask<int>(4, asio::use_future).get() == 4);
  CHECK(BlockedSink::handled() == std::vector<int>{0, 1, 3, 4});
}

TEST_CASE("every sender waiting for room completes with ActorDeadError when the actor stops") {
  cokka::System system(cokka::threads{2});
  BlockedSink sink(system, {.capacity = 1});
  sink.ref.tell(0);
  Outcomes outcomes;
  for (int i = 1; i <= 8; ++i)
    sink.ref.async_tell(i, [&outcomes, i](std::exception_ptr error) { outcomes.add(i, std::move(error)); });
  auto asked = sink.ref.async_ask<int>(9, asio::use_future);
  auto stopped = sink.ref.stop_now();
  sink.release();
  CHECK(stopped.get(10s));
  REQUIRE(eventually([&] { return outcomes.count() == 8; }));
  for (auto& [id, error] : outcomes.done) CHECK_MESSAGE(holds<cokka::ActorDeadError>(error), id << ": " << what(error));
  REQUIRE(asked.wait_for(10s) == std::future_status::ready);
  CHECK_THROWS_AS(asked.get(), cokka::ActorDeadError);
  CHECK(BlockedSink::handled().empty());
  // A send after the death fails at once.
  auto late = sink.ref.async_tell(10, asio::use_future);
  CHECK_THROWS_AS(late.get(), cokka::ActorDeadError);
}

TEST_CASE("stop_now overtakes 1000000 queued messages") {
  cokka::System system(cokka::threads{2});
  BlockedSink sink(system, {});
  constexpr int queued = 1'000'000;
  for (int i = 0; i < queued; ++i) sink.ref.tell(i);
  auto asked = sink.ref.ask<int>(queued);
  auto stopped = sink.ref.stop_now();
  sink.release();
  CHECK(stopped.get(60s));
  CHECK_THROWS_AS(asked.get(10s), cokka::ActorDeadError);
  const auto handled = BlockedSink::handled().size();
  CHECK(handled == 0);  // the stop is the next envelope the drain takes
  CHECK_FALSE(sink.ref.is_alive());
}

TEST_CASE("stop_now bypasses a full bounded mailbox") {
  cokka::System system(cokka::threads{2});
  BlockedSink sink(system, {.capacity = 3});
  for (int i = 0; i < 3; ++i) sink.ref.tell(i);
  auto stopped = sink.ref.stop_now();
  CHECK(snapshot_of(system, sink.ref).mailbox_depth == 4);
  sink.release();
  CHECK(stopped.get(10s));
  CHECK(BlockedSink::handled().empty());
}

TEST_CASE("16 producer threads never overfill a bounded mailbox and every message is accounted for") {
  cokka::System system(cokka::threads{2});
  std::shared_ptr<std::atomic<bool>> blocked = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard lock(Sink::mutex);
    Sink::handled.clear();
  }
  constexpr std::size_t capacity = 64;
  auto sink = system.start<Sink>(cokka::ActorOptions{.mailbox = {.capacity = capacity}}, blocked);
  constexpr int producers = 16;
  constexpr int per_producer = 1500;
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::atomic<std::size_t> deepest{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) {
        const int value = p * per_producer + i;
        switch (i % 3) {
          case 0:
            try {
              sink.tell(value);
              ++accepted;
            } catch (const cokka::MailboxFull&) {
              ++refused;
            }
            break;
          case 1:
            (sink.try_tell(value) ? accepted : refused)++;
            break;
          default:
            sink.async_tell(value, asio::use_future).get();
            ++accepted;
        }
        if (i % 100 == 0) {
          auto depth = snapshot_of(system, sink).mailbox_depth;
          auto seen = deepest.load();
          while (depth > seen && !deepest.compare_exchange_weak(seen, depth)) {
          }
        }
      }
    });
  }
  // Coroutines on an io_context of their own wait for room too.
  asio::io_context io;
  std::atomic<int> from_coroutines{0};
  for (int c = 0; c < 4; ++c)
    asio::co_spawn(
        io,
        [&sink, &from_coroutines, c]() -> asio::awaitable<void> {
          for (int i = 0; i < 500; ++i) {
            co_await sink.async_tell(1'000'000 + c * 1000 + i, asio::use_awaitable);
            ++from_coroutines;
          }
        },
        asio::detached);
  io.run();
  for (auto& thread : threads) thread.join();
  CHECK(from_coroutines == 2000);
  CHECK(accepted + refused == producers * per_producer);
  CHECK(sink.async_ask<int>(-5, asio::use_future).get() == -5);
  CHECK(BlockedSink::handled().size() == static_cast<std::size_t>(accepted + from_coroutines + 1));
  CHECK(deepest <= capacity);
  CHECK(snapshot_of(system, sink).waiting_senders == 0);
}

namespace {
struct Forward {
  cokka::ActorRef<Sink> to;
  int value;
};

/// Forwards with async_tell from a coroutine handler: waits for room without blocking its thread.
struct Forwarder : cokka::Actor<Forwarder> {
  asio::awaitable<void> on_receive(cokka::Message& msg) {
    auto forward = msg.as<Forward>();
    co_await forward.to.async_tell(forward.value, asio::use_awaitable);
  }
};
}  // namespace

TEST_CASE("an actor coroutine waiting for room shows in debug as waiting for room in the target") {
  cokka::System system(cokka::threads{2});
  BlockedSink sink(system, {.capacity = 1});
  sink.ref.tell(0);
  auto forwarder = system.start<Forwarder>();
  forwarder.tell(Forward{sink.ref, 1});
  REQUIRE(eventually([&] { return snapshot_of(system, forwarder).awaiting_room; }));
  const auto seen = snapshot_of(system, forwarder);
  REQUIRE(seen.awaiting);
  CHECK(*seen.awaiting == sink.ref);
  CHECK(cokka::debug::to_string(seen).find("waiting for room in " + to_string(sink.ref)) != std::string::npos);
  sink.release();
  CHECK(eventually([&] { return BlockedSink::handled().size() == 2; }));
  CHECK_FALSE(snapshot_of(system, forwarder).awaiting_room);
  CHECK(BlockedSink::handled() == std::vector<int>{0, 1});
}
