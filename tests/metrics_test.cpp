// Metrics (design.md 17): per actor type counters, mailbox depths and timings, and their Prometheus text.
#include "metrics.hpp"  // the library's histogram, to check its quantiles against exact ones
#include "support.hpp"

#include <cokka/cokka.hpp>
#include <cokka/metrics.hpp>

#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace measured {

struct Fail {};
struct Hold {
  test::Gate* entered;
  test::Gate* leave;
};
struct Nap {
  std::chrono::milliseconds length;
};

/// Answers 1; throws on a Fail; in a Hold, says it entered and waits for the test; sleeps on a Nap.
struct Worker : cokka::Actor<Worker> {
  int on_receive(cokka::Message& msg) {
    if (msg.is<Fail>()) throw std::runtime_error("told to fail");
    if (auto* hold = msg.get_if<Hold>()) {
      hold->entered->open();
      hold->leave->wait();
    }
    if (auto* nap = msg.get_if<Nap>()) std::this_thread::sleep_for(nap->length);
    return 1;
  }
};

struct Idle : cokka::Actor<Idle> {};

const cokka::metrics::ActorTypeMetrics& figures(const cokka::metrics::Snapshot& snapshot, const std::string& actor) {
  const auto* found = snapshot.find(actor);
  REQUIRE_MESSAGE(found, "no metrics for " << actor);
  return *found;
}

}  // namespace measured

using measured::figures;

TEST_CASE("metrics count what each actor type was sent, handled, failed, dropped and restarted") {
  cokka::System system(cokka::SystemOptions{.threads = 2, .metrics = true, .metrics_sample = 1});
  auto first = system.start<measured::Worker>();
  auto second = system.start<measured::Worker>();
  auto restarting = system.start<measured::Worker>(
      cokka::ActorOptions{.restart = cokka::RestartPolicy{.max_restarts = 10, .within = 60s, .backoff_min = 0ms,
                                                          .backoff_max = 0ms}});
  system.start<measured::Idle>();
  for (int i = 0; i < 100; ++i) {
    first.tell(i);
    second.tell(i);
  }
  CHECK_THROWS_AS(first.ask<int>(measured::Fail{}).get(5s), std::runtime_error);  // an ask's failure: still running
  for (int i = 0; i < 3; ++i) restarting.tell(measured::Fail{});                  // a tell's: a restart each
  CHECK(first.ask<int>(0).get(5s) == 1);
  CHECK(second.ask<int>(0).get(5s) == 1);
  CHECK(restarting.ask<int>(0).get(5s) == 1);

  const auto snapshot = system.metrics();
  REQUIRE(snapshot.actors.size() == 2);
  CHECK(snapshot.actors[0].actor < snapshot.actors[1].actor);  // sorted by type name
  const auto& workers = figures(snapshot, cokka::detail::type_name<measured::Worker>());
  CHECK(workers.actors == 3);
  CHECK(workers.sent == 200 + 1 + 3 + 3);
  CHECK(workers.handled == 200 + 1 + 3 + 3);
  CHECK(workers.failed == 1 + 3);
  CHECK(workers.restarts == 3);
  CHECK(workers.dropped == 0);
  CHECK(workers.mailbox_depth == 0);
  CHECK(workers.handling_time.count == workers.handled);
  CHECK(workers.time_in_mailbox.count == workers.handled);
  CHECK(workers.handling_time.p50 <= workers.handling_time.p90);
  CHECK(workers.handling_time.p90 <= workers.handling_time.p99);
  CHECK(workers.handling_time.p99 <= workers.handling_time.max);
  const auto& idle = figures(snapshot, cokka::detail::type_name<measured::Idle>());
  CHECK(idle.actors == 1);
  CHECK(idle.sent == 0);
  CHECK(idle.handling_time.count == 0);
  CHECK(idle.handling_time.p99 == 0ns);

  first.stop();
  CHECK(figures(system.metrics(), cokka::detail::type_name<measured::Worker>()).actors == 2);  // the stopped one's
  CHECK(figures(system.metrics(), cokka::detail::type_name<measured::Worker>()).handled == 207);  // figures stay
}

TEST_CASE("metrics show the mailbox depth now and the deepest it has been, and count drop_newest drops") {
  cokka::System system(cokka::SystemOptions{.threads = 2, .metrics = true, .metrics_sample = 1});
  auto worker = system.start<measured::Worker>(
      cokka::ActorOptions{.mailbox = {.capacity = 5, .on_full = cokka::OnFull::drop_newest}});
  test::Gate entered;
  test::Gate leave;
  worker.tell(measured::Hold{&entered, &leave});
  REQUIRE(entered.wait());
  for (int i = 0; i < 7; ++i) worker.tell(i);  // 5 fit, 2 are dropped
  auto held = figures(system.metrics(), cokka::detail::type_name<measured::Worker>());
  CHECK(held.mailbox_depth == 5);
  CHECK(held.mailbox_depth_max == 5);
  CHECK(held.sent == 1 + 5);
  CHECK(held.dropped == 2);
  CHECK(held.handled == 0);  // the held handler has not ended
  std::this_thread::sleep_for(50ms);  // what queued waits at least this long: a lower bound to check
  leave.open();
  for (int i = 0; i < 10'000 && figures(system.metrics(), cokka::detail::type_name<measured::Worker>()).handled < 6; ++i)
    std::this_thread::sleep_for(1ms);  // until the mailbox has room for an ask (a hang guard of 10 s)
  CHECK(worker.ask<int>(0).get(5s) == 1);
  const auto after = figures(system.metrics(), cokka::detail::type_name<measured::Worker>());
  CHECK(after.mailbox_depth == 0);
  CHECK(after.mailbox_depth_max == 5);
  CHECK(after.handled == 1 + 5 + 1);
  // The held handler lasted until the gate opened, and the five queued behind it (of seven) waited as long.
  CHECK(after.handling_time.max >= 50ms);
  CHECK(after.time_in_mailbox.p50 >= 50ms);
}

TEST_CASE("handling time and time in mailbox measure real time: a napping handler is seen, and so is the wait") {
  cokka::System system(cokka::SystemOptions{.threads = 1, .metrics = true, .metrics_sample = 1});
  auto worker = system.start<measured::Worker>();
  for (int i = 0; i < 5; ++i) worker.tell(measured::Nap{20ms});
  CHECK(worker.ask<int>(0).get(10s) == 1);
  const auto workers = figures(system.metrics(), cokka::detail::type_name<measured::Worker>());
  CHECK(workers.handling_time.count == 6);
  CHECK(workers.handling_time.p50 >= 20ms);  // sleep_for sleeps at least as long: lower bounds only
  CHECK(workers.handling_time.sum >= 100ms);
  CHECK(workers.time_in_mailbox.max >= 80ms);  // the last nap waited behind four
}

TEST_CASE("a coroutine handler's handling time runs to its end, across its co_await") {
  struct Sleeper : cokka::Actor<Sleeper> {
    asio::awaitable<int> on_receive(cokka::Message&) {
      co_await sleep_for(30ms, asio::use_awaitable);
      co_return 7;
    }
  };
  cokka::System system(cokka::SystemOptions{.threads = 2, .metrics = true, .metrics_sample = 1});
  auto sleeper = system.start<Sleeper>();
  CHECK(sleeper.ask<int>(0).get(10s) == 7);
  const auto sleepers = figures(system.metrics(), cokka::detail::type_name<Sleeper>());
  CHECK(sleepers.handled == 1);
  CHECK(sleepers.handling_time.max >= 30ms);
}

TEST_CASE("by default one message in 16 per actor is timed, and the counters still count every message") {
  cokka::System system(cokka::SystemOptions{.threads = 2, .metrics = true});
  auto worker = system.start<measured::Worker>();
  for (int i = 0; i < 63; ++i) worker.tell(i);
  CHECK(worker.ask<int>(0).get(5s) == 1);  // the 64th message (the 65th push, after on_start's)
  const auto workers = figures(system.metrics(), cokka::detail::type_name<measured::Worker>());
  CHECK(workers.sent == 64);
  CHECK(workers.handled == 64);
  CHECK(workers.time_in_mailbox.count == 4);  // pushes 16, 32, 48 and 64
  CHECK(workers.handling_time.count == 4);
  cokka::System rounded(cokka::SystemOptions{.threads = 1, .metrics = true, .metrics_sample = 3});  // as 4
  auto other = rounded.start<measured::Worker>();
  for (int i = 0; i < 7; ++i) other.tell(i);
  CHECK(other.ask<int>(0).get(5s) == 1);
  CHECK(figures(rounded.metrics(), cokka::detail::type_name<measured::Worker>()).handling_time.count == 2);  // 4, 8
}

TEST_CASE("metrics of a System on a borrowed io_context, and the misuses: metrics off, threads on a borrowed one") {
  asio::io_context io;
  {
    cokka::System system(io, cokka::SystemOptions{.metrics = true});
    auto worker = system.start<measured::Worker>();
    auto reply = worker.ask<int>(0);
    io.run();
    CHECK(reply.get() == 1);
    CHECK(figures(system.metrics(), cokka::detail::type_name<measured::Worker>()).handled == 1);
    CHECK(system.thread_count() == 0);
  }
  io.restart();
  CHECK_THROWS_WITH_AS(cokka::System(io, cokka::SystemOptions{.threads = 2}),
                       doctest::Contains("options.threads must be 0"), cokka::InvalidState);
  cokka::System plain(cokka::SystemOptions{.threads = 1});
  CHECK(plain.thread_count() == 1);
  CHECK_THROWS_WITH_AS(plain.metrics(), doctest::Contains("SystemOptions{.metrics = true}"), cokka::InvalidState);
  cokka::System defaults(cokka::threads{1});
  CHECK_THROWS_AS(defaults.metrics(), cokka::InvalidState);
}

TEST_CASE("an actor ref that outlives its System keeps its type's figures alive until it goes") {
  std::optional<cokka::ActorRef<measured::Worker>> survivor;
  {
    cokka::System system(cokka::SystemOptions{.threads = 1, .metrics = true});
    survivor = system.start<measured::Worker>();
    CHECK(survivor->ask<int>(0).get(5s) == 1);
  }
  CHECK_THROWS_AS(survivor->tell(1), cokka::ActorDeadError);
  survivor.reset();  // the cell lets go of its figures after the System did (ASan checks)
}

TEST_CASE("the histogram's quantiles are within one bucket (at most 12.5%) above the exact ones, never below") {
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> latency(10.0, 2.0);  // about 20 us, spread over decades
  cokka::detail::LogHistogram histogram;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 100'000; ++i) {
    values.push_back(static_cast<std::uint64_t>(latency(random)));
    histogram.record(values.back());
  }
  std::sort(values.begin(), values.end());
  const auto snapshot = histogram.snapshot();
  CHECK(snapshot.count == values.size());
  CHECK(snapshot.max.count() == static_cast<std::int64_t>(values.back()));
  auto exact = [&](double q) { return double(values[static_cast<std::size_t>(std::ceil(q * double(values.size()))) - 1]); };
  for (const auto& [q, reported] : {std::pair{0.5, snapshot.p50}, std::pair{0.9, snapshot.p90}, std::pair{0.99, snapshot.p99}}) {
    CAPTURE(q);
    CHECK(double(reported.count()) >= exact(q));
    CHECK(double(reported.count()) <= exact(q) * 1.125 + 1);
  }
  // Bucket edges: each value lands in a bucket whose upper bound is at least the value and within 1/8 of it.
  for (const std::uint64_t value : {0ull, 7ull, 8ull, 15ull, 16ull, 1000ull, 123456789ull, (1ull << 39) + 5}) {
    const auto upper = cokka::detail::LogHistogram::upper_bound(cokka::detail::LogHistogram::bucket_of(value));
    CAPTURE(value);
    CHECK(upper >= value);
    CHECK(double(upper) <= double(value) * 1.125 + 1);
  }
  CHECK(cokka::detail::LogHistogram::bucket_of(1ull << 50) == cokka::detail::LogHistogram::bucket_count - 1);
  CHECK(cokka::detail::LogHistogram().snapshot().p50 == 0ns);
}

TEST_CASE("to_prometheus writes the text exposition format: families, labels escaped, summaries in seconds") {
  cokka::metrics::Snapshot snapshot;
  auto& greeter = snapshot.actors.emplace_back();
  greeter.actor = "Greeter";
  greeter.actors = 2;
  greeter.sent = 10;
  greeter.handled = 9;
  greeter.failed = 1;
  greeter.mailbox_depth = 1;
  greeter.mailbox_depth_max = 4;
  greeter.handling_time = {.count = 9, .sum = 9ms, .p50 = 500us, .p90 = 2ms, .p99 = 3ms, .max = 3ms};
  auto& odd = snapshot.actors.emplace_back();
  odd.actor = "ns::Odd<\"a\\b\">";
  const auto text = cokka::metrics::to_prometheus(snapshot);
  for (const std::string line : {"# TYPE cokka_messages_handled_total counter\n",
                                 "cokka_messages_handled_total{actor=\"Greeter\"} 9\n",
                                 "cokka_messages_sent_total{actor=\"Greeter\"} 10\n",
                                 "cokka_messages_failed_total{actor=\"Greeter\"} 1\n",
                                 "cokka_actors{actor=\"Greeter\"} 2\n",
                                 "cokka_mailbox_depth_max{actor=\"Greeter\"} 4\n",
                                 "# TYPE cokka_handling_time_seconds summary\n",
                                 "cokka_handling_time_seconds{actor=\"Greeter\",quantile=\"0.9\"} 0.002\n",
                                 "cokka_handling_time_seconds_sum{actor=\"Greeter\"} 0.009\n",
                                 "cokka_handling_time_seconds_count{actor=\"Greeter\"} 9\n",
                                 "cokka_handling_time_max_seconds{actor=\"Greeter\"} 0.003\n",
                                 "cokka_messages_sent_total{actor=\"ns::Odd<\\\"a\\\\b\\\">\"} 0\n"})
    CHECK_MESSAGE(text.find(line) != std::string::npos, "missing: " << line);
  // Every line is a comment or `name{labels} value`, and every family has HELP and TYPE before its samples.
  std::size_t families = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = text.find('\n', at);
    REQUIRE(end != std::string::npos);  // the text ends with a line feed
    const auto line = text.substr(at, end - at);
    if (line.rfind("# TYPE ", 0) == 0) ++families;
    CHECK((line.rfind("# HELP cokka_", 0) == 0 || line.rfind("# TYPE cokka_", 0) == 0 ||
           (line.rfind("cokka_", 0) == 0 && line.find("{actor=\"") != std::string::npos &&
            line.find("} ") != std::string::npos)));
    at = end + 1;
  }
  CHECK(families == 12);
}

TEST_CASE("docs: a System's metrics as a snapshot and as Prometheus text") {
  //! [metrics]
  cokka::System system(cokka::SystemOptions{.threads = 2, .metrics = true});
  auto worker = system.start<measured::Worker>();
  worker.ask<int>(1).get();

  cokka::metrics::Snapshot snapshot = system.metrics();          // thread-safe, any time
  const auto* workers = snapshot.find("measured::Worker");       // per actor type
  std::string text = cokka::metrics::to_prometheus(snapshot);    // for a GET /metrics
  //! [metrics]
  REQUIRE(workers);
  CHECK(workers->handled == 1);
  CHECK(text.find("cokka_messages_handled_total{actor=\"measured::Worker\"} 1\n") != std::string::npos);
}
