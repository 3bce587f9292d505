// cokka's side of the benchmark suite (bench/compare runs it next to the CAF and Pykka peers).
//
// Usage: cokka_bench <workload> [n] [threads]
// Prints one machine-readable line per result:
//   RESULT workload=<name> impl=cokka value=<number> unit=<unit> n=<count> threads=<t>
// Workloads and parameters mirror bench/peers/caf/caf_bench.cpp and bench/peers/pykka/pykka_bench.py.

#include <cokka/cokka.hpp>

#if __has_include(<cokka/proxy.hpp>)
#include <cokka/proxy.hpp>
#define COKKA_BENCH_HAVE_PROXY 1
#else
#define COKKA_BENCH_HAVE_PROXY 0
#endif

#include <asio/awaitable.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using clk = std::chrono::steady_clock;

double seconds_since(clk::time_point t0) { return std::chrono::duration<double>(clk::now() - t0).count(); }

long rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
  }
  return -1;
}

unsigned g_threads = 0;

void report(const char* workload, double value, const char* unit, std::int64_t n) {
  std::printf("RESULT workload=%s impl=cokka value=%.6g unit=%s n=%lld threads=%u\n", workload, value, unit,
              static_cast<long long>(n), g_threads);
  std::fflush(stdout);
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "cokka_bench: %s\n", what.c_str());
  std::exit(1);
}

struct Go {
  std::int64_t n;
};
struct Inc {};
struct Count {};

// ---- 1. ask ping-pong: A asks B and co_awaits the reply, N round trips -----------------------------

//! [ask_pingpong]
struct Ponger : cokka::Actor<Ponger> {
  std::int64_t on_receive(cokka::Message& msg) { return msg.as<std::int64_t>(); }
};

struct Pinger : cokka::Actor<Pinger> {
  explicit Pinger(cokka::ActorRef<Ponger> pong) : pong_(std::move(pong)) {}

  asio::awaitable<std::int64_t> on_receive(cokka::Message& msg) {
    const std::int64_t n = msg.as<Go>().n;  // read before the first suspension
    for (std::int64_t i = 0; i < n; ++i) {
      auto reply = pong_.ask<std::int64_t>(i);
      const std::int64_t got = co_await reply.async_wait(asio::use_awaitable);
      if (got != i) throw std::runtime_error("wrong echo");
    }
    co_return n;
  }

  cokka::ActorRef<Ponger> pong_;
};

void ask_pingpong(cokka::System& sys, std::int64_t n) {
  auto b = sys.start<Ponger>();
  auto a = sys.start<Pinger>(b);
  auto t0 = clk::now();
  a.ask<std::int64_t>(Go{n}).get();
  double s = seconds_since(t0);
  report("ask_pingpong", double(n) / s, "ops/s", n);
}
//! [ask_pingpong]

// ---- 2. tell throughput (Savina "count"): one sender (main thread), N tells, then one ask ---------------

struct Counter : cokka::Actor<Counter> {
  std::int64_t on_receive(cokka::Message& msg) {
    if (msg.is<Inc>()) ++count_;
    return count_;
  }
  std::int64_t count_ = 0;
};

void tell_throughput(cokka::System& sys, std::int64_t n) {
  auto c = sys.start<Counter>();
  auto t0 = clk::now();
  for (std::int64_t i = 0; i < n; ++i) c.tell(Inc{});
  std::int64_t got = c.ask<std::int64_t>(Count{}).get();
  double s = seconds_since(t0);
  if (got != n) fail("counter saw " + std::to_string(got) + " of " + std::to_string(n));
  report("tell_throughput", double(n) / s, "ops/s", n);
}

// ---- 3. fan-in: 4 sender actors x (N/4) tells to one receiver -----------------------------------------

struct Sink : cokka::Actor<Sink> {
  Sink(std::int64_t target, std::promise<void>* done) : target_(target), done_(done) {}
  void on_receive(cokka::Message&) {
    if (++count_ == target_) done_->set_value();
  }
  std::int64_t count_ = 0;
  std::int64_t target_;
  std::promise<void>* done_;
};

struct SourceGo {
  cokka::ActorRef<Sink> to;
  std::int64_t n;
};

struct Source : cokka::Actor<Source> {
  void on_receive(cokka::Message& msg) {
    auto& go = msg.as<SourceGo>();
    for (std::int64_t i = 0; i < go.n; ++i) go.to.tell(Inc{});
  }
};

void fan_in(cokka::System& sys, std::int64_t n) {
  constexpr int senders = 4;
  const std::int64_t per = n / senders;
  std::promise<void> done;
  auto fut = done.get_future();
  auto sink = sys.start<Sink>(per * senders, &done);
  std::vector<cokka::ActorRef<Source>> sources;
  for (int i = 0; i < senders; ++i) sources.push_back(sys.start<Source>());
  auto t0 = clk::now();
  for (auto& src : sources) src.tell(SourceGo{sink, per});
  fut.wait();
  double s = seconds_since(t0);
  report("fan_in", double(per * senders) / s, "ops/s", per * senders);
}

// ---- 4. blocking ask round trip from a plain thread ----------------------------------------------------

void blocking_ask(cokka::System& sys, std::int64_t n) {
  auto echo = sys.start<Ponger>();
  auto t0 = clk::now();
  for (std::int64_t i = 0; i < n; ++i) {
    if (echo.ask<std::int64_t>(i).get() != i) fail("wrong echo");
  }
  double s = seconds_since(t0);
  report("blocking_ask", s * 1e6 / double(n), "us/op", n);
}

// ---- 5. fork-join create (Savina "fjcreate"): start, one message, stop (pill behind the message) --------

struct Worker : cokka::Actor<Worker> {
  void on_receive(cokka::Message&) {}
};

void fj_create(cokka::System& sys, std::int64_t n) {
  std::vector<cokka::Future<bool>> stops;
  stops.reserve(static_cast<std::size_t>(n));
  auto t0 = clk::now();
  for (std::int64_t i = 0; i < n; ++i) {
    auto w = sys.start<Worker>();
    w.tell(i);
    stops.push_back(w.stop_async());
  }
  for (auto& f : stops) {
    if (!f.get()) fail("stop returned false");
  }
  double s = seconds_since(t0);
  report("fj_create", s * 1e6 / double(n), "us/actor", n);
}

// ---- 6. memory: RSS delta per idle actor ---------------------------------------------------------------

struct Idle : cokka::Actor<Idle> {
  explicit Idle(std::atomic<std::int64_t>* seen) : seen_(seen) {}
  void on_receive(cokka::Message&) { seen_->fetch_add(1, std::memory_order_relaxed); }
  std::atomic<std::int64_t>* seen_;
};

void memory(cokka::System& sys, std::int64_t n) {
  std::atomic<std::int64_t> seen{0};
  {  // warm-up: one actor through its whole life so lazily built runtime state is not counted
    auto w = sys.start<Idle>(&seen);
    w.tell(std::int64_t{0});
    w.stop();
    seen = 0;
  }
  std::vector<cokka::ActorRef<Idle>> actors;
  actors.reserve(static_cast<std::size_t>(n));
  long before = rss_bytes();
  for (std::int64_t i = 0; i < n; ++i) actors.push_back(sys.start<Idle>(&seen));
  for (auto& a : actors) a.tell(std::int64_t{1});  // every actor has handled one message
  while (seen.load() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  long after = rss_bytes();
  report("memory", double(after - before) / double(n), "bytes/actor", n);
}

// ---- 7. thread ring: 100 actors, a token passed N hops -------------------------------------------------

struct RingNode;
struct SetNext {
  cokka::ActorRef<RingNode> next;
};
struct Token {
  std::int64_t hops;
};

struct RingNode : cokka::Actor<RingNode> {
  explicit RingNode(std::promise<void>* done) : done_(done) {}
  void on_receive(cokka::Message& msg) {
    if (auto* t = msg.get_if<Token>()) {
      if (t->hops == 0)
        done_->set_value();
      else
        next_.tell(Token{t->hops - 1});
    } else {
      next_ = msg.as<SetNext>().next;
    }
  }
  std::promise<void>* done_;
  cokka::ActorRef<RingNode> next_;
};

void thread_ring(cokka::System& sys, std::int64_t n) {
  constexpr std::size_t ring_size = 100;
  std::promise<void> done;
  auto fut = done.get_future();
  std::vector<cokka::ActorRef<RingNode>> nodes;
  for (std::size_t i = 0; i < ring_size; ++i) nodes.push_back(sys.start<RingNode>(&done));
  // Per-sender FIFO: every SetNext is queued before the token can reach its node.
  for (std::size_t i = 0; i < ring_size; ++i) nodes[i].tell(SetNext{nodes[(i + 1) % ring_size]});
  auto t0 = clk::now();
  nodes[0].tell(Token{n});
  fut.wait();
  double s = seconds_since(t0);
  report("thread_ring", double(n) / s, "ops/s", n);
}

// ---- 8. proxy call round trip from a plain thread ------------------------------------------------------

}  // namespace

#if COKKA_BENCH_HAVE_PROXY
// In a named namespace: COKKA_REFLECT inside an anonymous namespace trips -Wunused-function on g++ 12
// (its ADL descriptor function is declared, used only in decltype, never defined).
namespace cokka_bench {
struct Calculator : cokka::Actor<Calculator> {
  std::int64_t add(std::int64_t a, std::int64_t b) { return a + b; }
};
COKKA_REFLECT(Calculator, methods(add));
}  // namespace cokka_bench

namespace {
using cokka_bench::Calculator;

void proxy(cokka::System& sys, std::int64_t n) {
  auto calc = sys.start<Calculator>().proxy();
  auto t0 = clk::now();
  for (std::int64_t i = 0; i < n; ++i) {
    if (calc.add(i, 1).get() != i + 1) fail("wrong sum");
  }
  double s = seconds_since(t0);
  report("proxy", s * 1e6 / double(n), "us/op", n);
}
#else
namespace {
void proxy(cokka::System&, std::int64_t) {
  std::printf("NA workload=proxy impl=cokka reason=cokka/proxy.hpp not available in this build\n");
}
#endif

// ---- floor: what a blocking round trip costs without any actor library ---------------------------------
// Two plain threads hand a token back and forth through a mutex and condition variable, each sleeping until
// woken: the two wake-ups every blocking ask (plain thread -> idle io thread -> plain thread) pays at least.

void wake_floor(std::int64_t n) {
  std::mutex mutex;
  std::condition_variable changed;
  std::int64_t token = 0;  // odd: the echo thread's turn
  std::thread echo([&] {
    std::unique_lock lock(mutex);
    for (std::int64_t i = 0; i < n; ++i) {
      changed.wait(lock, [&] { return token % 2 == 1; });
      ++token;
      changed.notify_one();
    }
  });
  auto t0 = clk::now();
  {
    std::unique_lock lock(mutex);
    for (std::int64_t i = 0; i < n; ++i) {
      ++token;
      changed.notify_one();
      changed.wait(lock, [&] { return token % 2 == 0; });
    }
  }
  double s = seconds_since(t0);
  echo.join();
  report("wake_floor", s * 1e6 / double(n), "us/op", n);
}

// The same hand-over with both threads spinning on an atomic, never sleeping: what a round trip costs when
// the other side is already awake (a runtime gets there only by keeping threads busy-waiting).
void spin_floor(std::int64_t n) {
  std::atomic<std::int64_t> token{0};  // odd: the echo thread's turn
  std::thread echo([&] {
    for (std::int64_t i = 0; i < n; ++i) {
      while (token.load(std::memory_order_acquire) % 2 == 0) {
      }
      token.fetch_add(1, std::memory_order_release);
    }
  });
  auto t0 = clk::now();
  for (std::int64_t i = 0; i < n; ++i) {
    token.fetch_add(1, std::memory_order_release);
    while (token.load(std::memory_order_acquire) % 2 == 1) {
    }
  }
  double s = seconds_since(t0);
  echo.join();
  report("spin_floor", s * 1e6 / double(n), "us/op", n);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s <ask_pingpong|tell_throughput|fan_in|blocking_ask|fj_create|memory|thread_ring|proxy|wake_floor|spin_floor>"
                 " [n] [threads]\n",
                 argv[0]);
    return 2;
  }
  const std::string w = argv[1];
  const std::int64_t n = argc > 2 ? std::atoll(argv[2]) : 0;
  g_threads = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : std::thread::hardware_concurrency();
  if (g_threads == 0) g_threads = 1;
  auto def = [&](std::int64_t d) { return n > 0 ? n : d; };

  if (w == "wake_floor" || w == "spin_floor") {
    (w == "wake_floor" ? wake_floor : spin_floor)(def(100'000));
    return 0;
  }
  cokka::System sys(cokka::threads{g_threads});
  if (w == "ask_pingpong") ask_pingpong(sys, def(1'000'000));
  else if (w == "tell_throughput") tell_throughput(sys, def(5'000'000));
  else if (w == "fan_in") fan_in(sys, def(1'000'000));
  else if (w == "blocking_ask") blocking_ask(sys, def(100'000));
  else if (w == "fj_create") fj_create(sys, def(100'000));
  else if (w == "memory") memory(sys, def(100'000));
  else if (w == "thread_ring") thread_ring(sys, def(1'000'000));
  else if (w == "proxy") proxy(sys, def(100'000));
  else fail("unknown workload " + w);
  return 0;
}
