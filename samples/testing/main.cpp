// testing: unit tests for an actor, with doctest, in two styles.
// 1. cokka::testing::TestSystem (the test kit): the actors run on the test thread only when the test drives
//    them, under a virtual clock; a probe stands in for the heater and records what it is told. No sleeps, no
//    timeouts, a day of virtual time in no time, and one seeded interleaving at a time.
// 2. A plain cokka::System: the actor under test reaches its collaborator through an ActorRef<>, so a test can
//    hand it a fake actor that records what it is told. Tells return at once, so before looking at the results
//    a test flushes the mailboxes with an ask: its reply comes only after everything sent earlier was handled.
// (Run with --success to see every check.)
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cokka/cokka.hpp>
#include <cokka/testing.hpp>

#include <chrono>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

// ---- The code under test: a thermostat that switches a heater. ----

struct Reading {  // told by a sensor
  double celsius;
};
struct IsHeating {};  // asked by anyone
struct SwitchOn {};   // told to the heater
struct SwitchOff {};

struct Thermostat : cokka::Actor<Thermostat> {
  Thermostat(cokka::ActorRef<> heater, double target) : heater_(std::move(heater)), target_(target) {}

  bool on_receive(cokka::Message& msg) {
    if (const auto* reading = msg.get_if<Reading>()) {
      if (std::isnan(reading->celsius)) throw std::invalid_argument("Thermostat: the sensor sent NaN");
      const bool too_cold = reading->celsius < target_;
      if (too_cold != heating_) {  // the heater hears about changes only
        heating_ = too_cold;
        if (heating_)
          heater_.tell(SwitchOn{});
        else
          heater_.tell(SwitchOff{});
      }
    }
    return heating_;  // the reply to IsHeating
  }

  // A handler that threw on a tell stops the thermostat; leave the heater off rather than on forever.
  void on_failure(std::exception_ptr) { heater_.tell(SwitchOff{}); }

  cokka::ActorRef<> heater_;  // any actor that understands SwitchOn and SwitchOff
  double target_;
  bool heating_ = false;
};

// A watchdog for the thermostat: a sensor silent for 10 minutes is reported to the alarm actor.
struct Alive {};
struct SensorSilent {
  std::chrono::minutes for_;
};
struct Watchdog : cokka::Actor<Watchdog> {
  explicit Watchdog(cokka::ActorRef<> alarm) : alarm_(std::move(alarm)) {}
  enum class Key { silence };
  void on_start() { timers().start_single(Key::silence, SensorSilent{10min}, 10min); }
  void on_receive(cokka::Message& msg) {
    if (msg.is<Alive>()) timers().start_single(Key::silence, SensorSilent{10min}, 10min);  // replaces the old one
    if (msg.is<SensorSilent>()) alarm_.tell(msg.as<SensorSilent>());
  }
  cokka::ActorRef<> alarm_;
};

// ---- Style 1: the test kit. ----

TEST_CASE("kit: the thermostat switches the heater on when too cold") {
  cokka::testing::TestSystem sys;  // no threads: nothing runs until the test drives it
  auto heater = sys.probe();       // records what it is told
  auto thermostat = sys.start<Thermostat>(heater.ref(), 20.0);
  thermostat.tell(Reading{18.5});
  heater.expect<SwitchOn>();       // runs the system until idle, then takes the oldest message
  thermostat.tell(Reading{19.0});
  heater.expect_nothing();         // changes only
  CHECK(thermostat.ask<bool>(IsHeating{}).get());  // a blocking get drives the system
}

TEST_CASE("kit: the watchdog reports a silent sensor after 10 minutes of virtual time") {
  cokka::testing::TestSystem sys;
  auto alarm = sys.probe();
  auto watchdog = sys.start<Watchdog>(alarm.ref());
  sys.advance(9min);
  watchdog.tell(Alive{});  // the sensor spoke: 10 more minutes
  sys.advance(9min);
  alarm.expect_nothing();
  sys.advance(1min);
  CHECK(alarm.expect<SensorSilent>().for_ == 10min);
  CHECK(sys.now() == cokka::Clock::time_point(19min));
}

TEST_CASE("kit: the heater hears the last word whatever the interleaving of two sensors") {
  // Two sensors report at once; every seed is one interleaving of their messages. run_seeds returns the first
  // seed that breaks the scenario (replay it with TestSystem sys(cokka::testing::Seed{n})).
  auto scenario = [](cokka::testing::TestSystem& sys) {
    auto heater = sys.probe();
    auto thermostat = sys.start<Thermostat>(heater.ref(), 20.0);
    auto watchdog = sys.start<Watchdog>(heater.ref());  // another actor, to interleave with
    thermostat.tell(Reading{18.0});
    watchdog.tell(Alive{});
    thermostat.tell(Reading{22.0});
    if (thermostat.ask<bool>(IsHeating{}).get()) throw std::logic_error("heating after 22 degrees");
  };
  CHECK_FALSE(cokka::testing::run_seeds(scenario, 100).has_value());
}

// ---- Style 2: a plain System with a hand-written fake. ----

struct Commands {};

// Stands in for the real heater: records what it is told and answers an ask with the record.
struct FakeHeater : cokka::Actor<FakeHeater> {
  std::vector<std::string> on_receive(cokka::Message& msg) {
    if (msg.is<SwitchOn>()) commands_.push_back("on");
    if (msg.is<SwitchOff>()) commands_.push_back("off");
    return commands_;  // the reply to Commands (a tell's reply goes nowhere)
  }
  std::vector<std::string> commands_;
};

// Every test case gets its own system, so no actor outlives the case it belongs to.
struct ThermostatTest {
  cokka::System system{cokka::threads{2}};
  cokka::ActorRef<FakeHeater> heater = system.start<FakeHeater>();
  cokka::ActorRef<Thermostat> thermostat = system.start<Thermostat>(heater, 20.0);

  // The ask waits until the thermostat has handled every message sent before it. Whatever it told the
  // heater meanwhile is then in the heater's mailbox, ahead of the next ask there. The timeouts only turn
  // a hang into a failure; nothing here is timed.
  bool heating() { return thermostat.ask<bool>(IsHeating{}).get(5s); }
  std::vector<std::string> heater_commands() { return heater.ask<std::vector<std::string>>(Commands{}).get(5s); }
};

TEST_CASE_FIXTURE(ThermostatTest, "switches the heater on when too cold and off when warm again") {
  thermostat.tell(Reading{18.5});
  CHECK(heating());
  CHECK(heater_commands() == std::vector<std::string>{"on"});

  thermostat.tell(Reading{21.0});
  CHECK_FALSE(heating());
  CHECK(heater_commands() == std::vector<std::string>{"on", "off"});
}

TEST_CASE_FIXTURE(ThermostatTest, "tells the heater about changes only") {
  for (double celsius : {18.0, 17.0, 19.5}) thermostat.tell(Reading{celsius});
  CHECK(heating());
  CHECK(heater_commands() == std::vector<std::string>{"on"});
}

TEST_CASE_FIXTURE(ThermostatTest, "a broken sensor stops the thermostat and the heater is left off") {
  thermostat.tell(Reading{18.0});
  thermostat.tell(Reading{std::nan("")});  // cokka logs this failure at error level: expected here
  // The failed tell stopped the actor, so this ask fails (it does not hang).
  CHECK_THROWS_AS(heating(), cokka::ActorDeadError);
  CHECK_FALSE(thermostat.is_alive());
  CHECK(heater_commands() == std::vector<std::string>{"on", "off"});  // on_failure ran before the ask failed
}
