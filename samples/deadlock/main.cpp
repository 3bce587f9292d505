// deadlock: two actors that ask each other inside their handlers would wait for each other forever. cokka
// notices the cycle when the second wait begins and fails that ask at once with cokka::AskCycle, which names
// the actors of the cycle; the error travels back to the first asker instead of a hang.
//
// A wait for room in a full mailbox is no ask, and a cycle through one stays: the second part builds one on
// purpose and shows it with cokka::debug. With `--live-view PORT` the sample then opens the live view on
// 127.0.0.1:PORT (the wait-for cycle drawn in red) and keeps the stall until Ctrl-C.
#include "../common/live_view_flag.hpp"

#include <cokka/cokka.hpp>

#include <asio/use_awaitable.hpp>
#include <spdlog/sinks/stdout_sinks.h>

#include <iostream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

struct Start {};
struct Question {};
struct Confirm {};

struct Alice : cokka::Actor<Alice> {
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    if (auto* peer = msg.get_if<cokka::ActorRef<>>()) {
      bob_ = *peer;
      co_return 0;
    }
    if (msg.is<Start>()) {  // asks Bob; Alice's mailbox waits until this handler ends
      auto answer = bob_.ask<int>(Question{});
      co_return co_await answer.async_wait(asio::use_awaitable);
    }
    co_return 1;  // a Confirm would be answered at once, but it waits behind the Start
  }
  cokka::ActorRef<> bob_;
};

struct Bob : cokka::Actor<Bob> {
  explicit Bob(cokka::ActorRef<Alice> alice) : alice_(std::move(alice)) {}
  asio::awaitable<int> on_receive(cokka::Message&) {  // a Question: Bob checks with Alice first
    auto confirmed = alice_.ask<int>(Confirm{});
    const int confirmation = co_await confirmed.async_wait(asio::use_awaitable);
    co_return confirmation + 41;
  }
  cokka::ActorRef<Alice> alice_;
};

// The second pair. Carol's mailbox holds one message. While she handles a Start she queues a reminder to
// herself, which fills it, and asks Dave; Dave answers only after telling Carol a note, and async_tell waits for
// room in her mailbox: room that comes when her handler ends, which waits for Dave's answer.
struct Reminder {};
struct Note {};

struct Carol : cokka::Actor<Carol> {
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    if (auto* peer = msg.get_if<cokka::ActorRef<>>()) {
      dave_ = *peer;
      co_return 0;
    }
    if (msg.is<Start>()) {
      self().tell(Reminder{});  // her one place is taken now
      auto answer = dave_.ask<int>(Question{});
      co_return co_await answer.async_wait(asio::use_awaitable);
    }
    co_return 0;  // a Reminder or a Note
  }
  cokka::ActorRef<> dave_;
};

struct Dave : cokka::Actor<Dave> {
  explicit Dave(cokka::ActorRef<Carol> carol) : carol_(std::move(carol)) {}
  asio::awaitable<int> on_receive(cokka::Message&) {  // a Question: Dave tells Carol a note first
    Note note;  // named, not a temporary inside co_await (a g++ 12 bug: docs/futures.md)
    co_await carol_.async_tell(note, asio::use_awaitable);
    co_return 42;
  }
  cokka::ActorRef<Carol> carol_;
};

/// "Carol awaits Dave, Dave waits for room in Carol": who waits for whom, by type, once two actors wait.
std::string who_waits(cokka::System& system) {
  for (auto waited = 0ms; waited < 10s; waited += 10ms) {
    const auto actors = cokka::debug::snapshot(system);
    std::vector<std::string> waits;
    for (const auto& actor : actors)
      for (const auto& other : actors)
        if (actor.awaiting == other.actor)
          waits.push_back(actor.type + (actor.awaiting_room ? " waits for room in " : " awaits ") + other.type);
    if (waits.size() == 2) return waits[0] + ", " + waits[1];
    std::this_thread::sleep_for(10ms);
  }
  return "(the waits did not begin within 10 s)";
}

int main(int argc, char** argv) {
  sample::LiveViewFlag live_view(argc, argv);
  // cokka's records on stdout, warnings and up.
  auto log = std::make_shared<spdlog::logger>("cokka", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  log->set_pattern("[%l] %v");
  log->set_level(spdlog::level::warn);
  cokka::set_logger(log);

  cokka::System system(cokka::threads{2});
  auto alice = system.start<Alice>();
  auto bob = system.start<Bob>(alice);
  alice.tell(cokka::ActorRef<>(bob));

  auto answer = alice.ask<int>(Start{});
  try {
    const int got = answer.get(10s);  // a guard only: the cycle fails at once
    std::cout << "answer: " << got << '\n';
    return 1;  // not with these two
  } catch (const cokka::AskCycle& cycle) {
    // "ask cycle: Bob (urn:uuid:...) -> Alice (urn:uuid:...) -> Bob (urn:uuid:...) (...)": the wait of
    // whichever of the two began waiting second failed, and its error reached Alice's asker.
    std::cout << cycle.what() << '\n';
    std::cout << "deadlock avoided: the ask failed at once with cokka::AskCycle\n";
  }

  auto carol = system.start<Carol>(cokka::ActorOptions{.mailbox = {.capacity = 1}});
  auto dave = system.start<Dave>(carol);
  carol.ask<int>(cokka::ActorRef<>(dave)).get(10s);  // asked, not told: her mailbox has one place
  auto stalled = carol.ask<int>(Start{});
  std::cout << "stalled, and nothing fails: " << who_waits(system) << '\n';
  if (live_view) {
    live_view.open(system);
    live_view.wait_for_ctrl_c();
    live_view.close();
  }
  // ~System stops both actors, which ends their waits.
}
