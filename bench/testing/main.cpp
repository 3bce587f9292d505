// The test kit's costs (issue 19):
// - "day": 24 h of virtual time with 10,000 periodic timers (100 actors of 100 keyed timers each, intervals of
//   1 h to 24 h), one TestSystem::advance(24h); goal: under 50 ms of wall time;
// - "pingpong-test" / "pingpong-system": two actors tell each other a message back and forth, the same code under
//   TestSystem (driven by a blocking get) and under System(threads{1}); goal: at most 2x per message.
//
//   cokka_testing_bench [day|pingpong-test|pingpong-system] [count]
//
// Prints one RESULT line; bench/testing/run runs them alternately and prints the table.
#include <cokka/cokka.hpp>
#include <cokka/testing.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace std::chrono_literals;
using WallClock = std::chrono::steady_clock;

namespace {

struct Tick {};

/// Keeps `timers` periodic timers, each with its own interval; counts the deliveries.
struct Periodic : cokka::Actor<Periodic> {
  Periodic(int first, int timers, long& delivered) : first_(first), timers_(timers), delivered_(delivered) {}
  void on_start() {
    for (int key = 0; key < timers_; ++key) timers().start_periodic(key, Tick{}, std::chrono::hours((first_ + key) % 24 + 1));
  }
  void on_receive(cokka::Message&) { ++delivered_; }
  int first_, timers_;
  long& delivered_;
};

struct Ball {
  long left;
};

/// Returns the ball to its peer until no throws are left, then sets the promise.
struct Player : cokka::Actor<Player> {
  explicit Player(cokka::Promise<void> done) : done_(std::move(done)) {}
  void on_receive(cokka::Message& msg) {
    if (auto* peer = msg.get_if<cokka::ActorRef<Player>>()) {
      peer_ = *peer;
      return;
    }
    const auto* ball = msg.get_if<Ball>();
    if (!ball) return;  // an ask: the reply says everything before it was handled
    const long left = ball->left;
    if (left == 0) return done_.set_value();
    peer_.tell(Ball{left - 1});
  }
  cokka::Promise<void> done_;
  cokka::ActorRef<Player> peer_;
};

double ms_since(WallClock::time_point begun) {
  return std::chrono::duration<double, std::milli>(WallClock::now() - begun).count();
}

// The same code for both systems: the blocking get drives a TestSystem and waits under System.
double pingpong(cokka::System& system, long messages) {
  cokka::Promise<void> done;
  auto finished = done.get_future();
  auto a = system.start<Player>(std::move(done));
  auto b = system.start<Player>(cokka::Promise<void>());
  a.tell(b);
  b.tell(a);
  a.ask<void>(0).get();  // both started and introduced
  b.ask<void>(0).get();
  const auto begun = WallClock::now();
  b.tell(Ball{messages - 1});
  finished.get();
  return ms_since(begun);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string workload = argc > 1 ? argv[1] : "day";
  if (workload == "day") {
    const int timers = argc > 2 ? std::atoi(argv[2]) : 10000;
    long delivered = 0;
    cokka::testing::TestSystem system;
    for (int first = 0; first < timers; first += 100) system.start<Periodic>(first, std::min(100, timers - first), delivered);
    system.run_until_idle();
    const auto begun = WallClock::now();
    system.advance(24h);
    const double ms = ms_since(begun);
    std::printf("24 h of virtual time, %d periodic timers: %ld deliveries in %.1f ms (%.0f ns each)\n", timers,
                delivered, ms, ms * 1e6 / static_cast<double>(delivered));
    std::printf("RESULT workload=day value=%.2f unit=ms timers=%d deliveries=%ld\n", ms, timers, delivered);
    return 0;
  }
  const long messages = argc > 2 ? std::atol(argv[2]) : 1000000;
  double ms = 0;
  if (workload == "pingpong-test") {
    cokka::testing::TestSystem system;
    ms = pingpong(system, messages);
  } else if (workload == "pingpong-system") {
    cokka::System system(cokka::threads{1});
    ms = pingpong(system, messages);
  } else {
    std::fprintf(stderr, "usage: cokka_testing_bench [day|pingpong-test|pingpong-system] [count]\n");
    return 2;
  }
  std::printf("RESULT workload=%s value=%.1f unit=ns messages=%ld\n", workload.c_str(), ms * 1e6 / static_cast<double>(messages),
              messages);
  return 0;
}
