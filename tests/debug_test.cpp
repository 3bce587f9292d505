// cokka::debug::snapshot and dump (design.md 10): what every actor is doing, for deadlock hunting.
#include "log_capture.hpp"
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

using namespace std::chrono_literals;
using cokka::debug::ActorSnapshot;

namespace dbg {
struct Start {};
struct Question {};
struct Confirm {};

/// Answers a Question only once its gate opens.
struct Slow : cokka::Actor<Slow> {
  Slow(test::Gate& entered, test::Gate& release) : entered_(entered), release_(release) {}
  int on_receive(cokka::Message& msg) {
    if (msg.is<Question>()) {
      entered_.open();
      release_.wait();
      return 42;
    }
    return 0;
  }
  test::Gate& entered_;
  test::Gate& release_;
};

/// On Start asks its peer a Question; on a Question asks its peer to Confirm; answers a Confirm at once.
/// Two of them that point at each other would deadlock: the second wait fails with cokka::AskCycle.
struct Peer : cokka::Actor<Peer> {
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    if (auto* peer = msg.get_if<cokka::ActorRef<>>()) {
      peer_ = *peer;
      co_return 0;
    }
    if (msg.is<Start>()) {
      auto reply = peer_.ask<int>(Question{});
      co_return co_await reply.async_wait(asio::use_awaitable);
    }
    if (msg.is<Question>()) {
      auto reply = peer_.ask<int>(Confirm{});
      co_return co_await reply.async_wait(asio::use_awaitable);
    }
    co_return 1;
  }
  cokka::ActorRef<> peer_;
};

/// Its on_stop awaits a Question to `peer`.
struct Leaver : cokka::Actor<Leaver> {
  explicit Leaver(cokka::ActorRef<> peer) : peer_(std::move(peer)) {}
  asio::awaitable<void> on_stop() {
    auto reply = peer_.ask<int>(Question{});
    co_await reply.async_wait(asio::use_awaitable);
  }
  cokka::ActorRef<> peer_;
};

struct Waiter : cokka::Actor<Waiter> {
  void wait_at(test::Gate* gate) { gate->wait(); }
  void on_receive(cokka::Message&) {}
};
COKKA_REFLECT(Waiter, methods(wait_at));

struct SlowStart : cokka::Actor<SlowStart> {
  explicit SlowStart(test::Gate& gate) : gate_(gate) {}
  void on_start() { gate_.wait(); }
  test::Gate& gate_;
};

struct Idle : cokka::Actor<Idle> {
  void on_receive(cokka::Message&) {}
};

/// Blocks on a future nobody completes, after a co_await resumed it (so it runs outside the first drain).
struct BlocksAfterAwait : cokka::Actor<BlocksAfterAwait> {
  asio::awaitable<int> on_receive(cokka::Message&) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1ms);
    co_await timer.async_wait(asio::use_awaitable);
    cokka::Promise<int> never_set;
    co_return never_set.get_future().get();
  }
};
}  // namespace dbg

namespace {

std::optional<ActorSnapshot> find(const std::vector<ActorSnapshot>& actors, const cokka::ActorRef<>& who) {
  for (auto& actor : actors)
    if (actor.actor == who) return actor;
  return std::nullopt;
}

/// Polls snapshot() until `who`'s entry satisfies `ready` (10 s hang detector). The entry, or nullopt.
template <class Ready>
std::optional<ActorSnapshot> wait_for(cokka::System& system, const cokka::ActorRef<>& who, Ready ready) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < give_up) {
    auto entry = find(cokka::debug::snapshot(system), who);
    if (entry && ready(*entry)) return entry;
    std::this_thread::sleep_for(1ms);
  }
  return std::nullopt;
}

bool awaits(const ActorSnapshot& actor) { return actor.awaiting.has_value(); }

}  // namespace

TEST_CASE("snapshot: an actor awaiting another's reply, the one it awaits, and its waiting mailbox") {
  test::Gate entered, release;
  cokka::System system(cokka::threads{2});
  auto slow = system.start<dbg::Slow>(entered, release);
  auto peer = system.start<dbg::Peer>();
  peer.tell(cokka::ActorRef<>(slow));
  auto reply = peer.ask<int>(dbg::Start{});
  REQUIRE(entered.wait());

  auto waiting = wait_for(system, peer, awaits);
  REQUIRE(waiting);
  CHECK(waiting->type == "dbg::Peer");
  CHECK(waiting->urn == peer.urn());
  CHECK_FALSE(waiting->stopping);
  CHECK(waiting->handling == "dbg::Start");
  CHECK(*waiting->awaiting == slow);
  CHECK(waiting->mailbox_depth == 0);

  peer.tell(0);  // queued behind the coroutine, which holds the mailbox
  peer.tell(0);
  auto actors = cokka::debug::snapshot(system);
  REQUIRE(actors.size() == 2);
  CHECK(actors[0].actor == slow);  // start order
  CHECK(actors[1].actor == peer);
  CHECK(actors[1].mailbox_depth == 2);
  CHECK(actors[0].handling == "dbg::Question");
  CHECK_FALSE(actors[0].awaiting);  // a plain handler blocked on something else awaits no actor
  CHECK(actors[0].mailbox_depth == 0);

  release.open();
  CHECK(reply.get(10s) == 42);
  auto idle = wait_for(system, peer, [](const ActorSnapshot& a) { return a.handling.empty(); });
  REQUIRE(idle);
  CHECK_FALSE(idle->awaiting);
  CHECK(idle->mailbox_depth == 0);
  CHECK(idle->handling_for == 0ms);
}

TEST_CASE("dump: one critical record per live actor, showing who awaits whom") {
  test::LogCapture capture;
  test::Gate entered, release;
  cokka::System system(cokka::threads{2});
  auto bob = system.start<dbg::Slow>(entered, release);
  auto alice = system.start<dbg::Peer>();
  const auto alice_name = to_string(alice);
  const auto bob_name = to_string(bob);
  alice.tell(cokka::ActorRef<>(bob));
  auto answer = alice.ask<int>(dbg::Start{});
  REQUIRE(entered.wait());
  REQUIRE(wait_for(system, alice, awaits));
  alice.tell(0);  // waits in Alice's mailbox behind her coroutine

  const auto before = capture.records().size();
  cokka::debug::dump(system);
  auto records = capture.records();
  REQUIRE(records.size() == before + 2);
  const auto& b = records[before];  // start order
  const auto& a = records[before + 1];
  CHECK(a.level == spdlog::level::critical);
  CHECK(b.level == spdlog::level::critical);
  CHECK(a.text.starts_with(alice_name + ": handling dbg::Start for "));
  CHECK(a.text.ends_with(" ms, awaiting " + bob_name + "; mailbox 1"));
  CHECK(b.text.starts_with(bob_name + ": handling dbg::Question for "));
  CHECK(b.text.ends_with(" ms; mailbox 0"));
  CHECK(capture.count(spdlog::level::critical) == 2);
  release.open();
  CHECK(answer.get(10s) == 42);
}

TEST_CASE("snapshot: how long the current handler has run grows while it is stuck") {
  test::Gate entered, release;
  cokka::System system(cokka::threads{2});
  auto slow = system.start<dbg::Slow>(entered, release);
  slow.tell(dbg::Question{});
  REQUIRE(entered.wait());
  auto first = find(cokka::debug::snapshot(system), slow);
  REQUIRE(first);
  auto later = wait_for(system, slow, [](const ActorSnapshot& a) { return a.handling_for >= 20ms; });
  REQUIRE(later);
  CHECK(later->handling_for >= first->handling_for);
  CHECK(later->handling == "dbg::Question");
  release.open();
}

TEST_CASE("snapshot: a proxied member by name, on_start and a coroutine on_stop awaiting another actor") {
  test::Gate entered, release, start_gate, member_gate;
  cokka::System system(cokka::threads{2});

  auto waiter = system.start<dbg::Waiter>();
  auto call = waiter.proxy().wait_at(&member_gate);
  CHECK(wait_for(system, waiter, [](const ActorSnapshot& a) { return a.handling == "wait_at"; }));
  member_gate.open();
  call.get(10s);

  auto starting = system.start<dbg::SlowStart>(start_gate);
  CHECK(wait_for(system, starting, [](const ActorSnapshot& a) { return a.handling == "on_start"; }));
  start_gate.open();

  auto slow = system.start<dbg::Slow>(entered, release);
  auto leaver = system.start<dbg::Leaver>(cokka::ActorRef<>(slow));
  auto stopped = leaver.stop_async();
  auto leaving = wait_for(system, leaver, awaits);
  REQUIRE(leaving);
  CHECK(leaving->stopping);  // unregistered already, yet listed: it is not dead
  CHECK(leaving->handling == "on_stop");
  CHECK(*leaving->awaiting == slow);
  CHECK(system.registry().get_by_urn(leaver.urn()) == std::nullopt);
  release.open();
  CHECK(stopped.get(10s));
  CHECK_FALSE(find(cokka::debug::snapshot(system), leaver));
}

TEST_CASE("snapshot: only live actors, in start order, idle ones with nothing to report") {
  cokka::System system(cokka::threads{1});
  auto a = system.start<dbg::Idle>();
  auto b = system.start<dbg::Idle>();
  auto c = system.start<dbg::Idle>();
  CHECK(b.stop());
  c.ask<void>(0).get(10s);
  a.ask<void>(0).get(10s);
  // The reply comes out before the drain finds the mailbox empty and marks the actor idle.
  auto idle = [](const ActorSnapshot& actor) { return actor.handling.empty(); };
  REQUIRE(wait_for(system, a, idle));
  REQUIRE(wait_for(system, c, idle));
  auto actors = cokka::debug::snapshot(system);
  REQUIRE(actors.size() == 2);
  CHECK(actors[0].actor == a);
  CHECK(actors[1].actor == c);
  for (auto& actor : actors) {
    CHECK(actor.handling.empty());
    CHECK(actor.handling_for == 0ms);
    CHECK_FALSE(actor.awaiting);
    CHECK(actor.mailbox_depth == 0);
    CHECK_FALSE(actor.stopping);
    CHECK(cokka::debug::to_string(actor) == to_string(actor.actor) + ": idle; mailbox 0");
    CHECK(fmt::format("{}", actor) == cokka::debug::to_string(actor));
  }
}

TEST_CASE("a blocking get() inside a coroutine handler throws BlockingCallInActor also after a co_await") {
  cokka::System system(cokka::threads{2});
  auto actor = system.start<dbg::BlocksAfterAwait>();
  auto reply = actor.ask<int>(0);  // named: see logging_test.cpp on futures and ThreadSanitizer
  CHECK_THROWS_AS(reply.get(10s), cokka::BlockingCallInActor);
}

TEST_CASE("snapshot and dump from another thread while actors start, talk and stop") {
  test::LogCapture capture(spdlog::level::critical);
  cokka::System system(cokka::threads{2});
  std::atomic<bool> done{false};
  std::atomic<int> dumps{0};
  std::thread watchdog([&] {
    while (!done) {
      for (auto& actor : cokka::debug::snapshot(system)) (void)cokka::debug::to_string(actor);
      cokka::debug::dump(system);
      ++dumps;
    }
  });
  for (int round = 0; round < 50; ++round) {
    // A chain, no cycle: Alice asks Bob, who asks Carol, who answers at once.
    auto alice = system.start<dbg::Peer>();
    auto bob = system.start<dbg::Peer>();
    auto carol = system.start<dbg::Peer>();
    alice.tell(cokka::ActorRef<>(bob));
    bob.tell(cokka::ActorRef<>(carol));
    auto answer = alice.ask<int>(dbg::Start{});
    carol.stop_async();  // sometimes before Bob's question: then the answer is ActorDeadError
    try {
      answer.get(30s);
    } catch (const cokka::ActorDeadError&) {
    }
    CHECK(alice.stop_async().get(30s));
    CHECK(bob.stop_async().get(30s));
  }
  done = true;
  watchdog.join();
  CHECK(dumps > 0);
}
