// Interceptors and the tracing context (design.md 17): every user message seen as it is sent and around its
// handling, the headers of the message being handled copied into each tell, ask and proxy call the handler
// makes, across co_await; a W3C traceparent flowing through a chain of three actors.
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace tracing {

/// Writes what it sees, tagged with its name, into a shared journal.
class Journal final : public cokka::Interceptor {
public:
  Journal(std::string name, std::mutex& mutex, std::vector<std::string>& lines)
      : name_(std::move(name)), mutex_(mutex), lines_(lines) {}

  void on_send(const cokka::MessageInfo& message, cokka::Headers& headers) noexcept override {
    headers.set("seen-by", headers.find("seen-by") ? *headers.find("seen-by") + "," + name_ : name_);
    write("send", message, headers);
  }
  void on_handle(const cokka::MessageInfo& message, const cokka::Headers& headers) noexcept override {
    write("handle", message, headers);
  }
  void on_handled(const cokka::MessageInfo& message, const cokka::Headers& headers,
                  const std::exception_ptr& failure) noexcept override {
    write(failure ? "failed(" + test::what(failure) + ")" : "handled", message, headers);
  }

private:
  void write(const std::string& what, const cokka::MessageInfo& message, const cokka::Headers& headers) {
    std::lock_guard lock(mutex_);
    lines_.push_back(name_ + " " + what + " " + std::string(message.message) + (message.ask ? " ask" : " tell") +
                     " to " + std::string(message.actor_type) + " [" + *headers.find("seen-by") + "]");
  }

  std::string name_;
  std::mutex& mutex_;
  std::vector<std::string>& lines_;
};

struct Fail {};

struct Echo : cokka::Actor<Echo> {
  int on_receive(cokka::Message& msg) {
    if (msg.is<Fail>()) throw std::runtime_error("no");
    return msg.as<int>();
  }
};

/// A test propagator of W3C trace context: each send is a new span, the child of the sender's span (a new trace
/// outside any handler). Remembers each span's parent.
//! [propagator]
class TraceContext final : public cokka::Interceptor {
public:
  void on_send(const cokka::MessageInfo&, cokka::Headers& headers) noexcept override {
    std::lock_guard lock(mutex_);
    const std::string* parent = headers.find("traceparent");  // the sender's span, if it handles a message
    const std::string trace = parent ? parent->substr(3, 32) : hex(32);
    const std::string span = hex(16);
    parents_[span] = parent ? parent->substr(36, 16) : "";
    headers.set("traceparent", "00-" + trace + "-" + span + "-01");
  }
  //! [propagator]

  /// The parent span of `span` ("" for a root).
  std::string parent_of(const std::string& span) {
    std::lock_guard lock(mutex_);
    return parents_.at(span);
  }

private:
  std::string hex(std::size_t digits) {
    std::string text;
    while (text.size() < digits) text += "0123456789abcdef"[random_() % 16];
    return text;
  }

  std::mutex mutex_;
  std::mt19937 random_{std::random_device{}()};
  std::map<std::string, std::string> parents_;
};

/// The traceparent each actor saw, by actor.
struct Seen {
  std::mutex mutex;
  std::map<std::string, std::string> traceparent;

  void note(const std::string& who) {
    //! [current]
    const std::string* header = cokka::current_headers().find("traceparent");  // null: none
    //! [current]
    std::lock_guard lock(mutex);
    traceparent[who] = header ? *header : "(none)";
  }
};

struct Back : cokka::Actor<Back> {
  explicit Back(Seen& seen) : seen_(seen) {}
  int depth() {
    seen_.note("back");
    return 3;
  }
  Seen& seen_;
};

COKKA_REFLECT(Back, methods(depth));

/// Asks Back through its proxy.
struct Middle : cokka::Actor<Middle> {
  Middle(Seen& seen, cokka::ActorRef<Back> back) : seen_(seen), back_(std::move(back)) {}
  asio::awaitable<int> on_receive(cokka::Message&) {
    seen_.note("middle");
    auto depth = back_.proxy().depth();
    co_return co_await depth.async_wait(asio::use_awaitable);
  }
  Seen& seen_;
  cokka::ActorRef<Back> back_;
};

/// Hops off and back onto its strand, then asks Middle.
struct Front : cokka::Actor<Front> {
  Front(Seen& seen, cokka::ActorRef<Middle> middle) : seen_(seen), middle_(std::move(middle)) {}
  asio::awaitable<int> on_receive(cokka::Message&) {
    seen_.note("front");
    auto executor = co_await asio::this_coro::executor;
    co_await asio::post(executor, asio::use_awaitable);
    seen_.note("front after co_await");
    auto depth = middle_.ask<int>(std::string("how deep?"));
    co_return co_await depth.async_wait(asio::use_awaitable);
  }
  Seen& seen_;
  cokka::ActorRef<Middle> middle_;
};

/// Its handler sleeps for an hour.
struct Sleeper : cokka::Actor<Sleeper> {
  asio::awaitable<int> on_receive(cokka::Message&) {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
    co_await timer.async_wait(asio::use_awaitable);
    co_return 0;
  }
};

/// Tells Echo what it is told, from its handler, and remembers the headers it handled with.
struct Forwarder : cokka::Actor<Forwarder> {
  explicit Forwarder(cokka::ActorRef<Echo> echo) : echo_(std::move(echo)) {}
  void on_receive(cokka::Message& msg) { echo_.tell(msg.as<int>()); }
  cokka::ActorRef<Echo> echo_;
};

}  // namespace tracing

TEST_CASE("interceptors see each user message: on_send in order as it is sent, on_handle and on_handled around its handler") {
  std::mutex mutex;
  std::vector<std::string> lines;
  cokka::System system(cokka::threads{2});
  system.add_interceptor(std::make_shared<tracing::Journal>("A", mutex, lines));
  system.add_interceptor(std::make_shared<tracing::Journal>("B", mutex, lines));
  auto echo = system.start<tracing::Echo>();
  CHECK(echo.ask<int>(7).get(5s) == 7);
  CHECK_THROWS_WITH_AS(echo.ask<int>(tracing::Fail{}).get(5s), "no", std::runtime_error);
  echo.stop_async().get(5s);  // no stop, start or on_failure shows: only the two asks
  const std::vector<std::string> expected{
      "A send int ask to tracing::Echo [A]",
      "B send int ask to tracing::Echo [A,B]",
      "A handle int ask to tracing::Echo [A,B]",
      "B handle int ask to tracing::Echo [A,B]",
      "B handled int ask to tracing::Echo [A,B]",
      "A handled int ask to tracing::Echo [A,B]",
      "A send tracing::Fail ask to tracing::Echo [A]",
      "B send tracing::Fail ask to tracing::Echo [A,B]",
      "A handle tracing::Fail ask to tracing::Echo [A,B]",
      "B handle tracing::Fail ask to tracing::Echo [A,B]",
      "B failed(no) tracing::Fail ask to tracing::Echo [A,B]",
      "A failed(no) tracing::Fail ask to tracing::Echo [A,B]",
  };
  std::lock_guard lock(mutex);
  CHECK(lines == expected);
}

TEST_CASE("a handler's tells carry the headers of the message it handles, the interceptors add to them") {
  std::mutex mutex;
  std::vector<std::string> lines;
  cokka::System system(cokka::threads{2});
  system.add_interceptor(std::make_shared<tracing::Journal>("A", mutex, lines));
  auto echo = system.start<tracing::Echo>();
  auto forwarder = system.start<tracing::Forwarder>(echo);
  forwarder.tell(5);
  REQUIRE(test::eventually([&] {
    std::lock_guard lock(mutex);
    return lines.size() == 6;
  }));
  std::lock_guard lock(mutex);
  // The forwarded tell starts from the forwarder's context ([A]) and A adds itself again.
  CHECK(std::count(lines.begin(), lines.end(), "A send int tell to tracing::Echo [A,A]") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "A handled int tell to tracing::Echo [A,A]") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "A handled int tell to tracing::Forwarder [A]") == 1);
}

TEST_CASE("a W3C traceparent flows through an ask, a coroutine hop and a proxy call, each hop a child span") {
  tracing::Seen seen;
  //! [install]
  auto trace = std::make_shared<tracing::TraceContext>();
  cokka::System system(cokka::threads{2});
  system.add_interceptor(trace);  // before the first start
  //! [install]
  auto back = system.start<tracing::Back>(std::ref(seen));
  auto middle = system.start<tracing::Middle>(std::ref(seen), back);
  auto front = system.start<tracing::Front>(std::ref(seen), middle);
  CHECK(front.ask<int>(std::string("go")).get(5s) == 3);
  CHECK(cokka::current_headers().empty());  // the test thread handles no message

  std::lock_guard lock(seen.mutex);
  REQUIRE(seen.traceparent.size() == 4);
  const std::regex w3c("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
  for (const auto& [who, header] : seen.traceparent) {
    CAPTURE(who);
    REQUIRE(std::regex_match(header, w3c));
    CHECK(header.substr(3, 32) == seen.traceparent["front"].substr(3, 32));  // one trace
  }
  auto span = [&](const char* who) { return seen.traceparent[who].substr(36, 16); };
  CHECK(seen.traceparent["front after co_await"] == seen.traceparent["front"]);  // kept across co_await
  CHECK(trace->parent_of(span("front")).empty());                               // the test thread began it
  CHECK(trace->parent_of(span("middle")) == span("front"));
  CHECK(trace->parent_of(span("back")) == span("middle"));  // through the proxy call
  CHECK(span("middle") != span("front"));
  CHECK(span("back") != span("middle"));
}

TEST_CASE("add_interceptor refuses a null one and any after the first start, and without one there are no headers") {
  cokka::System system(cokka::threads{1});
  CHECK_THROWS_WITH_AS(system.add_interceptor(nullptr), doctest::Contains("null"), cokka::InvalidState);
  tracing::Seen seen;
  auto back = system.start<tracing::Back>(std::ref(seen));
  CHECK_THROWS_WITH_AS(system.add_interceptor(std::make_shared<tracing::TraceContext>()),
                       doctest::Contains("before the first start"), cokka::InvalidState);
  CHECK(back.proxy().depth().get(5s) == 3);
  std::lock_guard lock(seen.mutex);
  CHECK(seen.traceparent["back"] == "(none)");
}

TEST_CASE("on_handled ends the handling of a coroutine handler the shutdown ends, with the shutdown's error") {
  std::mutex mutex;
  std::vector<std::string> lines;
  auto began = [&] {
    std::lock_guard lock(mutex);
    return std::find(lines.begin(), lines.end(), "A handle int ask to tracing::Sleeper [A]") != lines.end();
  };
  std::optional<cokka::Future<int>> reply;
  {
    cokka::System system(cokka::threads{2});
    system.add_interceptor(std::make_shared<tracing::Journal>("A", mutex, lines));
    reply = system.start<tracing::Sleeper>().ask<int>(1);
    REQUIRE(test::eventually(began));
  }
  CHECK_THROWS_AS(reply->get(5s), cokka::ActorDeadError);
  std::lock_guard lock(mutex);
  REQUIRE(lines.size() == 3);
  CHECK(lines[2].starts_with("A failed("));
  CHECK(lines[2].ends_with(") int ask to tracing::Sleeper [A]"));
}

TEST_CASE("on_handled ends the handling when a borrowed io_context stopped with the handler suspended, at ~System") {
  std::mutex mutex;
  std::vector<std::string> lines;
  asio::io_context io;
  std::optional<cokka::Future<int>> reply;
  {
    cokka::System system(io);
    system.add_interceptor(std::make_shared<tracing::Journal>("A", mutex, lines));
    reply = system.start<tracing::Sleeper>().ask<int>(1);
    std::thread runner([&] { io.run(); });  // until stopped: the handler's timer is work for an hour
    CHECK(test::eventually([&] {
      std::lock_guard lock(mutex);
      return lines.size() == 2;  // sent and begun
    }));
    io.stop();  // the handler stays suspended: nobody will resume or destroy it on its strand
    runner.join();
  }
  CHECK_THROWS_AS(reply->get(5s), cokka::ActorDeadError);
  std::lock_guard lock(mutex);
  REQUIRE(lines.size() == 3);
  CHECK(lines[2].starts_with("A failed("));
}
