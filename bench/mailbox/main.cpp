// Bounded mailboxes against unbounded ones (issue 18), side by side in one process. Prints RESULT lines;
// `bench/mailbox/run` repeats them and prints the table.
//
//   cokka_mailbox_bench <workload> [n]
//
// Workloads (each `<name>_unbounded` / `<name>_bounded` pair measures the same thing both ways):
//   tell_*        one thread tells n messages to one actor (bounded: room for all of them)
//   fan_in_*      4 threads tell n/4 messages each to one actor (bounded: room for all)
//   async_wait    a coroutine async_tells n messages into a mailbox of 16 that is always full (every send waits)
//   async_room    the same coroutine into a mailbox with room for all (no send waits)
//   flood_*       a producer 10x faster than its consumer: unbounded tell, or async_tell into a mailbox of 256;
//                 reports the rate, the deepest mailbox and the resident memory the run added
#include <cokka/cokka.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point begun) { return std::chrono::duration<double>(Clock::now() - begun).count(); }

void report(const std::string& workload, double value, const char* unit, long long n) {
  std::printf("RESULT workload=%s value=%.6g unit=%s n=%lld\n", workload.c_str(), value, unit, n);
}

long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/// Counts messages; an ask answers the count. `spin`: busy time per message (a consumer of a known rate).
struct Counter : cokka::Actor<Counter> {
  explicit Counter(std::chrono::nanoseconds spin) : spin_(spin) {}
  long on_receive(cokka::Message&) {
    if (spin_.count() > 0) {
      const auto until = Clock::now() + spin_;
      while (Clock::now() < until) {
      }
    }
    return ++count_;
  }
  std::chrono::nanoseconds spin_;
  long count_ = 0;
};

cokka::ActorOptions with_capacity(std::size_t capacity) {
  return cokka::ActorOptions{.mailbox = {.capacity = capacity}};
}

void tells(const std::string& workload, long n, int senders, bool bounded) {
  cokka::System system(cokka::threads{1});
  auto counter = system.start<Counter>(with_capacity(bounded ? static_cast<std::size_t>(n) + 1 : 0),
                                       std::chrono::nanoseconds{0});
  const auto begun = Clock::now();
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s)
    threads.emplace_back([&] {
      for (long i = 0; i < n / senders; ++i) counter.tell(i);
    });
  for (auto& thread : threads) thread.join();
  counter.ask<long>(0).get();
  report(workload, double(n / senders * senders) / seconds_since(begun), "msgs/s", n);
}

/// A coroutine on its own thread async_tells n messages; returns when the last one was handled.
void async_tells(const std::string& workload, long n, std::size_t capacity, std::chrono::nanoseconds spin,
                 bool plain_tell = false) {
  cokka::System system(cokka::threads{1});
  auto counter = system.start<Counter>(with_capacity(capacity), spin);
  asio::io_context io;
  std::atomic<std::size_t> deepest{0};
  std::atomic<bool> producing{true};
  std::thread watcher([&] {  // the mailbox's depth, sampled
    while (producing.load()) {
      for (auto& actor : cokka::debug::snapshot(system))
        if (actor.mailbox_depth > deepest.load()) deepest.store(actor.mailbox_depth);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const long memory_before = resident_kib();
  long memory_peak = memory_before;
  const auto begun = Clock::now();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (long i = 0; i < n; ++i) {
          if (spin.count() > 0) {  // a producer 10x faster than the consumer
            const auto until = Clock::now() + spin / 10;
            while (Clock::now() < until) {
            }
          }
          if (plain_tell)
            counter.tell(i);
          else
            co_await counter.async_tell(i, asio::use_awaitable);
          if (i % 1024 == 0) memory_peak = std::max(memory_peak, resident_kib());
        }
      },
      asio::detached);
  io.run();
  counter.ask<long>(0).get();
  const double elapsed = seconds_since(begun);
  producing.store(false);
  watcher.join();
  report(workload, double(n) / elapsed, "msgs/s", n);
  if (spin.count() > 0) {
    report(workload + "_depth", double(deepest.load()), "msgs", n);
    report(workload + "_memory", double(memory_peak - memory_before), "KiB", n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <tell_unbounded|tell_bounded|fan_in_unbounded|fan_in_bounded|async_wait|"
                         "async_room|flood_unbounded|flood_bounded> [n]\n", argv[0]);
    return 2;
  }
  const std::string workload = argv[1];
  auto n = [&](long fallback) { return argc > 2 ? std::atol(argv[2]) : fallback; };
  const std::chrono::microseconds consumer_spin{10};
  if (workload == "tell_unbounded") tells(workload, n(1'000'000), 1, false);
  else if (workload == "tell_bounded") tells(workload, n(1'000'000), 1, true);
  else if (workload == "fan_in_unbounded") tells(workload, n(1'000'000), 4, false);
  else if (workload == "fan_in_bounded") tells(workload, n(1'000'000), 4, true);
  else if (workload == "async_wait") async_tells(workload, n(300'000), 16, std::chrono::nanoseconds{0});
  else if (workload == "async_room") async_tells(workload, n(300'000), static_cast<std::size_t>(n(300'000)) + 1, std::chrono::nanoseconds{0});
  else if (workload == "flood_unbounded") async_tells(workload, n(50'000), 0, consumer_spin, true);
  else if (workload == "flood_bounded") async_tells(workload, n(50'000), 256, consumer_spin);
  else {
    std::fprintf(stderr, "unknown workload %s\n", workload.c_str());
    return 2;
  }
  return 0;
}
