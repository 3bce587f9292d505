// Registry of one System: lookups, broadcast, stop_all (design.md 9).
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>

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

namespace app {
/// An interface that is not an actor: get_by_class finds actors through any base.
struct Greets {
  virtual ~Greets() = default;
};
struct Greeter : cokka::Actor<Greeter>, Greets {};
template <class T>
struct Box : cokka::Actor<Box<T>> {};

/// Records, on its own strand, whether the registry lists it during each hook.
struct Witness : cokka::Actor<Witness> {
  Witness(test::Journal& journal, bool fail) : journal_(journal), fail_(fail) {}
  void on_start() { note("on_start"); }
  void on_receive(cokka::Message&) {
    if (fail_) throw std::runtime_error("told to fail");
  }
  void on_stop() { note("on_stop"); }
  void on_failure(std::exception_ptr) { note("on_failure"); }
  void note(const std::string& hook) {
    const bool listed = system().registry().get_by_urn(urn()).has_value();
    journal_.add(hook + (listed ? " registered" : " unregistered"));
  }
  test::Journal& journal_;
  bool fail_;
};

/// Its on_stop waits for a gate.
struct SlowStop : cokka::Actor<SlowStop> {
  explicit SlowStop(test::Gate& gate) : gate_(gate) {}
  void on_stop() { gate_.wait(); }
  test::Gate& gate_;
};

/// Copying it the first time stops `victim`: the broadcast finds the victim alive, then its send finds it dead.
struct Killer {
  Killer(cokka::ActorRef<> victim, std::shared_ptr<std::atomic<int>> copies)
      : victim(std::move(victim)), copies(std::move(copies)) {}
  Killer(const Killer& other) : victim(other.victim), copies(other.copies) {
    if (copies->fetch_add(1) == 0) victim.stop();
  }
  cokka::ActorRef<> victim;
  std::shared_ptr<std::atomic<int>> copies;
};

struct Counter : cokka::Actor<Counter> {
  explicit Counter(std::atomic<int>& received) : received_(received) {}
  void on_receive(cokka::Message&) { ++received_; }
  std::atomic<int>& received_;
};
}  // namespace app

TEST_CASE("get_by_class finds subclasses and non-actor bases, get_by_class_name spells templates in full") {
  cokka::System system(cokka::threads{1});
  auto greeter = system.start<app::Greeter>();
  auto box = system.start<app::Box<int>>();
  CHECK(system.registry().get_by_class<app::Greets>() == std::vector<cokka::ActorRef<>>{greeter});
  CHECK(system.registry().get_by_class<cokka::Actor<app::Box<int>>>() == std::vector<cokka::ActorRef<>>{box});
  CHECK(system.registry().get_by_class_name("app::Box<int>") == std::vector<cokka::ActorRef<>>{box});
  CHECK(system.registry().get_by_class_name("app::Box").empty());
  CHECK(system.registry().get_by_class_name("app::Greets").empty());
  CHECK(system.registry().get_by_class<app::Named>().empty());
}

TEST_CASE("two systems never see each other's actors") {
  test::Journal journal;
  cokka::System one(cokka::threads{1});
  cokka::System two(cokka::threads{1});
  auto a = one.start<app::Named>(journal, "a");
  auto b = two.start<app::Named>(journal, "b");
  CHECK(one.registry().get_all() == std::vector<cokka::ActorRef<>>{a});
  CHECK(two.registry().get_all() == std::vector<cokka::ActorRef<>>{b});
  CHECK_FALSE(one.registry().get_by_urn(b.urn()));
}

TEST_CASE("registered before on_start runs, unregistered before on_stop and on_failure run") {
  test::Journal journal;
  test::Journal failing_journal;
  cokka::System system(cokka::threads{2});
  auto stopped = system.start<app::Witness>(journal, false);
  CHECK(stopped.stop());
  CHECK(journal.events() == std::vector<std::string>{"on_start registered", "on_stop unregistered"});

  auto failing = system.start<app::Witness>(failing_journal, true);
  failing.tell(1);
  failing.stop_async().get(10s);
  CHECK(failing_journal.events() == std::vector<std::string>{"on_start registered", "on_failure unregistered"});
  CHECK(system.registry().get_all().empty());
}

TEST_CASE("broadcast skips an actor that died between the lookup and its send") {
  cokka::System system(cokka::threads{2});
  std::atomic<int> received{0};
  auto first = system.start<app::Counter>(received);
  auto victim = system.start<app::Counter>(received);
  auto last = system.start<app::Counter>(received);
  auto copies = std::make_shared<std::atomic<int>>(0);
  CHECK_NOTHROW(system.registry().broadcast(app::Killer(victim, copies)));
  CHECK_FALSE(victim.is_alive());
  first.ask<void>(0).get(10s);  // flush: each got the broadcast first
  last.ask<void>(0).get(10s);
  CHECK(received == 2 + 2);
  CHECK(*copies == 3);  // the victim's copy was made, then dropped with the refused envelope
}

TEST_CASE("broadcast to a class includes subclasses, to a class name only that exact type") {
  test::Journal journal;
  std::atomic<int> received{0};
  cokka::System system(cokka::threads{2});
  auto n = system.start<app::Named>(journal, "n");
  auto s = system.start<app::Special>(journal, "s");
  auto counter = system.start<app::Counter>(received);
  system.registry().broadcast<app::Named>(std::string("named or special"));
  system.registry().broadcast(std::string("everyone"));
  n.ask<void>(std::string("flush")).get(10s);
  s.ask<void>(std::string("flush")).get(10s);
  counter.ask<void>(0).get(10s);
  auto events = journal.events();
  CHECK(std::count(events.begin(), events.end(), "n got named or special") == 1);
  CHECK(std::count(events.begin(), events.end(), "s got named or special") == 1);
  CHECK(std::count(events.begin(), events.end(), "n got everyone") == 1);
  CHECK(std::count(events.begin(), events.end(), "s got everyone") == 1);
  CHECK(received == 1 + 1);  // "everyone", then the flush
  CHECK_NOTHROW(system.registry().broadcast("app::Nobody", 1));
}

TEST_CASE("stop_all(timeout) shares one deadline and says how many actors are left") {
  test::Journal journal;
  test::Gate gate;
  cokka::System system(cokka::threads{2});
  auto early = system.start<app::Named>(journal, "early");
  auto slow = system.start<app::SlowStop>(gate);  // stopped first; its on_stop waits until the gate opens
  try {
    system.registry().stop_all(50ms);
    FAIL("stop_all did not time out");
  } catch (const cokka::Timeout& e) {
    CHECK(std::string(e.what()) == "cokka::Registry::stop_all: 2 of 2 actors not stopped within 50 ms (" +
                                       to_string(slow) + " was still stopping)");
  }
  CHECK(early.is_alive());  // not asked yet
  CHECK_FALSE(system.registry().get_by_urn(slow.urn()));
  gate.open();
  CHECK(system.registry().stop_all(10s) == std::vector<bool>{true});
  CHECK(journal.events() == std::vector<std::string>{"stop early"});
}

TEST_CASE("stop_all_async returns one future per actor, last started first") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto one = system.start<app::Named>(journal, "1");
  auto two = system.start<app::Named>(journal, "2");
  auto stops = system.registry().stop_all_async();
  REQUIRE(stops.size() == 2);
  CHECK(stops[0].get(10s));
  CHECK(stops[1].get(10s));
  CHECK_FALSE(one.is_alive());
  CHECK_FALSE(two.is_alive());
  CHECK(system.registry().stop_all_async().empty());
}

TEST_CASE("concurrent starts, stops, lookups, broadcasts and manual registration") {
  std::atomic<int> received{0};
  cokka::System system(cokka::threads{2});
  std::atomic<bool> done{false};
  auto& registry = system.registry();
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto actor = system.start<app::Counter>(received);
        if (i % 3 == 0) actor.stop_async();
        if (i % 3 == 1) actor.stop();
      }
    });
  threads.emplace_back([&] {
    while (!done) {
      for (auto& ref : registry.get_all()) (void)registry.get_by_urn(ref.urn());
      (void)registry.get_by_class<app::Counter>();
      (void)registry.get_by_class_name("app::Counter");
      (void)registry.size();
      registry.broadcast(1);
    }
  });
  threads.emplace_back([&] {
    while (!done)
      for (auto& ref : registry.get_all())
        if (registry.unregister_ref(ref)) registry.register_ref(ref);
  });
  threads[0].join();
  threads[1].join();
  done = true;
  for (std::size_t t = 2; t < threads.size(); ++t) threads[t].join();
  registry.stop_all();
  CHECK(registry.size() == 0);
  CHECK(registry.get_all().empty());
}
