// The timing wheel alone (lib/timer_wheel.hpp), deterministic: every timer fires at the first turn that reaches
// its tick, never earlier, and next_tick() never sleeps past a deadline; across every distance the six levels
// cover, with turns of every size.
#include "timer_wheel.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace {

/// A node that records the turn it came out in.
struct Probe final : cokka::detail::TimerNode {
  Probe() noexcept : TimerNode(Kind::guarded) {}
  void fire() noexcept override {}
  void abort() noexcept override {}
  std::uint64_t fired_at = 0;
  bool fired = false;
};

}  // namespace

TEST_CASE("the timing wheel fires every timer at the first turn that reaches its tick, at every distance") {
  using cokka::detail::TimerList;
  using cokka::detail::TimerWheel;
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 random(seed);
    const std::uint64_t start = random() % 100000;
    TimerWheel wheel(start);
    std::vector<std::unique_ptr<Probe>> probes;
    // Distances of every level: 1 tick to several days; some timers due at once.
    std::uniform_int_distribution<int> level(0, 5);
    for (int i = 0; i < 3000; ++i) {
      auto probe = std::make_unique<Probe>();
      const auto span = std::uint64_t{1} << (6 * level(random) + 6);
      probe->deadline = start + random() % span;
      wheel.insert(probe.get());
      probes.push_back(std::move(probe));
    }
    // A few removed again, as cancelled timers are.
    for (std::size_t i = 0; i < probes.size(); i += 7) wheel.remove(probes[i].get());
    CHECK(wheel.size() == probes.size() - (probes.size() + 6) / 7);

    std::uint64_t now = start;
    std::uniform_int_distribution<int> step_kind(0, 3);
    while (wheel.size() > 0) {
      const auto next = wheel.next_tick();
      REQUIRE(next.has_value());
      const auto earliest = std::min_element(probes.begin(), probes.end(), [](const auto& a, const auto& b) {
                              const bool a_waits = a->linked, b_waits = b->linked;
                              if (a_waits != b_waits) return a_waits;
                              return a->deadline < b->deadline;
                            })->get()->deadline;
      CHECK(*next <= std::max(earliest, wheel.base()));  // never sleeps past a deadline
      // Turns of every size: to the next tick with work, a little more, one tick, or a long jump.
      switch (step_kind(random)) {
        case 0: now = std::max(now, *next); break;
        case 1: now = std::max(now, *next) + random() % 100; break;
        case 2: now += 1; break;
        default: now = std::max(now, *next) + random() % (std::uint64_t{1} << (6 * level(random) + 6)); break;
      }
      TimerList due;
      wheel.advance(now, due);
      while (auto* node = due.pop_front()) {
        auto* probe = static_cast<Probe*>(node);
        CHECK_FALSE(probe->fired);
        probe->fired = true;
        probe->fired_at = now;
        CHECK(probe->deadline <= now);  // never early
      }
      // Never late: what is still waiting is not due yet.
      CHECK_FALSE(std::any_of(probes.begin(), probes.end(),
                              [now](const auto& probe) { return probe->linked && probe->deadline <= now; }));
    }
    for (std::size_t i = 0; i < probes.size(); ++i) CHECK(probes[i]->fired == (i % 7 != 0));
  }
}

TEST_CASE("the timing wheel clamps deadlines beyond its range and gives everything back when closed") {
  cokka::detail::TimerWheel wheel(5);
  Probe near, far;
  near.deadline = 10;
  far.deadline = ~std::uint64_t{0};
  wheel.insert(&near);
  wheel.insert(&far);
  CHECK(far.deadline == 5 + cokka::detail::TimerWheel::range - 1);
  CHECK(wheel.next_tick().value() <= 10);
  cokka::detail::TimerList all;
  wheel.take_all(all);
  CHECK(wheel.size() == 0);
  CHECK_FALSE(wheel.next_tick().has_value());
  int taken = 0;
  while (all.pop_front()) ++taken;
  CHECK(taken == 2);
}
