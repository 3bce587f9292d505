// deadlock: two actors that ask each other inside their handlers wait for each other forever. The program
// notices the stall with a timeout, and cokka::debug shows who waits for whom: the cycle. With `--live-view 8080`
// it also shows them in the browser (http://127.0.0.1:8080/, the cycle in red) until Ctrl-C.
#include "../common/live_view_flag.hpp"

#include <cokka/cokka.hpp>

#include <asio/signal_set.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <csignal>
#include <future>
#include <iostream>
#include <map>
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

/// Follows "awaiting" from actor to actor; the first actor met twice closes a cycle. Type names, or empty.
std::vector<std::string> find_cycle(const std::vector<cokka::debug::ActorSnapshot>& actors) {
  std::map<std::string, const cokka::debug::ActorSnapshot*> by_urn;
  for (const auto& actor : actors) by_urn[actor.urn] = &actor;
  for (const auto& first : actors) {
    std::vector<const cokka::debug::ActorSnapshot*> path;
    for (const auto* at = &first; at && at->awaiting;) {
      if (auto seen = std::find(path.begin(), path.end(), at); seen != path.end()) {
        std::vector<std::string> cycle;
        for (auto it = seen; it != path.end(); ++it) cycle.push_back((*it)->type);
        cycle.push_back(at->type);
        return cycle;
      }
      path.push_back(at);
      auto next = by_urn.find(std::string(at->awaiting->urn()));
      at = next == by_urn.end() ? nullptr : next->second;
    }
  }
  return {};
}

int main(int argc, char** argv) {
  sample::LiveViewFlag live_view(argc, argv);
  // cokka's records on stdout, warnings and up (the dump is critical).
  auto log = std::make_shared<spdlog::logger>("cokka", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  log->set_pattern("[%l] %v");
  log->set_level(spdlog::level::warn);
  cokka::set_logger(log);

  cokka::System system(cokka::threads{2});
  live_view.open(system);
  auto alice = system.start<Alice>();
  auto bob = system.start<Bob>(alice);
  alice.tell(cokka::ActorRef<>(bob));

  auto answer = alice.ask<int>(Start{});
  try {
    const int got = answer.get(500ms);
    std::cout << "answer: " << got << '\n';
    return 1;  // not with these two
  } catch (const cokka::Timeout&) {
    std::cout << "no answer within 500 ms; what are the actors doing?\n";
  }

  // A watchdog would do this from its own thread; any thread may look while the actors run.
  std::vector<std::string> cycle;
  for (int attempt = 0; attempt < 1000 && cycle.empty(); ++attempt) {
    cycle = find_cycle(cokka::debug::snapshot(system));
    if (cycle.empty()) std::this_thread::sleep_for(10ms);
  }
  cokka::debug::dump(system);
  if (cycle.empty()) {
    std::cout << "no cycle found\n";
    return 1;
  }
  std::cout << "deadlock:";
  for (std::size_t i = 0; i < cycle.size(); ++i) std::cout << (i ? " -> " : " ") << cycle[i];
  std::cout << '\n';
  if (live_view) {
    asio::signal_set interrupt(system.context(), SIGINT, SIGTERM);
    std::promise<void> interrupted;
    interrupt.async_wait([&](const asio::error_code&, int) { interrupted.set_value(); });
    std::cout << "the live view shows the cycle; Ctrl-C ends the program" << std::endl;
    interrupted.get_future().wait();
  }
  // ~System cancels both waits, so the program ends (the ask fails instead of hanging); it closes the live view.
}
