// cokka::nats against a bare libnats client on the same nats-server, side by side in one run (bench/remote/run).
//
//   remote_bench <nats url> [reps]
//
// Both sides are connected for the whole run and take turns (latency: every 2,000 round trips), each workload
// `reps` times, printed as one markdown table (median and range over the repetitions):
// - ask latency: one request at a time from a plain thread, blocking for the reply (cokka: ask().get(); bare:
//   natsConnection_Request); median and 90th percentile of 20,000 round trips;
// - asks with 16 in flight: cokka: 16 coroutines on an io_context co_await ask(use_awaitable) in a loop; bare: 16
//   threads in a natsConnection_Request loop; round trips per second over 40,000;
// - tells: one thread sends 1,000,000 small messages (cokka: RemoteRef::tell; bare: natsConnection_Publish on a
//   connection with libnats' default buffering, then a flush) to a counter in the same process through the
//   server; messages per second until the counter has them all, and the sending rate alone.
// Both sides send the same bytes (cokka's encoding of the message), and both answer from a subscriber that
// replies with the same bytes.
#include <cokka/cokka.hpp>
#include <cokka/nats.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace bench {

struct Add {
  int a = 0;
  int b = 0;
};
COKKA_MESSAGE(Add, "bench.Add/1", a, b);

struct Echo : cokka::Actor<Echo> {
  int on_receive(cokka::Message& msg) {
    auto& add = msg.as<Add>();
    return add.a + add.b;
  }
};

struct Counter : cokka::Actor<Counter> {
  explicit Counter(std::atomic<long>* count) : count_(count) {}
  void on_receive(cokka::Message&) { count_->fetch_add(1, std::memory_order_relaxed); }
  std::atomic<long>* count_;
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void wait_for(const std::atomic<long>& count, long target) {
  auto deadline = Clock::now() + 60s;
  while (count.load(std::memory_order_relaxed) < target) {
    if (Clock::now() > deadline) throw std::runtime_error("messages lost: " + std::to_string(count.load()) + " of " + std::to_string(target));
    std::this_thread::sleep_for(100us);
  }
}

struct Percentiles {
  double median;
  double p90;
};
Percentiles percentiles(std::vector<double> samples) {  // of microseconds
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 9 / 10]};
}

constexpr int latency_count = 20000;
constexpr int latency_chunks = 10;  // the two sides take turns every latency_count / latency_chunks round trips
constexpr int window = 16;
constexpr int window_count = 40000;
constexpr long tell_count = 1000000;

// ---- cokka ----

class CokkaSide {
public:
  explicit CokkaSide(const std::string& url)
      : system_(cokka::threads{2}),
        service_(system_, {.servers = url, .node = "bench-service"}),
        client_(system_, {.servers = url, .node = "bench-client"}) {
    service_.serve(system_.start<Echo>(), "bench.echo");
    service_.serve(system_.start<Counter>(&count_), "bench.count");
    echo_ = client_.ref("bench.echo");
    counter_ = client_.ref("bench.count");
    for (int i = 0; i < 2000; ++i) echo_.ask<int>(Add{i, 1}).get();  // warm up
  }

  void latency(std::vector<double>& samples, int count) {
    for (int i = 0; i < count; ++i) {
      auto start = Clock::now();
      if (echo_.ask<int>(Add{i, 1}).get() != i + 1) throw std::runtime_error("wrong reply");
      samples.push_back(seconds_since(start) * 1e6);
    }
  }

  double in_flight() {
    asio::io_context io;
    std::atomic<int> issued{0};
    auto loop = [&]() -> asio::awaitable<void> {
      const Add add{1, 2};  // named: g++ 12 destroys a braced temporary in co_await twice
      while (issued.fetch_add(1) < window_count) co_await echo_.ask<int>(add, asio::use_awaitable);
    };
    auto start = Clock::now();
    for (int i = 0; i < window; ++i) asio::co_spawn(io, loop(), asio::detached);
    io.run();
    return window_count / seconds_since(start);
  }

  std::pair<double, double> tells() {
    count_ = 0;
    auto start = Clock::now();
    for (long i = 0; i < tell_count; ++i) counter_.tell(Add{1, 2});
    double sending = tell_count / seconds_since(start);
    wait_for(count_, tell_count);
    return {tell_count / seconds_since(start), sending};
  }

private:
  std::atomic<long> count_{0};
  cokka::System system_;
  cokka::nats::Node service_;
  cokka::nats::Node client_;
  cokka::nats::RemoteRef echo_;
  cokka::nats::RemoteRef counter_;
};

// ---- bare libnats: its own reader and delivery threads, blocking requests ----

class BareSide {
public:
  explicit BareSide(const std::string& url) {
    cokka::nats::detail::encode_request(payload_, Add{1, 2});
    natsOptions_Create(&options_);
    natsOptions_SetURL(options_, url.c_str());
    natsOptions_SetSendAsap(options_, true);  // as cokka's node: no 1 ms flusher delay
    check(natsConnection_Connect(&service_, options_));
    check(natsConnection_Connect(&client_, options_));
    // Tells from a connection with libnats' default buffering (its flusher thread): SendAsap would make every
    // publish a write of its own.
    natsOptions_SetSendAsap(options_, false);
    check(natsConnection_Connect(&teller_, options_));
    check(natsConnection_Subscribe(&echo_, service_, "bare.echo", &BareSide::reply, nullptr));
    check(natsConnection_Subscribe(&count_sub_, service_, "bare.count", &BareSide::count, &count_));
    check(natsConnection_Flush(service_));
    for (int i = 0; i < 2000; ++i) request();
  }
  ~BareSide() {
    natsSubscription_Destroy(echo_);
    natsSubscription_Destroy(count_sub_);
    natsConnection_Destroy(teller_);
    natsConnection_Destroy(client_);
    natsConnection_Destroy(service_);
    natsOptions_Destroy(options_);
  }

  void latency(std::vector<double>& samples, int count) {
    for (int i = 0; i < count; ++i) {
      auto start = Clock::now();
      request();
      samples.push_back(seconds_since(start) * 1e6);
    }
  }

  double in_flight() {
    std::atomic<int> issued{0};
    std::vector<std::thread> threads;
    auto start = Clock::now();
    for (int i = 0; i < window; ++i)
      threads.emplace_back([&] {
        while (issued.fetch_add(1) < window_count) request();
      });
    for (auto& thread : threads) thread.join();
    return window_count / seconds_since(start);
  }

  std::pair<double, double> tells() {
    count_ = 0;
    auto start = Clock::now();
    for (long i = 0; i < tell_count; ++i)
      check(natsConnection_Publish(teller_, "bare.count", payload_.data(), static_cast<int>(payload_.size())));
    check(natsConnection_Flush(teller_));
    double sending = tell_count / seconds_since(start);
    wait_for(count_, tell_count);
    return {tell_count / seconds_since(start), sending};
  }

private:
  static void check(natsStatus status) {
    if (status != NATS_OK) throw std::runtime_error(std::string("libnats: ") + natsStatus_GetText(status));
  }
  static void reply(natsConnection* connection, natsSubscription*, natsMsg* message, void*) {
    natsConnection_Publish(connection, natsMsg_GetReply(message), natsMsg_GetData(message), natsMsg_GetDataLength(message));
    natsMsg_Destroy(message);
  }
  static void count(natsConnection*, natsSubscription*, natsMsg* message, void* counter) {
    static_cast<std::atomic<long>*>(counter)->fetch_add(1, std::memory_order_relaxed);
    natsMsg_Destroy(message);
  }
  void request() {
    natsMsg* reply = nullptr;
    check(natsConnection_Request(&reply, client_, "bare.echo", payload_.data(), static_cast<int>(payload_.size()), 5000));
    natsMsg_Destroy(reply);
  }

  cokka::nats::detail::Buffer payload_;
  std::atomic<long> count_{0};
  natsOptions* options_ = nullptr;
  natsConnection* service_ = nullptr;
  natsConnection* client_ = nullptr;
  natsConnection* teller_ = nullptr;
  natsSubscription* echo_ = nullptr;
  natsSubscription* count_sub_ = nullptr;
};

// ---- the table ----

struct Row {
  std::string workload, metric;
  bool higher_is_better;
  std::vector<double> cokka, bare;
};

std::string number(double value) {
  char text[32];
  if (value >= 1e6)
    std::snprintf(text, sizeof text, "%.2fM", value / 1e6);
  else if (value >= 1e4)
    std::snprintf(text, sizeof text, "%.1fk", value / 1e3);
  else
    std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

std::string summary(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return number(values[values.size() / 2]) + " [" + number(values.front()) + "-" + number(values.back()) + "]";
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  if (argc < 2) {
    std::fprintf(stderr, "usage: remote_bench <nats url> [reps]\n");
    return 2;
  }
  const std::string url = argv[1];
  const int reps = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  Row latency_median{"ask latency", "median us (lower)", false, {}, {}};
  Row latency_p90{"ask latency", "p90 us (lower)", false, {}, {}};
  Row window_row{"asks, 16 in flight", "asks/s (higher)", true, {}, {}};
  Row tell_row{"tells, end to end", "msgs/s (higher)", true, {}, {}};
  Row send_row{"tells, sending only", "msgs/s (higher)", true, {}, {}};
  try {
    // Both sides stay connected for the whole run and take turns, so that both see the same machine: this VM is
    // shared, and its load changes within seconds.
    CokkaSide cokka_side(url);
    BareSide bare_side(url);
    for (int rep = 0; rep < reps; ++rep) {
      bool cokka_first = rep % 2 == 0;
      auto both = [&](auto&& run) {
        if (cokka_first) {
          run(cokka_side, true);
          run(bare_side, false);
        } else {
          run(bare_side, false);
          run(cokka_side, true);
        }
      };
      std::vector<double> samples[2];
      for (int chunk = 0; chunk < latency_chunks; ++chunk)
        both([&](auto& side, bool is_cokka) { side.latency(samples[is_cokka], latency_count / latency_chunks); });
      for (bool is_cokka : {true, false}) {
        auto [median_us, p90_us] = percentiles(samples[is_cokka]);
        (is_cokka ? latency_median.cokka : latency_median.bare).push_back(median_us);
        (is_cokka ? latency_p90.cokka : latency_p90.bare).push_back(p90_us);
      }
      both([&](auto& side, bool is_cokka) { (is_cokka ? window_row.cokka : window_row.bare).push_back(side.in_flight()); });
      both([&](auto& side, bool is_cokka) {
        auto [end_to_end, sending] = side.tells();
        (is_cokka ? tell_row.cokka : tell_row.bare).push_back(end_to_end);
        (is_cokka ? send_row.cokka : send_row.bare).push_back(sending);
      });
      std::fprintf(stderr, "rep %d/%d done\n", rep + 1, reps);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "remote_bench: %s\n", e.what());
    return 1;
  }
  std::printf("| workload | metric (better) | cokka::nats median [min-max] | bare libnats median [min-max] | cokka/bare |\n");
  std::printf("|---|---|---|---|---|\n");
  for (auto* row : {&latency_median, &latency_p90, &window_row, &tell_row, &send_row}) {
    double ratio = median(row->cokka) / median(row->bare);
    std::printf("| %s | %s | %s | %s | %.2f |\n", row->workload.c_str(), row->metric.c_str(), summary(row->cokka).c_str(),
                summary(row->bare).c_str(), ratio);
  }
  return 0;
}
