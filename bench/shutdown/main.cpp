// Times ~System with many actors, most of them inside a coroutine handler when the shutdown starts
// ("mixed"): a sixth await a one-hour timer, a third await a sleeper's reply, a third await each other in
// two-actor ask cycles that only the shutdown can break, a sixth are idle; the sleepers and the cycle members
// have more asks queued behind the one they handle. "idle": as many idle actors, for the cost of stopping
// alone. Target (issue 7): 100,000 actors, mixed, in < 1 s. `bench/shutdown/run` prints a table of both.
//
//   cokka_shutdown_bench [actors=100000] [threads=hardware] [mixed|idle]
//
// Prints one line per phase and exits non-zero when an ask was left pending or an actor object survived.
#include <cokka/cokka.hpp>

#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<long> alive{0};

struct Counted {
  Counted() { ++alive; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;
  ~Counted() { --alive; }
};

struct Sleeper : cokka::Actor<Sleeper>, Counted {
  asio::awaitable<int> on_receive(cokka::Message&) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
    co_await timer.async_wait(asio::use_awaitable);
    co_return 1;
  }
};

struct Relay : cokka::Actor<Relay>, Counted {
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    auto reply = msg.as<cokka::ActorRef<>>().ask<int>(0);
    co_return co_await reply.async_wait(asio::use_awaitable) + 1;
  }
};

struct Idle : cokka::Actor<Idle>, Counted {
  int on_receive(cokka::Message&) { return 0; }
};

double ms_since(Clock::time_point begun) {
  return std::chrono::duration<double, std::milli>(Clock::now() - begun).count();
}

}  // namespace

int main(int argc, char** argv) {
  const long actors = argc > 1 ? std::atol(argv[1]) : 100000;
  const unsigned threads = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2]))
                                    : std::max(1u, std::thread::hardware_concurrency());
  const bool idle_only = argc > 3 && std::string(argv[3]) == "idle";
  std::vector<cokka::Future<int>> pending;
  pending.reserve(static_cast<std::size_t>(actors));
  Clock::time_point shutdown_begun;
  {
    cokka::System system(cokka::threads{threads});
    auto begun = Clock::now();
    cokka::ActorRef<Sleeper> sleeper;
    cokka::ActorRef<Relay> pair_first;
    for (long i = 0; i < actors; ++i) {
      switch (idle_only ? -1 : i % 6) {
        case 0:
          sleeper = system.start<Sleeper>();
          pending.push_back(sleeper.ask<int>(0));
          break;
        case 1:
        case 3:
          pending.push_back(system.start<Relay>().ask<int>(cokka::ActorRef<>(sleeper)));
          break;
        case 4:
          pair_first = system.start<Relay>();
          break;
        case 5: {
          auto second = system.start<Relay>();
          pending.push_back(second.ask<int>(cokka::ActorRef<>(pair_first)));
          pending.push_back(pair_first.ask<int>(cokka::ActorRef<>(second)));
          break;
        }
        default:
          system.start<Idle>();
      }
    }
    std::printf("started %ld actors on %u threads in %.1f ms\n", actors, threads, ms_since(begun));
    begun = Clock::now();
    system.start<Idle>().ask<int>(0).get();  // behind every start on the way: most handlers are awaiting now
    std::printf("handlers reached their awaits in %.1f ms\n", ms_since(begun));
    shutdown_begun = Clock::now();
  }
  const double shutdown_ms = ms_since(shutdown_begun);
  long unfinished = 0;
  for (auto& reply : pending) unfinished += reply.ready() ? 0 : 1;
  std::printf("~System took %.1f ms (%.2f us per actor); %ld asks unfinished, %ld actor objects alive\n",
              shutdown_ms, shutdown_ms * 1000.0 / static_cast<double>(actors + 1), unfinished, alive.load());
  std::printf("RESULT workload=shutdown_%s value=%.1f unit=ms actors=%ld threads=%u\n", idle_only ? "idle" : "mixed",
              shutdown_ms, actors, threads);
  return unfinished == 0 && alive == 0 ? 0 : 1;
}
