// testing: unit tests for an actor, with doctest. The actor under test reaches its collaborator through an
// ActorRef<>, so a test can hand it a fake actor that records what it is told. Tells return at once, so
// before looking at the results a test flushes the mailboxes with an ask: its reply comes only after
// everything sent earlier has been handled. (Run with --success to see every check.)
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cokka/cokka.hpp>

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

// ---- The test double. ----

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
