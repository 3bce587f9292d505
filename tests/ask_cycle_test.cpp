// Ask cycles (design.md 17): a coroutine handler awaiting the reply of an actor that awaits its own reply
// fails at once with cokka::AskCycle naming the cycle; an actor that is merely busy is never taken for one.
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace cycles {

struct Start {};
struct Question {};
struct Hit {};
struct Back {};
struct Echo {};
struct Count {};
struct Unlink {};

/// On a Start or a Question, asks its next actor a Question and answers with that reply plus one; without a
/// next actor (none yet, or after an Unlink), answers 1 at once.
struct Relay : cokka::Actor<Relay> {
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    if (auto* next = msg.get_if<cokka::ActorRef<>>()) {
      next_ = *next;
      co_return 0;
    }
    if (msg.is<Unlink>()) {
      next_.reset();
      co_return 0;
    }
    if (!next_) co_return 1;
    auto reply = next_->ask<int>(Question{});
    const int answer = co_await reply.async_wait(asio::use_awaitable);
    co_return answer + 1;
  }
  std::optional<cokka::ActorRef<>> next_;
};

/// On a Question, awaits a future nobody but the test completes: busy, awaiting no actor.
struct Busy : cokka::Actor<Busy> {
  explicit Busy(cokka::Future<int> released) : released_(std::move(released)) {}
  asio::awaitable<int> on_receive(cokka::Message&) {
    co_return co_await released_.async_wait(asio::use_awaitable);
  }
  cokka::Future<int> released_;
};

/// Answers a Hit at once and, in its next message, asks back the actor that hit it (a Back): the asker has its
/// reply by then and may still be finishing its handler, busy but awaiting nobody.
struct Pong : cokka::Actor<Pong> {
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    if (auto* ping = msg.get_if<cokka::ActorRef<>>()) {
      ping_ = *ping;
    } else if (msg.is<Hit>()) {
      self().tell(Back{});
    } else if (msg.is<Back>()) {
      try {
        auto echo = ping_.ask<int>(Echo{});
        co_await echo.async_wait(asio::use_awaitable);
      } catch (const cokka::AskCycle&) {
        ++false_cycles_;
      }
    } else if (msg.is<Count>()) {
      co_return false_cycles_;
    }
    co_return 0;
  }
  cokka::ActorRef<> ping_;
  int false_cycles_ = 0;
};

/// On a Start, awaits a Hit to its Pong; answers an Echo at once.
struct Ping : cokka::Actor<Ping> {
  explicit Ping(cokka::ActorRef<Pong> pong) : pong_(std::move(pong)) {}
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    if (msg.is<Start>()) {
      auto hit = pong_.ask<int>(Hit{});
      co_await hit.async_wait(asio::use_awaitable);
    }
    co_return 1;
  }
  cokka::ActorRef<Pong> pong_;
};

/// The cycle through `actors` as AskCycle names it when the wait of `actors[first]` fails.
std::string cycle_from(const std::vector<cokka::ActorRef<>>& actors, std::size_t first) {
  std::string text = "ask cycle: ";
  for (std::size_t i = 0; i <= actors.size(); ++i) {
    if (i) text += " -> ";
    text += to_string(actors[(first + i) % actors.size()]);
  }
  return text;
}

/// The ring `actors` (each relays to the next, the last to the first), asked to Start at `first`: the ask
/// fails with AskCycle naming the whole ring, starting from whichever actor's wait closed it.
void check_ring(const std::vector<cokka::ActorRef<>>& actors, std::size_t first) {
  for (std::size_t i = 0; i < actors.size(); ++i) actors[i].tell(actors[(i + 1) % actors.size()]);
  auto answer = actors[first].ask<int>(Start{});
  std::string text;
  try {
    answer.get(30s);  // a hang guard: a cycle fails at once
    FAIL("the ring answered");
  } catch (const cokka::AskCycle& cycle) {
    text = cycle.what();
  }
  bool named = false;
  for (std::size_t at = 0; at < actors.size(); ++at) named = named || text.starts_with(cycle_from(actors, at) + " (");
  CHECK_MESSAGE(named, text);
  CHECK(text.find("reply with a tell") != std::string::npos);
  // The ring's actors are alive and answer again once their handlers failed (a Question still queued in the
  // ring asks on until the Unlink is there).
  for (const auto& actor : actors) CHECK(actor.ask<int>(Unlink{}).get(30s) == 0);
}

}  // namespace cycles

TEST_CASE("ask cycle of two actors fails at once with AskCycle naming both") {
  cokka::System system(cokka::threads{2});
  auto alice = system.start<cycles::Relay>();
  auto bob = system.start<cycles::Relay>();
  cycles::check_ring({alice, bob}, 0);
}

TEST_CASE("ask cycle of three actors fails at once with AskCycle naming all three in order") {
  cokka::System system(cokka::threads{2});
  auto alice = system.start<cycles::Relay>();
  auto bob = system.start<cycles::Relay>();
  auto carol = system.start<cycles::Relay>();
  cycles::check_ring({alice, bob, carol}, 0);
}

TEST_CASE("an actor asking itself from its coroutine handler is a cycle of one") {
  cokka::System system(cokka::threads{2});
  auto alone = system.start<cycles::Relay>();
  alone.tell(cokka::ActorRef<>(alone));
  try {
    alone.ask<int>(cycles::Start{}).get(30s);
    FAIL("no cycle reported");
  } catch (const cokka::AskCycle& cycle) {
    CHECK(std::string(cycle.what()).starts_with("ask cycle: " + to_string(alone) + " -> " + to_string(alone) + " ("));
  }
  alone.tell(cycles::Unlink{});  // its own Question, still queued, would ask itself again
}

TEST_CASE("asking an actor that is busy awaiting something else is no cycle") {
  cokka::System system(cokka::threads{2});
  cokka::Promise<int> release;
  auto busy = system.start<cycles::Busy>(release.get_future());
  // Alice -> Bob -> Busy, and Carol -> Bob: a chain and a fan-in, both waiting on the test's promise.
  auto alice = system.start<cycles::Relay>();
  auto bob = system.start<cycles::Relay>();
  auto carol = system.start<cycles::Relay>();
  alice.tell(cokka::ActorRef<>(bob));
  bob.tell(cokka::ActorRef<>(busy));
  carol.tell(cokka::ActorRef<>(bob));
  auto first = alice.ask<int>(cycles::Start{});
  auto second = carol.ask<int>(cycles::Start{});
  CHECK_FALSE(first.ready());  // everyone is waiting: the promise is not kept yet
  release.set_value(40);
  CHECK(first.get(30s) == 42);
  CHECK(second.get(30s) == 42);
}

TEST_CASE("asking back an asker that has its reply but is still in its handler is no cycle under many threads") {
  cokka::System system(cokka::threads{8});
  std::vector<cokka::ActorRef<cycles::Pong>> pongs;
  std::vector<cokka::ActorRef<cycles::Ping>> pings;
  for (int pair = 0; pair < 8; ++pair) {
    pongs.push_back(system.start<cycles::Pong>());
    pings.push_back(system.start<cycles::Ping>(pongs.back()));
    pongs.back().tell(cokka::ActorRef<>(pings.back()));
  }
  for (int round = 0; round < 200; ++round) {
    std::vector<cokka::Future<int>> answers;
    for (auto& ping : pings) answers.push_back(ping.ask<int>(cycles::Start{}));
    for (auto& answer : answers) REQUIRE(answer.get(30s) == 1);
    // Each Pong's Back is queued before the Count and owns the mailbox until its ask back is answered. Without
    // this, the next round's Start could reach a Ping before that Echo: a real cycle (Ping awaits Pong's Hit,
    // queued behind the Back that awaits the Echo queued behind the Start), which AskCycle rightly reports.
    for (auto& pong : pongs) REQUIRE(pong.ask<int>(cycles::Count{}).get(30s) == 0);
  }
}

TEST_CASE("rings of two and three started from every actor at once all fail with AskCycle under many threads") {
  cokka::System system(cokka::threads{8});
  for (int round = 0; round < 50; ++round) {
    const std::size_t size = 2 + round % 2;
    std::vector<cokka::ActorRef<>> ring;
    for (std::size_t i = 0; i < size; ++i) ring.emplace_back(system.start<cycles::Relay>());
    for (std::size_t i = 0; i < size; ++i) ring[i].tell(ring[(i + 1) % size]);
    std::vector<cokka::Future<int>> answers;
    for (auto& actor : ring) answers.push_back(actor.ask<int>(cycles::Start{}));
    for (auto& answer : answers) CHECK_THROWS_AS(answer.get(30s), cokka::AskCycle);
    for (auto& actor : ring) CHECK(actor.stop_async().get(30s));
  }
}
