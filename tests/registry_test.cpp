// Registry of one System: lookups, broadcast, stop_all (design.md 9).
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <doctest/doctest.h>

using namespace std::chrono_literals;

//! [lookups]
namespace app {
struct Named : cokka::Actor<Named> {
  Named(test::Journal& journal, std::string name) : journal_(journal), name_(std::move(name)) {}
  virtual ~Named() = default;
  void on_receive(cokka::Message& msg) { journal_.add(name_ + " got " + msg.as<std::string>()); }
  void on_stop() { journal_.add("stop " + name_); }
  test::Journal& journal_;
  std::string name_;
};
struct Special : Named {
  using Named::Named;
};
struct Other : cokka::Actor<Other> {};
}  // namespace app

TEST_CASE("lookups by class, class name and urn") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto named = system.start<app::Named>(journal, "n");
  auto special = system.start<app::Special>(journal, "s");
  auto other = system.start<app::Other>();

  auto all = system.registry().get_all();
  REQUIRE(all.size() == 3);
  CHECK(all[0] == named);
  CHECK(all[1] == special);
  CHECK(all[2] == other);

  auto by_base = system.registry().get_by_class<app::Named>();
  CHECK(by_base.size() == 2);
  CHECK(system.registry().get_by_class<app::Special>().size() == 1);
  CHECK(system.registry().get_by_class_name("app::Named").size() == 1);
  CHECK(system.registry().get_by_class_name("app::Special").front() == special);
  CHECK(system.registry().get_by_class_name("Named").empty());
  CHECK(system.registry().get_by_urn(other.urn()) == std::optional<cokka::ActorRef<>>(other));
  CHECK_FALSE(system.registry().get_by_urn("urn:uuid:nope").has_value());

  all.clear();  // a snapshot: changing it changes nothing
  CHECK(system.registry().size() == 3);
}
//! [lookups]

//! [stop_all]
TEST_CASE("stop_all stops last started first and reports one bool per actor") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  system.start<app::Named>(journal, "1");
  system.start<app::Named>(journal, "2");
  system.start<app::Named>(journal, "3");
  CHECK(system.registry().stop_all() == std::vector<bool>{true, true, true});
  CHECK(journal.events() == std::vector<std::string>{"stop 3", "stop 2", "stop 1"});
  CHECK(system.registry().get_all().empty());
  CHECK(system.registry().stop_all().empty());
}
//! [stop_all]

//! [broadcast]
TEST_CASE("broadcast tells every actor, or only one class") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto n = system.start<app::Named>(journal, "n");
  auto s = system.start<app::Special>(journal, "s");
  system.registry().broadcast<app::Special>(std::string("only special"));
  system.registry().broadcast("app::Named", std::string("only named"));
  n.ask<void>(std::string("flush")).get(5s);
  s.ask<void>(std::string("flush")).get(5s);
  auto events = journal.events();
  CHECK(std::count(events.begin(), events.end(), "s got only special") == 1);
  CHECK(std::count(events.begin(), events.end(), "n got only special") == 0);
  CHECK(std::count(events.begin(), events.end(), "n got only named") == 1);
  CHECK(std::count(events.begin(), events.end(), "s got only named") == 0);
}
//! [broadcast]

TEST_CASE("manual register and unregister, repeating is harmless") {
  test::Journal journal;
  cokka::System system(cokka::threads{1});
  auto n = system.start<app::Named>(journal, "n");
  CHECK(system.registry().unregister_ref(n));
  CHECK_FALSE(system.registry().unregister_ref(n));
  CHECK(system.registry().get_all().empty());
  CHECK(system.registry().register_ref(n));
  CHECK_FALSE(system.registry().register_ref(n));
  CHECK(system.registry().size() == 1);
}
