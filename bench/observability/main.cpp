// The cost of metrics (issue 20): the same workloads on a System with metrics off and on, in one process.
// Prints RESULT lines; `bench/observability/run` repeats them in alternating order and prints the table.
//
//   cokka_observability_bench <workload> [n]
//
// Workloads (each `<name>_off` / `<name>_on` pair measures the same thing both ways):
//   tell_*     one thread tells n ints to one actor (2 io threads), then waits for the last one
//   fan_in_*   4 threads tell n/4 ints each to one actor
//   ask_*      ask ping-pong: an actor's coroutine handler awaits n asks to another actor, one after the other
#include <cokka/cokka.hpp>

#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

void report(const std::string& workload, double value, const char* unit, long n) {
  std::printf("RESULT workload=%s value=%.6g unit=%s n=%ld\n", workload.c_str(), value, unit, n);
}

/// Counts what it is told; an ask answers the count.
struct Counter : cokka::Actor<Counter> {
  long on_receive(cokka::Message&) { return ++count_; }
  long count_ = 0;
};

/// On an int n, awaits n asks to its partner, one after the other; answers n.
struct Pinger : cokka::Actor<Pinger> {
  explicit Pinger(cokka::ActorRef<Counter> partner) : partner_(std::move(partner)) {}
  asio::awaitable<long> on_receive(cokka::Message& msg) {
    const long rounds = msg.as<long>();
    for (long i = 0; i < rounds; ++i) co_await partner_.ask<long>(i, asio::use_awaitable);
    co_return rounds;
  }
  cokka::ActorRef<Counter> partner_;
};

cokka::SystemOptions options(bool metrics) { return {.threads = 2, .metrics = metrics}; }

void tells(const std::string& workload, long n, int senders, bool metrics) {
  cokka::System system(options(metrics));
  auto counter = system.start<Counter>();
  const auto begun = Clock::now();
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s)
    threads.emplace_back([&] {
      for (long i = 0; i < n / senders; ++i) counter.tell(i);
    });
  for (auto& thread : threads) thread.join();
  counter.ask<long>(0L).get();
  report(workload, double(n / senders * senders) / std::chrono::duration<double>(Clock::now() - begun).count(),
         "msgs/s", n);
}

void asks(const std::string& workload, long n, bool metrics) {
  cokka::System system(options(metrics));
  auto pinger = system.start<Pinger>(system.start<Counter>());
  const auto begun = Clock::now();
  pinger.ask<long>(n).get();
  report(workload, double(n) / std::chrono::duration<double>(Clock::now() - begun).count(), "asks/s", n);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <tell_off|tell_on|fan_in_off|fan_in_on|ask_off|ask_on> [n]\n", argv[0]);
    return 2;
  }
  const std::string workload = argv[1];
  auto n = [&](long fallback) { return argc > 2 ? std::atol(argv[2]) : fallback; };
  const bool on = workload.size() > 3 && workload.substr(workload.size() - 3) == "_on";
  if (workload == "tell_off" || workload == "tell_on") tells(workload, n(2'000'000), 1, on);
  else if (workload == "fan_in_off" || workload == "fan_in_on") tells(workload, n(2'000'000), 4, on);
  else if (workload == "ask_off" || workload == "ask_on") asks(workload, n(300'000), on);
  else {
    std::fprintf(stderr, "unknown workload %s\n", workload.c_str());
    return 2;
  }
  return 0;
}
