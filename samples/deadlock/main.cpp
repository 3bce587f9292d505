// deadlock: two actors that ask each other inside their handlers would wait for each other forever. cokka
// notices the cycle when the second wait begins and fails that ask at once with cokka::AskCycle, which names
// the actors of the cycle; the error travels back to the first asker instead of a hang.
#include <cokka/cokka.hpp>

#include <asio/use_awaitable.hpp>
#include <spdlog/sinks/stdout_sinks.h>

#include <iostream>

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

int main() {
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
  // A stall that is no ask cycle (a plain handler blocked on a lock, a reply from outside that never comes)
  // still hangs: cokka::debug::dump(system) then shows who waits for whom (docs/debugging.md).
}
