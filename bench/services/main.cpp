// Timers (issue 16) and supervision (issue 17) measured side by side with what a user would write without them.
// Not a test: it prints RESULT lines; tests/timers_test.cpp and tests/supervision_test.cpp assert behaviour.
// `bench/services/run` runs every workload a few times and prints the table.
//
//   cokka_services_bench <workload> [n]
//
// Workloads (one RESULT line each, or several for the distributions):
//   timer_cancel      start_single + cancel of a keyed actor timer, inside a handler     ns per pair
//   steady_cancel     the same with one asio::steady_timer per timeout (async_wait, cancel, completion run)
//   timer_restart     start_single of one key over and over (the "reset the idle timeout" pattern)
//   steady_restart    the same with one steady_timer: expires_after, which cancels the wait, and a new wait
//   tell              n tells to a counting actor, delivered                            ns per message
//   tell_after        n tell_after(0) to the same actor, delivered
//   pending           n tell_after(1 h) pending: bytes per timer (RSS delta), then ~System's time
//   lateness          100,000 expiries per second for one second: lateness p50 / p99 / max (us)
//   restart           a failing tell, then the next message handled by the new incarnation: p50 / p99 / max
//   storm             n failing tells to a restarting actor, in chunks: RSS growth from the first chunk on
#include <cokka/cokka.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/sinks/null_sink.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

double ns_since(Steady::time_point begun) {
  return std::chrono::duration<double, std::nano>(Steady::now() - begun).count();
}

long rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 12, '\n');
  }
  return 0;
}

void result(const char* workload, double value, const char* unit) {
  std::printf("RESULT workload=%s value=%.3f unit=%s\n", workload, value, unit);
}

// --- timers ----------------------------------------------------------------------------------------------

struct Tick {};
struct Run {
  int n;
  bool same_key;
};

/// Starts and cancels (or restarts) its timers in one handler: the cost of the wheel, without messaging.
struct TimerUser : cokka::Actor<TimerUser> {
  double on_receive(cokka::Message& msg) {
    const auto run = msg.as<Run>();
    const auto begun = Steady::now();
    for (int i = 0; i < run.n; ++i) {
      if (run.same_key) {
        timers().start_single(0, Tick{}, 1h);
      } else {
        timers().start_single(i, Tick{}, 1h);
        timers().cancel(i);
      }
    }
    timers().cancel_all();
    return ns_since(begun) / run.n;
  }
};

double cokka_timers(int n, bool same_key) {
  cokka::System system(cokka::threads{1});
  return system.start<TimerUser>().ask<double>(Run{n, same_key}).get();
}

double steady_timers(int n, bool same_key) {
  asio::io_context context(1);
  int completions = 0;
  auto count = [&](std::error_code) { ++completions; };
  const auto begun = Steady::now();
  if (same_key) {
    asio::steady_timer timer(context);
    for (int i = 0; i < n; ++i) {
      timer.expires_after(1h);  // cancels the previous wait
      timer.async_wait(count);
    }
    timer.cancel();
    context.run();
  } else {
    for (int i = 0; i < n; ++i) {
      asio::steady_timer timer(context, 1h);
      timer.async_wait(count);
      timer.cancel();
    }
    context.run();
  }
  if (completions != n) throw std::logic_error("steady_timer completions lost");
  return ns_since(begun) / n;
}

struct Counter : cokka::Actor<Counter> {
  int on_receive(cokka::Message& msg) {
    if (msg.is<Tick>()) return ++count_;
    return count_;
  }
  int count_ = 0;
};

double deliveries(int n, bool after) {
  cokka::System system(cokka::threads{2});
  auto counter = system.start<Counter>();
  const auto begun = Steady::now();
  for (int i = 0; i < n; ++i) {
    if (after)
      counter.tell_after(0ms, Tick{});
    else
      counter.tell(Tick{});
  }
  while (counter.ask<int>(0).get() < n) std::this_thread::sleep_for(100us);
  return ns_since(begun) / n;
}

void pending(int n) {
  auto system = std::make_unique<cokka::System>(cokka::threads{2});
  auto counter = system->start<Counter>();
  const auto with_system = rss_bytes();
  for (int i = 0; i < n; ++i) counter.tell_after(1h, Tick{});
  result("pending_bytes_per_timer", double(rss_bytes() - with_system) / n, "bytes");
  const auto begun = Steady::now();
  system.reset();
  result("pending_shutdown", ns_since(begun) / 1e6, "ms");
}

/// p50, p99 and max of `values` (sorted in place).
std::vector<double> quantiles(std::vector<double>& values) {
  std::sort(values.begin(), values.end());
  auto at = [&](double q) { return values[static_cast<std::size_t>(q * double(values.size() - 1))]; };
  return {at(0.5), at(0.99), values.back()};
}

void print_quantiles(const char* workload, std::vector<double> values) {
  const auto q = quantiles(values);
  const std::string name = workload;
  result((name + "_p50").c_str(), q[0], "us");
  result((name + "_p99").c_str(), q[1], "us");
  result((name + "_max").c_str(), q[2], "us");
}

struct Due {
  Steady::time_point at;
};
struct Report {};

/// Records how late each Due arrives; a Report returns the lateness in microseconds.
struct LatenessRecorder : cokka::Actor<LatenessRecorder> {
  std::vector<double> on_receive(cokka::Message& msg) {
    if (auto* due = msg.get_if<Due>()) {
      late_us_.push_back(std::chrono::duration<double, std::micro>(Steady::now() - due->at).count());
      return {};
    }
    return late_us_;
  }
  std::vector<double> late_us_;
};

void lateness() {
  constexpr int per_second = 100000;
  cokka::System system(cokka::threads{2});
  auto recorder = system.start<LatenessRecorder>();
  // Deadlines 10 us apart over one second (100 per 1 ms tick), scheduled ahead of the first one.
  const auto start = Steady::now() + 500ms;
  for (int i = 0; i < per_second; ++i) {
    const auto at = start + std::chrono::microseconds(i * 10);
    recorder.tell_after(at - Steady::now(), Due{at});
  }
  std::this_thread::sleep_for(start + 1s - Steady::now() + 100ms);
  auto late = recorder.ask<std::vector<double>>(Report{}).get(10s);
  if (late.size() != std::size_t{per_second}) throw std::logic_error("a timer was lost");
  print_quantiles("lateness", std::move(late));
}

// --- supervision -----------------------------------------------------------------------------------------

struct Fail {};
struct Probe {};

/// Fails on Fail (stamping the time first); a Probe answers how long ago the last failure was, in us.
struct Flaky : cokka::Actor<Flaky> {
  explicit Flaky(std::shared_ptr<std::atomic<Steady::rep>> failed_at) : failed_at_(std::move(failed_at)) {}
  double on_receive(cokka::Message& msg) {
    if (msg.is<Fail>()) {
      failed_at_->store(Steady::now().time_since_epoch().count());
      throw std::runtime_error("told to fail");
    }
    const auto since = Steady::now().time_since_epoch() - Steady::duration(failed_at_->load());
    return std::chrono::duration<double, std::micro>(since).count();
  }
  std::shared_ptr<std::atomic<Steady::rep>> failed_at_;
};

cokka::ActorOptions restart_always() {
  return cokka::ActorOptions{.restart = cokka::RestartPolicy{.max_restarts = 100000000, .within = 1h}};
}

void restart(int n) {
  cokka::System system(cokka::threads{2});
  auto flaky = system.start<Flaky>(restart_always(), std::make_shared<std::atomic<Steady::rep>>(0));
  std::vector<double> latency;
  latency.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    flaky.tell(Fail{});
    latency.push_back(flaky.ask<double>(Probe{}).get(10s));
  }
  print_quantiles("restart", std::move(latency));
}

void storm(int n) {
  constexpr int chunk = 10000;
  cokka::System system(cokka::threads{2});
  auto flaky = system.start<Flaky>(restart_always(), std::make_shared<std::atomic<Steady::rep>>(0));
  long after_first = 0;
  const auto begun = Steady::now();
  for (int sent = 0; sent < n; sent += chunk) {
    for (int i = 0; i < chunk; ++i) flaky.tell(Fail{});
    flaky.ask<double>(Probe{}).get(60s);  // the chunk was handled: the mailbox is empty again
    if (sent == 0) after_first = rss_bytes();
  }
  result("storm_restarts_per_s", n / (ns_since(begun) / 1e9), "per_s");
  result("storm_rss_growth", double(rss_bytes() - after_first) / 1024.0, "KiB");
  if (!flaky.is_alive()) throw std::logic_error("the storm exceeded the restart budget");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: cokka_services_bench <workload> [n]\n");
    return 2;
  }
  // Every restart logs a warning: a million of them would measure the log sink.
  cokka::set_logger(std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>()));
  const std::string workload = argv[1];
  const int n = argc > 2 ? std::atoi(argv[2]) : 1000000;
  if (workload == "timer_cancel") result("timer_cancel", cokka_timers(n, false), "ns");
  else if (workload == "steady_cancel") result("steady_cancel", steady_timers(n, false), "ns");
  else if (workload == "timer_restart") result("timer_restart", cokka_timers(n, true), "ns");
  else if (workload == "steady_restart") result("steady_restart", steady_timers(n, true), "ns");
  else if (workload == "tell") result("tell", deliveries(n, false), "ns");
  else if (workload == "tell_after") result("tell_after", deliveries(n, true), "ns");
  else if (workload == "pending") pending(n);
  else if (workload == "lateness") lateness();
  else if (workload == "restart") restart(n);
  else if (workload == "storm") storm(n);
  else {
    std::fprintf(stderr, "unknown workload %s\n", workload.c_str());
    return 2;
  }
}
