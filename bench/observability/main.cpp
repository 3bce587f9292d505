// The cost of metrics and of an interceptor (issue 20): the same workloads on a System with metrics off, with
// metrics on, and with one interceptor that sets one header on every message (metrics off).
// Prints RESULT lines; `bench/observability/run` repeats them in alternating order and prints the table.
//
//   cokka_observability_bench <workload> [n]
//
// Workloads (`<name>_off`, `<name>_on` and `<name>_traced` measure the same thing three ways):
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

/// Sets one header on every message, as a tracing propagator would.
struct OneHeader final : cokka::Interceptor {
  void on_send(const cokka::MessageInfo&, cokka::Headers& headers) noexcept override {
    headers.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  }
};

enum class Mode { off, metrics, traced };

cokka::SystemOptions options(Mode mode) { return {.threads = 2, .metrics = mode == Mode::metrics}; }

void configure(cokka::System& system, Mode mode) {
  if (mode == Mode::traced) system.add_interceptor(std::make_shared<OneHeader>());
}

void tells(const std::string& workload, long n, int senders, Mode mode) {
  cokka::System system(options(mode));
  configure(system, mode);
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

void asks(const std::string& workload, long n, Mode mode) {
  cokka::System system(options(mode));
  configure(system, mode);
  auto pinger = system.start<Pinger>(system.start<Counter>());
  const auto begun = Clock::now();
  pinger.ask<long>(n).get();
  report(workload, double(n) / std::chrono::duration<double>(Clock::now() - begun).count(), "asks/s", n);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <tell|fan_in|ask>_<off|on|traced> [n]\n", argv[0]);
    return 2;
  }
  const std::string workload = argv[1];
  auto n = [&](long fallback) { return argc > 2 ? std::atol(argv[2]) : fallback; };
  const auto underscore = workload.rfind('_');
  const std::string name = workload.substr(0, underscore);
  const std::string suffix = underscore == std::string::npos ? "" : workload.substr(underscore + 1);
  const Mode mode = suffix == "on" ? Mode::metrics : suffix == "traced" ? Mode::traced : Mode::off;
  const bool known = suffix == "off" || suffix == "on" || suffix == "traced";
  if (known && name == "tell") tells(workload, n(2'000'000), 1, mode);
  else if (known && name == "fan_in") tells(workload, n(2'000'000), 4, mode);
  else if (known && name == "ask") asks(workload, n(300'000), mode);
  else {
    std::fprintf(stderr, "unknown workload %s\n", workload.c_str());
    return 2;
  }
  return 0;
}
