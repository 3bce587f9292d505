// Dead letters (design.md 17): tells that reach no handler are counted by reason, offered to subscribers and
// logged within a limit.
#include "log_capture.hpp"
#include "support.hpp"

#include <cokka/cokka.hpp>
#include <cokka/dead_letters.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using cokka::DeadLetterReason;

namespace letters {

struct Ping {};
struct Boom {};

/// Blocks in a Gate* message until the test opens it; fails on a Boom; answers anything else with 1.
struct Sink : cokka::Actor<Sink> {
  int on_receive(cokka::Message& msg) {
    if (auto* gate = msg.get_if<test::Gate*>()) (*gate)->wait();
    if (msg.is<Boom>()) throw std::runtime_error("boom");
    return 1;
  }
};

/// Every dead letter a subscription saw.
struct Seen {
  void add(const cokka::DeadLetter& letter) {
    std::lock_guard lock(mutex);
    letters.push_back(letter);
  }
  std::vector<cokka::DeadLetter> all() {
    std::lock_guard lock(mutex);
    return letters;
  }
  std::mutex mutex;
  std::vector<cokka::DeadLetter> letters;
};

/// Waits (a hang guard of 10 s) until `actor` has `depth` messages queued.
bool wait_for_depth(cokka::System& system, const cokka::ActorRef<>& actor, std::size_t depth) {
  for (int i = 0; i < 10'000; ++i) {
    for (const auto& snapshot : cokka::debug::snapshot(system))
      if (snapshot.actor == actor && snapshot.mailbox_depth == depth) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

/// A System with a Sink blocked in its first handler until `gate` opens: what is sent meanwhile queues.
struct BlockedSink {
  cokka::System system{cokka::threads{2}};
  cokka::DeadLetters& dead = cokka::dead_letters(system);
  test::Gate gate;
  cokka::ActorRef<Sink> sink = start_blocked(gate);

  cokka::ActorRef<Sink> start_blocked(test::Gate& until) {
    auto started = system.start<Sink>();
    started.tell(&until);
    // Blocked once it handles the gate: before that, the gate itself is the one message in its mailbox.
    for (int i = 0; i < 10'000 && !handling(started); ++i) std::this_thread::sleep_for(1ms);
    REQUIRE(handling(started));
    return started;
  }

  bool handling(const cokka::ActorRef<>& actor) {
    for (const auto& snapshot : cokka::debug::snapshot(system))
      if (snapshot.actor == actor) return !snapshot.handling.empty() && snapshot.mailbox_depth == 0;
    return false;
  }
};

/// Waits (a hang guard of 10 s) until `dead` counted `count` letters for `reason`: an actor's stop resolves
/// before the tells queued behind it are dropped.
bool wait_for_count(cokka::DeadLetters& dead, DeadLetterReason reason, std::uint64_t count) {
  for (int i = 0; i < 10'000 && dead.count(reason) < count; ++i) std::this_thread::sleep_for(1ms);
  return dead.count(reason) == count;
}

}  // namespace letters

TEST_CASE("dead letters: tells to a dead actor are counted and offered to subscribers") {
  cokka::System system(cokka::threads{2});
  letters::Seen seen;
  auto subscription = cokka::dead_letters(system).subscribe([&](const cokka::DeadLetter& letter) { seen.add(letter); });
  auto sink = system.start<letters::Sink>();
  REQUIRE(sink.stop_async().get(10s));
  // The teller learns too (ActorDeadError), as Pykka's tell does; the letter is counted all the same.
  for (int i = 0; i < 3; ++i) CHECK_THROWS_AS(sink.tell(letters::Ping{}), cokka::ActorDeadError);
  CHECK_THROWS_AS(sink.ask<int>(letters::Ping{}).get(10s), cokka::ActorDeadError);  // an ask is no dead letter

  auto& dead = cokka::dead_letters(system);
  CHECK(dead.count(DeadLetterReason::dead_actor) == 3);
  CHECK(dead.total() == 3);
  const auto all = seen.all();
  REQUIRE(all.size() == 3);
  for (const auto& letter : all) {
    CHECK(letter.reason == DeadLetterReason::dead_actor);
    CHECK(letter.recipient == sink);
    CHECK(letter.message == "letters::Ping");
  }
  subscription.reset();
  CHECK_THROWS_AS(sink.tell(letters::Ping{}), cokka::ActorDeadError);
  CHECK(dead.count(DeadLetterReason::dead_actor) == 4);
  CHECK(seen.all().size() == 3);  // no longer subscribed
}

TEST_CASE_FIXTURE(letters::BlockedSink, "dead letters: tells queued behind a stop or a failure are dropped_at_stop") {
  auto stop = sink.stop_async();
  for (int i = 0; i < 5; ++i) sink.tell(letters::Ping{});
  gate.open();
  REQUIRE(stop.get(10s));
  CHECK(letters::wait_for_count(dead, DeadLetterReason::dropped_at_stop, 5));

  test::Gate second;
  auto failed = start_blocked(second);
  failed.tell(letters::Boom{});  // a tell's failure stops the actor
  for (int i = 0; i < 2; ++i) failed.tell(letters::Ping{});
  second.open();
  CHECK(letters::wait_for_count(dead, DeadLetterReason::dropped_at_stop, 7));
  CHECK(dead.count(DeadLetterReason::dead_actor) == 0);
}

TEST_CASE_FIXTURE(letters::BlockedSink, "dead letters: a timer's message cancelled while queued is stale") {
  auto timer = sink.tell_after(0ms, letters::Ping{});
  REQUIRE(letters::wait_for_depth(system, sink, 1));  // fired: queued behind the blocked handler
  CHECK(timer.cancel());
  gate.open();
  CHECK(sink.ask<int>(letters::Ping{}).get(10s) == 1);  // after the stale message
  CHECK(dead.count(DeadLetterReason::stale) == 1);
  CHECK(dead.total() == 1);
}

TEST_CASE("dead letters: the log line is held to its limit and then says how many it skipped") {
  test::LogCapture capture(spdlog::level::info);
  cokka::System system(cokka::threads{2});
  auto& dead = cokka::dead_letters(system);
  dead.set_log_limit(2, 1h);
  auto sink = system.start<letters::Sink>();
  REQUIRE(sink.stop_async().get(10s));
  for (int i = 0; i < 10; ++i) CHECK_THROWS_AS(sink.tell(letters::Ping{}), cokka::ActorDeadError);
  CHECK(capture.count(spdlog::level::info, "Dead letter (dead_actor): a letters::Ping for " + to_string(sink)) == 2);
  dead.set_log_limit(2, 0s);  // every letter opens a new period
  CHECK_THROWS_AS(sink.tell(letters::Ping{}), cokka::ActorDeadError);
  CHECK(capture.count(spdlog::level::info, "(8 more not logged before it)") == 1);
  CHECK(dead.count(DeadLetterReason::dead_actor) == 11);
  dead.set_log_limit(0, 0s);
  CHECK_THROWS_AS(sink.tell(letters::Ping{}), cokka::ActorDeadError);
  CHECK(capture.count(spdlog::level::info, "Dead letter") == 3);
}
