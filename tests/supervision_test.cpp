// Death watch and supervision (issue 17, design.md section 14): exact counts of Terminated, watch records that
// never outlive either side, async_wait_stopped / wait_stopped, and restarts. Timeouts are hang guards.
#include "log_capture.hpp"
#include "support.hpp"

#include <cokka/cokka.hpp>
#include <cokka/testing.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

using test::eventually;

using test::what;

/// Fails a tell whose text is "fail"; answers asks with its incarnation's count of handled messages.
struct Target : cokka::Actor<Target> {
  int on_receive(cokka::Message& msg) {
    if (auto* text = msg.get_if<std::string>(); text && *text == "fail") throw std::runtime_error("told to fail");
    return ++handled_;
  }
  int handled_ = 0;
};

struct Watch {
  cokka::ActorRef<> target;
};
struct Unwatch {
  cokka::ActorRef<> target;
};

/// Watches on command; journals every Terminated (with its failure) and counts them.
struct Watcher : cokka::Actor<Watcher> {
  explicit Watcher(test::Journal& journal) : journal_(journal) {}
  bool on_receive(cokka::Message& msg) {
    if (auto* terminated = msg.get_if<cokka::Terminated>()) {
      ++terminated_;
      journal_.add("terminated " + what(terminated->failure));
      return true;
    }
    if (auto* watch = msg.get_if<Watch>()) {
      this->watch(watch->target);
      return true;
    }
    if (auto* unwatch = msg.get_if<Unwatch>()) return this->unwatch(unwatch->target);
    return false;
  }
  test::Journal& journal_;
  int terminated_ = 0;
};

}  // namespace

TEST_CASE("watch: exactly one Terminated per watch, null after a clean stop, the exception after a failure") {
  test::Journal journal;
  {
    cokka::System system(cokka::threads{2});
    auto watcher = system.start<Watcher>(journal);
    auto clean = system.start<Target>();
    auto failing = system.start<Target>();
    watcher.ask(Watch{clean}).get(5s);
    watcher.ask(Watch{clean}).get(5s);  // watching again changes nothing
    watcher.ask(Watch{failing}).get(5s);
    clean.stop();
    failing.tell(std::string("fail"));
    CHECK(eventually([&] { return journal.events().size() == 2; }));
    std::this_thread::sleep_for(20ms);
    auto events = journal.events();
    std::sort(events.begin(), events.end());
    CHECK(events == std::vector<std::string>{"terminated clean", "terminated told to fail"});
    CHECK(cokka::detail::live_watch_records() == 0);
  }
  CHECK(cokka::detail::live_watch_records() == 0);
}

TEST_CASE("watching an actor that is dead already delivers Terminated at once") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto watcher = system.start<Watcher>(journal);
  auto target = system.start<Target>();
  target.stop();
  watcher.ask(Watch{target}).get(5s);
  CHECK(eventually([&] { return journal.events().size() == 1; }));
  CHECK(journal.events().front() == "terminated clean");
}

namespace {

/// Watches on command; a Hold blocks its handler until released and then unwatches, so that a Terminated
/// can be made to wait in the mailbox behind it.
struct LateUnwatcher : cokka::Actor<LateUnwatcher> {
  struct Hold {
    cokka::ActorRef<> target;
    std::shared_future<void> release;
    std::shared_ptr<std::atomic<bool>> holding;
  };
  explicit LateUnwatcher(test::Journal& journal) : journal_(journal) {}
  void on_receive(cokka::Message& msg) {
    if (msg.is<cokka::Terminated>()) return journal_.add("terminated");
    if (auto* target = msg.get_if<cokka::ActorRef<>>()) return watch(*target);
    auto& hold = msg.as<Hold>();
    hold.holding->store(true);
    hold.release.wait();
    journal_.add(unwatch(hold.target) ? "unwatched" : "not watched");
  }
  test::Journal& journal_;
};

std::size_t mailbox_depth(cokka::System& system, std::string_view urn) {
  for (const auto& actor : cokka::debug::snapshot(system))
    if (actor.urn == urn) return actor.mailbox_depth;
  return 0;
}

}  // namespace

TEST_CASE("unwatch: the Terminated of the watch is not delivered, even when it was queued already") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto watcher = system.start<LateUnwatcher>(journal);
  for (int round = 0; round < 2; ++round) {
    auto target = system.start<Target>();
    watcher.ask<void>(cokka::ActorRef<>(target)).get(5s);
    std::promise<void> release;
    auto holding = std::make_shared<std::atomic<bool>>(false);
    watcher.tell(LateUnwatcher::Hold{target, release.get_future().share(), holding});
    REQUIRE(eventually([&] { return holding->load(); }));
    target.stop();  // the second io thread runs it while the watcher's handler holds the first
    CHECK(eventually([&] { return mailbox_depth(system, watcher.urn()) == 1; }));  // the Terminated waits
    release.set_value();
    watcher.ask<void>(cokka::ActorRef<>(system.start<Target>())).get(5s);  // a flush
  }
  std::this_thread::sleep_for(20ms);
  CHECK(journal.events() == std::vector<std::string>{"unwatched", "unwatched"});
}

TEST_CASE("10000 watched actors stopped, half of them failing: exactly 10000 Terminated with the right failure") {
  test::Journal journal;
  {
    cokka::System system(cokka::threads{2});
    auto watcher = system.start<Watcher>(journal);
    std::vector<cokka::ActorRef<Target>> targets;
    for (int i = 0; i < 10000; ++i) targets.push_back(system.start<Target>());
    for (auto& target : targets) watcher.tell(Watch{target});
    watcher.ask(Watch{targets.front()}).get(10s);  // every watch is in place
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (i % 2)
        targets[i].tell(std::string("fail"));
      else
        targets[i].stop_async();
    }
    CHECK(eventually([&] { return journal.events().size() >= 10000; }));
    std::this_thread::sleep_for(50ms);
    const auto events = journal.events();
    CHECK(events.size() == 10000);
    CHECK(std::count(events.begin(), events.end(), "terminated clean") == 5000);
    CHECK(std::count(events.begin(), events.end(), "terminated told to fail") == 5000);
    CHECK(cokka::detail::live_watch_records() == 0);
  }
  CHECK(cokka::detail::live_watch_records() == 0);
}

TEST_CASE("watch and unwatch race with stops from several threads: at most one Terminated each, no record left") {
  test::Journal journal;
  {
    cokka::System system(cokka::threads{2});
    std::vector<cokka::ActorRef<Watcher>> watchers;
    for (int i = 0; i < 4; ++i) watchers.push_back(system.start<Watcher>(journal));
    std::vector<cokka::ActorRef<Target>> targets;
    for (int i = 0; i < 400; ++i) targets.push_back(system.start<Target>());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (std::size_t i = static_cast<std::size_t>(t); i < targets.size(); i += 4) {
          for (auto& watcher : watchers) {
            watcher.tell(Watch{targets[i]});
            if (i % 3 == 0) watcher.tell(Unwatch{targets[i]});
          }
          if (i % 2) targets[i].stop_async();
          if (i % 5 == 0) watchers[i % watchers.size()].tell(Watch{targets[i]});
        }
      });
    for (auto& thread : threads) thread.join();
    for (auto& target : targets) target.stop();
    for (auto& watcher : watchers) watcher.ask(0).get(10s);
    // Each watcher watched each target at most once at a time: at most one Terminated per (watcher, target)
    // pair and watch; with unwatch before the stop for a third of them, fewer.
    CHECK(journal.events().size() <= watchers.size() * targets.size() + targets.size());
    for (auto& watcher : watchers) watcher.stop();
    CHECK(cokka::detail::live_watch_records() == 0);
  }
  CHECK(cokka::detail::live_watch_records() == 0);
}

TEST_CASE("a watcher that dies first leaves no record in the actors it watched") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto watcher = system.start<Watcher>(journal);
  auto target = system.start<Target>();
  watcher.ask(Watch{target}).get(5s);
  CHECK(cokka::detail::live_watch_records() == 1);
  CHECK(target.cell()->death_watchers().size() == 1);
  watcher.stop();
  CHECK(cokka::detail::live_watch_records() == 0);
  CHECK(target.cell()->death_watchers().size() == 0);
  target.stop();
  CHECK(journal.events().empty());
}

TEST_CASE("async_wait_stopped takes any token, gives the failure, and honours cancellation slots") {
  cokka::System system(cokka::threads{2});
  auto target = system.start<Target>();
  auto stopped = target.async_wait_stopped(asio::use_future);
  std::promise<std::error_code> cancelled;
  asio::cancellation_signal signal;
  target.async_wait_stopped(asio::bind_cancellation_slot(
      signal.slot(), [&](std::error_code error, std::exception_ptr) { cancelled.set_value(error); }));
  asio::post(system.context(), [&] { signal.emit(asio::cancellation_type::terminal); });
  CHECK(cancelled.get_future().get() == asio::error::operation_aborted);
  CHECK(target.cell()->death_watchers().size() == 1);  // the cancelled wait left nothing behind

  std::promise<std::string> awaited;
  auto awaiting = [&]() -> asio::awaitable<void> {
    auto failure = co_await target.async_wait_stopped(asio::use_awaitable);
    awaited.set_value(what(failure));
  };
  asio::co_spawn(system.context(), awaiting, asio::detached);
  target.tell(std::string("fail"));
  CHECK(what(stopped.get()) == "told to fail");
  CHECK(awaited.get_future().get() == "told to fail");
  // Ended already: at once.
  CHECK(what(target.async_wait_stopped(asio::use_future).get()) == "told to fail");
  CHECK(what(target.wait_stopped()) == "told to fail");
}

namespace {

struct Blocking : cokka::Actor<Blocking> {
  std::string on_receive(cokka::Message& msg) {
    try {
      msg.as<cokka::ActorRef<>>().wait_stopped();
    } catch (const cokka::BlockingCallInActor&) {
      return "refused";
    }
    return "waited";
  }
};

}  // namespace

TEST_CASE("wait_stopped blocks a plain thread (with a timeout), and is refused inside an actor") {
  cokka::System system(cokka::threads{2});
  auto target = system.start<Target>();
  CHECK_THROWS_AS(target.wait_stopped(20ms), cokka::Timeout);
  CHECK(target.cell()->death_watchers().size() == 0);  // the timed-out wait left nothing behind
  auto blocking = system.start<Blocking>();
  CHECK(blocking.ask<std::string>(cokka::ActorRef<>(target)).get(5s) == "refused");
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    target.stop();
  });
  CHECK(target.wait_stopped() == nullptr);
  stopper.join();
}

namespace {

/// Records its incarnations and hooks; fails on "fail" (a tell), or on its first start when told to.
struct Worker : cokka::Actor<Worker> {
  Worker(test::Journal& journal, std::shared_ptr<std::atomic<int>> incarnations)
      : journal_(journal), incarnation_(++*incarnations) {}
  void on_start() { journal_.add("start " + std::to_string(incarnation_)); }
  void on_stop() { journal_.add("stop " + std::to_string(incarnation_)); }
  void on_failure(std::exception_ptr error) { journal_.add("failure " + std::to_string(incarnation_) + ": " + what(error)); }
  std::string on_receive(cokka::Message& msg) {
    const auto text = msg.as<std::string>();
    if (text == "fail") throw std::runtime_error("fail " + std::to_string(incarnation_));
    seen_.push_back(text);
    journal_.add(std::to_string(incarnation_) + " " + text);
    return text + " by " + std::to_string(incarnation_) + " after " + std::to_string(seen_.size());
  }
  test::Journal& journal_;
  int incarnation_;
  std::vector<std::string> seen_;
};

cokka::ActorOptions restarting(int max_restarts, std::chrono::milliseconds backoff = 0ms) {
  return cokka::ActorOptions{.restart = cokka::RestartPolicy{.max_restarts = max_restarts, .within = 60s, .backoff_min = backoff}};
}

}  // namespace

TEST_CASE("a restart keeps the ref, the urn and the queued messages in order, drops the failing one, resets state") {
  test::Journal journal;
  test::LogCapture log(spdlog::level::warn);
  cokka::System system(cokka::threads{2});
  auto incarnations = std::make_shared<std::atomic<int>>(0);
  auto worker = system.start<Worker>(restarting(3), std::ref(journal), incarnations);
  const std::string urn(worker.urn());
  worker.ask<std::string>(std::string("a")).get(5s);
  worker.tell(std::string("fail"));
  std::vector<cokka::Future<std::string>> after;
  for (const char* text : {"b", "c", "d"}) after.push_back(worker.ask<std::string>(std::string(text)));
  CHECK(cokka::get_all(after, 5s) == std::vector<std::string>{"b by 2 after 1", "c by 2 after 2", "d by 2 after 3"});
  CHECK(worker.is_alive());
  CHECK(worker.urn() == urn);
  CHECK(system.registry().get_by_urn(urn).has_value());
  CHECK(journal.events() == std::vector<std::string>{"start 1", "1 a", "failure 1: fail 1", "start 2", "2 b", "2 c", "2 d"});
  CHECK(log.count(spdlog::level::warn, "restarts (1 of 3") == 1);
}

TEST_CASE("past its restart limit the actor stops for good with the last failure - only then do watchers hear") {
  test::Journal journal, watched;
  test::LogCapture log(spdlog::level::warn);
  cokka::System system(cokka::threads{2});
  auto watcher = system.start<Watcher>(watched);
  auto worker = system.start<Worker>(restarting(2), std::ref(journal), std::make_shared<std::atomic<int>>(0));
  watcher.ask(Watch{worker}).get(5s);
  worker.tell(std::string("fail"));
  worker.ask<std::string>(std::string("x")).get(5s);
  worker.tell(std::string("fail"));
  worker.ask<std::string>(std::string("y")).get(5s);
  CHECK(watched.events().empty());  // restarts are not deaths
  worker.tell(std::string("fail"));
  CHECK(what(worker.wait_stopped(5s)) == "fail 3");
  CHECK(eventually([&] { return watched.events().size() == 1; }));
  CHECK(watched.events() == std::vector<std::string>{"terminated fail 3"});
  CHECK(log.count(spdlog::level::err, "gives up after 2 restarts") == 1);
  CHECK(journal.events().back() == "failure 3: fail 3");
  CHECK_THROWS_AS(worker.tell(std::string("z")), cokka::ActorDeadError);
}

TEST_CASE("a restart waits for its backoff - messages sent meanwhile wait with it") {
  test::Journal journal;
  cokka::testing::TestSystem system;
  auto worker = system.start<Worker>(restarting(5, 60ms), std::ref(journal), std::make_shared<std::atomic<int>>(0));
  worker.tell(std::string("fail"));
  auto after = worker.ask<std::string>(std::string("after"));
  system.advance(59ms);
  CHECK_FALSE(after.ready());
  CHECK(journal.events() == std::vector<std::string>{"start 1", "failure 1: fail 1"});
  CHECK(after.get() == "after by 2 after 1");  // drives the system: the clock moves to the backoff's end
  CHECK(system.now() >= cokka::Clock::time_point(60ms));
}

TEST_CASE("an ask's failure restarts the actor only with restart_on_ask_failure - the asker gets it either way") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  struct Asked : cokka::Actor<Asked> {
    explicit Asked(std::shared_ptr<std::atomic<int>> incarnations) : incarnation_(++*incarnations) {}
    int on_receive(cokka::Message& msg) {
      if (msg.is<std::string>()) throw std::logic_error("ask failed");
      return incarnation_;
    }
    int incarnation_;
  };
  auto plain = system.start<Asked>(restarting(3), std::make_shared<std::atomic<int>>(0));
  CHECK_THROWS_AS(plain.ask<int>(std::string("x")).get(5s), std::logic_error);
  CHECK(plain.ask<int>(0).get(5s) == 1);
  auto options = restarting(3);
  options.restart->restart_on_ask_failure = true;
  auto strict = system.start<Asked>(options, std::make_shared<std::atomic<int>>(0));
  CHECK_THROWS_AS(strict.ask<int>(std::string("x")).get(5s), std::logic_error);
  CHECK(strict.ask<int>(0).get(5s) == 2);
}

namespace {

/// Its restarted incarnations fail in on_start until the third.
struct Stubborn : cokka::Actor<Stubborn> {
  explicit Stubborn(std::shared_ptr<std::atomic<int>> incarnations) : incarnation_(++*incarnations) {}
  void on_start() {
    if (incarnation_ == 2) throw std::runtime_error("second start");
  }
  int on_receive(cokka::Message& msg) {
    if (msg.is<std::string>()) throw std::runtime_error("fail");
    return incarnation_;
  }
  int incarnation_;
};

/// Starts a periodic timer and a detached child on its executor: both end with its incarnation.
struct Busy : cokka::Actor<Busy> {
  Busy(test::Journal& journal, std::shared_ptr<std::atomic<int>> incarnations)
      : journal_(journal), incarnation_(++*incarnations) {}
  enum class Key { tick };
  struct Tick {};
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    if (msg.is<Tick>()) {
      journal_.add("tick " + std::to_string(incarnation_));
      co_return 0;
    }
    if (msg.is<std::string>()) {
      timers().start_periodic(Key::tick, Tick{}, 5ms);
      auto executor = co_await asio::this_coro::executor;
      asio::co_spawn(executor, child(journal_, incarnation_), asio::detached);
      asio::steady_timer pause(executor, 1ms);
      co_await pause.async_wait(asio::use_awaitable);  // suspended in the handler, then it fails
      throw std::runtime_error("fail after a co_await");
    }
    co_return incarnation_;
  }
  static asio::awaitable<void> child(test::Journal& journal, int incarnation) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 30ms);
    co_await timer.async_wait(asio::use_awaitable);
    journal.add("child of " + std::to_string(incarnation) + " resumed");
  }
  test::Journal& journal_;
  int incarnation_;
};

}  // namespace

TEST_CASE("a restarted incarnation failing in on_start counts as one more failure") {
  cokka::System system(cokka::threads{2});
  auto actor = system.start<Stubborn>(restarting(3), std::make_shared<std::atomic<int>>(0));
  actor.tell(std::string("fail"));
  CHECK(actor.ask<int>(0).get(5s) == 3);
}

TEST_CASE("a coroutine handler failing after a co_await restarts the actor - its timers and children end") {
  test::Journal journal;
  cokka::System system(cokka::threads{2});
  auto busy = system.start<Busy>(restarting(3), std::ref(journal), std::make_shared<std::atomic<int>>(0));
  busy.tell(std::string("go"));
  CHECK(busy.ask<int>(0).get(5s) == 2);
  const auto at_restart = journal.events().size();
  std::this_thread::sleep_for(60ms);  // the old timer's period and the child's timer passed
  const auto events = journal.events();
  CHECK(events.size() == at_restart);
  CHECK(std::find(events.begin(), events.end(), "child of 1 resumed") == events.end());
}

TEST_CASE("start options: a name is unique among the live actors, and free again once its actor stopped") {
  cokka::System system(cokka::threads{2});
  auto named = system.start<Target>(cokka::ActorOptions{.name = "front"});
  CHECK(system.registry().get_by_name("front") == cokka::ActorRef<>(named));
  CHECK_THROWS_WITH_AS(system.start<Target>(cokka::ActorOptions{.name = "front"}), doctest::Contains("front"),
                       cokka::InvalidState);
  named.stop();
  CHECK_FALSE(system.registry().get_by_name("front").has_value());
  auto again = system.start<Target>(cokka::ActorOptions{.name = "front"});  // free again
  CHECK(system.registry().get_by_name("front") == cokka::ActorRef<>(again));

}

TEST_CASE("~System during a restart's backoff ends the actor at once, with its last failure") {
  test::Journal journal;
  std::exception_ptr ended;
  const auto begun = std::chrono::steady_clock::now();
  {
    cokka::System system(cokka::threads{2});
    auto worker = system.start<Worker>(restarting(5, 10000ms), std::ref(journal), std::make_shared<std::atomic<int>>(0));
    worker.tell(std::string("fail"));
    CHECK(eventually([&] { return journal.events().size() == 2; }));  // start 1, failure 1
  }
  CHECK(std::chrono::steady_clock::now() - begun < 5s);  // not the 10 s backoff
  CHECK(journal.events() == std::vector<std::string>{"start 1", "failure 1: fail 1"});
}
