// CAF 0.17.6 peer for cokka's benchmark suite (bench/compare).
//
// Idiomatic CAF: event-based (stateful) actors, request(...).then(...) for asks between actors,
// scoped_actor + request(...).receive(...) for blocking asks from a plain thread.
//
// Usage: caf_bench <workload> [n] [threads]
// Prints one machine-readable line per result:
//   RESULT workload=<name> impl=caf value=<number> unit=<unit> n=<count> threads=<t>
//
// Build (done by bench/compare; never part of the project's build):
//   g++ -std=c++17 -O2 -DNDEBUG -Wall -Wextra caf_bench.cpp -o caf_bench -lcaf_core -pthread

#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace caf;

namespace {

using ping_atom = atom_constant<atom("ping")>;
using go_atom = atom_constant<atom("go")>;
using inc_atom = atom_constant<atom("inc")>;
using count_atom = atom_constant<atom("count")>;
using next_atom = atom_constant<atom("next")>;
using token_atom = atom_constant<atom("token")>;

using clk = std::chrono::steady_clock;

double seconds_since(clk::time_point t0) {
  return std::chrono::duration<double>(clk::now() - t0).count();
}

long rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
  }
  return -1;
}

unsigned g_threads = 0;

void report(const char* workload, double value, const char* unit, long long n) {
  std::printf("RESULT workload=%s impl=caf value=%.6g unit=%s n=%lld threads=%u\n", workload, value,
              unit, n, g_threads);
  std::fflush(stdout);
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "caf_bench: %s\n", what.c_str());
  std::exit(1);
}

// ---- 1. ask ping-pong: A requests B and continues in .then, N round trips -------------------

behavior ponger(event_based_actor*) {
  return {[](ping_atom, int64_t x) { return x; }};
}

struct pinger_state {
  actor pong;
  int64_t left = 0;
  response_promise done;
};

void pinger_step(stateful_actor<pinger_state>* self) {
  self->request(self->state.pong, infinite, ping_atom::value, self->state.left)
      .then([=](int64_t) {
        if (--self->state.left == 0)
          self->state.done.deliver(int64_t{0});
        else
          pinger_step(self);
      });
}

behavior pinger(stateful_actor<pinger_state>* self, actor pong) {
  self->state.pong = std::move(pong);
  return {[=](go_atom, int64_t n) -> result<int64_t> {
    self->state.left = n;
    self->state.done = self->make_response_promise();
    pinger_step(self);
    return self->state.done;
  }};
}

void ask_pingpong(actor_system& sys, int64_t n) {
  auto b = sys.spawn(ponger);
  auto a = sys.spawn(pinger, b);
  scoped_actor self{sys};
  auto t0 = clk::now();
  self->request(a, infinite, go_atom::value, n)
      .receive([](int64_t) {}, [](error& e) { fail("ping-pong failed: " + to_string(e)); });
  double s = seconds_since(t0);
  report("ask_pingpong", n / s, "ops/s", n);
  anon_send_exit(a, exit_reason::user_shutdown);
  anon_send_exit(b, exit_reason::user_shutdown);
}

// ---- 2. tell throughput (Savina "count"): one sender, N tells, then one ask -----------------

struct counter_state {
  int64_t count = 0;
};

behavior counter(stateful_actor<counter_state>* self) {
  return {
      [=](inc_atom) { ++self->state.count; },
      [=](count_atom) { return self->state.count; },
  };
}

void tell_throughput(actor_system& sys, int64_t n) {
  auto c = sys.spawn(counter);
  scoped_actor self{sys};
  auto t0 = clk::now();
  for (int64_t i = 0; i < n; ++i) self->send(c, inc_atom::value);
  int64_t got = -1;
  self->request(c, infinite, count_atom::value)
      .receive([&](int64_t x) { got = x; }, [](error& e) { fail("count failed: " + to_string(e)); });
  double s = seconds_since(t0);
  if (got != n) fail("counter saw " + std::to_string(got) + " of " + std::to_string(n));
  report("tell_throughput", n / s, "ops/s", n);
  anon_send_exit(c, exit_reason::user_shutdown);
}

// ---- 3. fan-in: 4 sender actors x (N/4) tells to one receiver --------------------------------

struct sink_state {
  int64_t count = 0;
  int64_t target = 0;
  std::promise<void>* done = nullptr;
};

behavior sink(stateful_actor<sink_state>* self, int64_t target, std::promise<void>* done) {
  self->state.target = target;
  self->state.done = done;
  return {[=](inc_atom) {
    if (++self->state.count == self->state.target) self->state.done->set_value();
  }};
}

behavior source(event_based_actor* self) {
  return {[=](go_atom, const actor& to, int64_t n) {
    for (int64_t i = 0; i < n; ++i) self->send(to, inc_atom::value);
  }};
}

void fan_in(actor_system& sys, int64_t n) {
  constexpr int senders = 4;
  const int64_t per = n / senders;
  std::promise<void> done;
  auto fut = done.get_future();
  auto rcv = sys.spawn(sink, per * senders, &done);
  std::vector<actor> src;
  for (int i = 0; i < senders; ++i) src.push_back(sys.spawn(source));
  auto t0 = clk::now();
  for (auto& s : src) anon_send(s, go_atom::value, rcv, per);
  fut.wait();
  double s = seconds_since(t0);
  report("fan_in", per * senders / s, "ops/s", per * senders);
  for (auto& a : src) anon_send_exit(a, exit_reason::user_shutdown);
  anon_send_exit(rcv, exit_reason::user_shutdown);
}

// ---- 4. blocking ask round trip from a plain thread ------------------------------------------

void blocking_ask(actor_system& sys, int64_t n) {
  auto echo = sys.spawn(ponger);
  scoped_actor self{sys};
  auto t0 = clk::now();
  for (int64_t i = 0; i < n; ++i) {
    self->request(echo, infinite, ping_atom::value, i)
        .receive(
            [&](int64_t x) {
              if (x != i) fail("wrong echo");
            },
            [](error& e) { fail("blocking ask failed: " + to_string(e)); });
  }
  double s = seconds_since(t0);
  report("blocking_ask", s * 1e6 / n, "us/op", n);
  anon_send_exit(echo, exit_reason::user_shutdown);
}

// ---- 5. fork-join create (Savina "fjcreate"): spawn, one message, stop --------------------------

behavior fj_worker(event_based_actor* self) {
  // Handles its one message, then terminates (CAF's exit messages are urgent, so the idiomatic
  // "stop after the queued message" is quitting from the handler).
  return {[=](ping_atom, int64_t) { self->quit(); }};
}

void fj_create(actor_system& sys, int64_t n) {
  auto t0 = clk::now();
  for (int64_t i = 0; i < n; ++i) {
    auto w = sys.spawn(fj_worker);
    anon_send(w, ping_atom::value, i);
  }
  sys.await_all_actors_done();
  double s = seconds_since(t0);
  report("fj_create", s * 1e6 / n, "us/actor", n);
}

// ---- 6. memory: RSS delta per idle actor -------------------------------------------------------

behavior idle_actor(event_based_actor*, std::atomic<int64_t>* seen) {
  return {[=](ping_atom, int64_t) { seen->fetch_add(1, std::memory_order_relaxed); }};
}

void memory(actor_system& sys, int64_t n) {
  std::atomic<int64_t> seen{0};
  {  // warm-up: one actor through its whole life so lazily built runtime state is not counted
    auto w = sys.spawn(idle_actor, &seen);
    anon_send(w, ping_atom::value, int64_t{0});
    while (seen.load() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    anon_send_exit(w, exit_reason::user_shutdown);
    seen = 0;
  }
  std::vector<actor> actors;
  actors.reserve(static_cast<size_t>(n));
  long before = rss_bytes();
  for (int64_t i = 0; i < n; ++i) actors.push_back(sys.spawn(idle_actor, &seen));
  for (auto& a : actors) anon_send(a, ping_atom::value, int64_t{1});  // every actor handled once
  while (seen.load() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  long after = rss_bytes();
  report("memory", double(after - before) / n, "bytes/actor", n);
  for (auto& a : actors) anon_send_exit(a, exit_reason::user_shutdown);
}

// ---- 7. thread ring: 100 actors, a token passed N hops --------------------------------------------

struct ring_state {
  actor next;
  std::promise<void>* done = nullptr;
};

behavior ring_node(stateful_actor<ring_state>* self, std::promise<void>* done) {
  self->state.done = done;
  return {
      [=](next_atom, const actor& next) { self->state.next = next; },
      [=](token_atom, int64_t hops) {
        if (hops == 0)
          self->state.done->set_value();
        else
          self->send(self->state.next, token_atom::value, hops - 1);
      },
  };
}

void thread_ring(actor_system& sys, int64_t n) {
  constexpr int ring_size = 100;
  std::promise<void> done;
  auto fut = done.get_future();
  std::vector<actor> nodes;
  for (int i = 0; i < ring_size; ++i) nodes.push_back(sys.spawn(ring_node, &done));
  {
    scoped_actor self{sys};  // make sure every node knows its successor before the token runs
    for (int i = 0; i < ring_size; ++i)
      self->send(nodes[size_t(i)], next_atom::value, nodes[size_t((i + 1) % ring_size)]);
  }
  auto t0 = clk::now();
  anon_send(nodes[0], token_atom::value, n);
  fut.wait();
  double s = seconds_since(t0);
  report("thread_ring", n / s, "ops/s", n);
  for (auto& a : nodes) anon_send_exit(a, exit_reason::user_shutdown);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s <ask_pingpong|tell_throughput|fan_in|blocking_ask|fj_create|memory|"
                 "thread_ring|proxy> [n] [threads]\n",
                 argv[0]);
    return 2;
  }
  std::string w = argv[1];
  int64_t n = argc > 2 ? std::atoll(argv[2]) : 0;
  g_threads = argc > 3 ? unsigned(std::atoi(argv[3])) : std::thread::hardware_concurrency();
  if (g_threads == 0) g_threads = 1;

  actor_system_config cfg;
  cfg.set("scheduler.max-threads", size_t{g_threads});
  actor_system sys{cfg};

  auto def = [&](int64_t d) { return n > 0 ? n : d; };
  if (w == "ask_pingpong") ask_pingpong(sys, def(1'000'000));
  else if (w == "tell_throughput") tell_throughput(sys, def(5'000'000));
  else if (w == "fan_in") fan_in(sys, def(1'000'000));
  else if (w == "blocking_ask") blocking_ask(sys, def(100'000));
  else if (w == "fj_create") fj_create(sys, def(100'000));
  else if (w == "memory") memory(sys, def(100'000));
  else if (w == "thread_ring") thread_ring(sys, def(1'000'000));
  else if (w == "proxy") std::printf("NA workload=proxy impl=caf reason=CAF has no proxies\n");
  else fail("unknown workload " + w);
  return 0;
}
