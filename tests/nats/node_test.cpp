// cokka::nats::Node and RemoteRef against a real nats-server started by each test (design.md 18): tell, ask in
// every form, remote exceptions, no responders, timeouts, queue groups, presence, dead letters, a dropped
// connection, and the threads a node does not start.
#include "../log_capture.hpp"
#include "../support.hpp"
#include "messages.hpp"
#include "process.hpp"

#include <cokka/cokka.hpp>
#include <cokka/nats.hpp>

#include <asio/bind_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <doctest/doctest.h>
#include <nats/nats.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Calculator : cokka::Actor<Calculator> {
  explicit Calculator(int id = 0) : id_(id) {}
  cokka::Message on_receive(cokka::Message& msg) {
    if (auto* add = msg.get_if<wire::Add>()) return wire::Sum{add->a + add->b + id_, static_cast<int>(::getpid())};
    if (auto* fail = msg.get_if<wire::Fail>()) throw std::invalid_argument(fail->text);
    if (auto* note = msg.get_if<wire::Note>()) {
      notes_.push_back(note->text);
      return {};
    }
    if (auto* sleep = msg.get_if<wire::Sleep>()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(sleep->ms));
      return sleep->ms;
    }
    if (msg.is<std::string>()) {  // the notes so far, as one string
      std::string all;
      for (auto& note : notes_) all += note + ";";
      return all;
    }
    return {};
  }
  int id_;
  std::vector<std::string> notes_;
};

cokka::nats::NodeOptions options(const test::NatsServer& server, std::string node) {
  // Probes unanswered for 3 x 200 ms count as a stop: slow enough for the sanitizer presets on a busy machine.
  return {.servers = server.url(), .node = std::move(node), .ask_timeout = 10s, .heartbeat = 200ms};
}

/// The setting of most cases: a server, a System, and a node "n1" serving a Calculator under the name "calc".
struct Served {
  test::NatsServer server;
  cokka::System system{cokka::threads{2}};
  cokka::nats::Node node{system, options(server, "n1")};
  cokka::ActorRef<Calculator> actor = system.start<Calculator>();
  cokka::nats::RemoteRef calc = (node.serve(actor, "calc"), node.ref("calc"));
};

// The cluster example of docs/remote.md: compiled, never run (it connects to the hosts a, b and c).
[[maybe_unused]] void join_the_cluster(cokka::System& system) {
  //! [cluster]
  cokka::nats::Node node(system, {.servers = "nats://a:4222,nats://b:4222,nats://c:4222", .node = "api-1"});
  //! [cluster]
}

}  // namespace

TEST_CASE("tell and ask reach an actor that another node serves") {
  test::NatsServer server;
  cokka::System system(cokka::threads{2});
  cokka::nats::Node service(system, options(server, "service"));
  cokka::nats::Node client(system, options(server, "client"));
  service.serve(system.start<Calculator>(), "calc");

  auto calc = client.ref("calc");
  CHECK(calc.subject() == "cokka.calc");
  CHECK(to_string(calc) == "calc (remote, subject cokka.calc)");
  wire::Sum sum = calc.ask<wire::Sum>(wire::Add{2, 3}).get(5s);
  CHECK(sum.value == 5);
  CHECK(sum.pid == ::getpid());
  CHECK(calc.ask<wire::Sum>(wire::Add{20, 1}, 5s).value == 21);  // the blocking form

  calc.tell(wire::Note{"a"});
  calc.tell(wire::Note{"b"});
  CHECK(calc.ask<std::string>(std::string("notes?")).get(5s) == "a;b;");  // one sender: in order, tells first
  CHECK(client.connected());
}

TEST_CASE("ask completes any Asio completion token on the token's executor") {
  test::NatsServer server;
  // Before the System: an io thread that posted a completion may still be inside Asio's post (signalling the
  // context's condition variable) when io.run() returns; the System's destructor joins it first.
  asio::io_context io;
  cokka::System system(cokka::threads{2});
  cokka::nats::Node node(system, options(server, "n1"));
  node.serve(system.start<Calculator>(), "calc");
  auto calc = node.ref("calc");

  int awaited = 0;
  std::thread::id resumed_on;
  auto session = [&]() -> asio::awaitable<void> {
    wire::Add add{1, 2};  // named: g++ 12 destroys a braced temporary in co_await twice
    wire::Sum sum = co_await calc.ask<wire::Sum>(add, asio::use_awaitable);
    awaited = sum.value;
    resumed_on = std::this_thread::get_id();
  };
  asio::co_spawn(io, session(), asio::detached);
  auto strand = asio::make_strand(io);
  bool in_strand = false;
  std::exception_ptr failure;
  calc.ask<int>(wire::Sleep{1},
                asio::bind_executor(strand, [&](std::exception_ptr error, int) {
                  in_strand = strand.running_in_this_thread();
                  failure = error;
                }));
  io.run();
  CHECK(awaited == 3);
  CHECK(resumed_on == std::this_thread::get_id());
  CHECK(in_strand);
  CHECK_FALSE(failure);
}

TEST_CASE_FIXTURE(Served, "a remote handler's exception arrives as RemoteError with its type and what(), the actor lives on") {
  try {
    calc.ask<wire::Sum>(wire::Fail{"no such thing"}).get(5s);
    FAIL("no exception");
  } catch (const cokka::RemoteError& e) {
    CHECK(e.type_name() == "std::invalid_argument");
    CHECK(std::string(e.what()) == "no such thing");
  }
  CHECK(actor.is_alive());
  CHECK(calc.ask<wire::Sum>(wire::Add{1, 1}).get(5s).value == 2);
}

TEST_CASE_FIXTURE(Served, "replies convert to R: void, Message, and BadReplyType naming both types") {
  CHECK_NOTHROW(calc.ask<void>(wire::Note{"x"}).get(5s));
  CHECK_NOTHROW(calc.ask<void>(wire::Add{1, 2}).get(5s));           // a value, ignored
  CHECK_FALSE(calc.ask(wire::Note{"y"}).get(5s).has_value());       // Message: empty for a void handler
  CHECK(calc.ask(wire::Add{4, 4}).get(5s).as<wire::Sum>().value == 8);  // Message: the registered type
  try {
    calc.ask<std::string>(wire::Add{1, 2}).get(5s);
    FAIL("no exception");
  } catch (const cokka::BadReplyType& e) {
    std::string what = e.what();
    CHECK(what.find("test.Sum/1") != std::string::npos);
    CHECK(what.find("std::string") != std::string::npos);
  }
  CHECK_THROWS_AS(calc.ask<int>(wire::Note{"z"}).get(5s), cokka::BadReplyType);
}

TEST_CASE("an ask nobody serves fails at once with RemoteUnavailable (no responders)") {
  test::NatsServer server;
  cokka::System system(cokka::threads{2});
  cokka::nats::Node node(system, options(server, "n1"));
  auto start = Clock::now();
  try {
    node.ref("nobody.home").ask<int>(wire::Add{}).get(5s);
    FAIL("no exception");
  } catch (const cokka::RemoteUnavailable& e) {
    CHECK(std::string(e.what()).find("nobody serves cokka.nobody.home") != std::string::npos);
  }
  CHECK(Clock::now() - start < 2s);  // the ask timeout is 10 s
  node.ref("nobody.home").tell(wire::Add{});  // a tell to nobody is simply lost
}

TEST_CASE_FIXTURE(Served, "an ask without a reply in time fails with Timeout, the late reply is dropped") {
  auto hasty = calc.with_timeout(50ms);
  CHECK(hasty.timeout() == 50ms);
  auto start = Clock::now();
  CHECK_THROWS_AS(hasty.ask<int>(wire::Sleep{400}).get(5s), cokka::Timeout);
  CHECK(Clock::now() - start < 1s);  // its own deadline ended it (Timeout, not the 400 ms reply)
  CHECK_THROWS_AS(calc.ask<int>(wire::Sleep{400}, 30ms), cokka::Timeout);
  // The late replies come in while these wait: each ask gets its own reply.
  for (int i = 0; i < 3; ++i) CHECK(calc.ask<wire::Sum>(wire::Add{i, 1}).get(5s).value == i + 1);
}

TEST_CASE("serve_group: each message goes to exactly one member of the group, on any node") {
  test::NatsServer server;
  cokka::System system(cokka::threads{2});
  cokka::nats::Node a(system, options(server, "a"));
  cokka::nats::Node b(system, options(server, "b"));
  cokka::nats::Node client(system, options(server, "client"));
  a.serve_group(system.start<Calculator>(1000), "pool");
  b.serve_group(system.start<Calculator>(2000), "pool");
  a.serve_group(system.start<Calculator>(3000), "pool.other");  // another group: gets nothing of "pool"
  std::vector<cokka::Future<wire::Sum>> replies;
  auto pool = client.ref("pool");
  for (int i = 0; i < 60; ++i) replies.push_back(pool.ask<wire::Sum>(wire::Add{0, 0}));
  std::map<int, int> per_member;
  for (auto& reply : replies) ++per_member[reply.get(5s).value];
  CHECK(per_member.size() == 2);
  CHECK(per_member[1000] + per_member[2000] == 60);
  CHECK(per_member[1000] > 0);
  CHECK(per_member[2000] > 0);
}

TEST_CASE_FIXTURE(Served, "misuse fails with a clear exception") {
  CHECK_THROWS_WITH_AS(node.serve(actor, "calc"), doctest::Contains("already serves cokka.calc"), cokka::InvalidState);
  for (const char* bad : {"", "a b", "svc.*", ".x", "x.", "a..b", "x>"})
    CHECK_THROWS_WITH_AS(node.serve(actor, bad), doctest::Contains("not a valid name"), cokka::InvalidState);
  CHECK_THROWS_AS(node.ref(""), cokka::InvalidState);
  CHECK_THROWS_AS(node.serve(cokka::ActorRef<>(), "empty"), cokka::InvalidState);
  cokka::nats::RemoteRef empty;
  CHECK_FALSE(empty.valid());
  CHECK_THROWS_AS(empty.tell(wire::Add{}), cokka::InvalidState);
  CHECK(to_string(empty) == "(no remote actor)");
  // serve() waits for the server's confirmation, which an io thread would have to read itself.
  std::promise<std::string> from_io;
  asio::post(system.context(), [&] {
    try {
      node.serve(actor, "from.io");
      from_io.set_value("no exception");
    } catch (const cokka::InvalidState& e) {
      from_io.set_value(e.what());
    }
  });
  CHECK(from_io.get_future().get().find("io threads") != std::string::npos);
  CHECK_THROWS_AS(cokka::nats::Node(system, {.servers = " , "}), cokka::InvalidState);
  auto connect_to_nobody = [&] {
    cokka::nats::Node(system, {.servers = "nats://127.0.0.1:" + std::to_string(test::free_port()), .node = "lost",
                               .connect_timeout = 200ms});
  };
  CHECK_THROWS_WITH_AS(connect_to_nobody(), doctest::Contains("lost: cannot connect to nats://127.0.0.1:"),
                       cokka::RemoteUnavailable);
}

TEST_CASE_FIXTURE(Served, "async_wait_stopped completes once nobody serves the name any more") {
  auto stopped = calc.async_wait_stopped(asio::use_future);
  CHECK(stopped.wait_for(500ms) == std::future_status::timeout);  // probes answered: alive
  actor.stop();
  REQUIRE(stopped.wait_for(5s) == std::future_status::ready);
  std::exception_ptr why = stopped.get();
  REQUIRE(why);
  CHECK_THROWS_AS(std::rethrow_exception(why), cokka::RemoteUnavailable);
  // The dead actor's name is unsubscribed: asks find nobody. (An ask in flight while the node unsubscribes is
  // lost, at most once: it ends with Timeout.)
  CHECK(test::eventually([&] {
    try {
      node.ref("calc").with_timeout(1s).ask<int>(wire::Sleep{0}).get(5s);
    } catch (const cokka::RemoteUnavailable& e) {
      return std::string(e.what()).find("nobody serves") != std::string::npos;
    } catch (const cokka::Timeout&) {
    }
    return false;
  }));
  // A name nobody serves is stopped at the first probe.
  auto never = node.ref("never.served").async_wait_stopped(asio::use_future);
  REQUIRE(never.wait_for(5s) == std::future_status::ready);
  CHECK_THROWS_WITH_AS(std::rethrow_exception(never.get()), doctest::Contains("nobody serves"), cokka::RemoteUnavailable);
}

TEST_CASE("destroying the node ends its pending asks and watches, its refs then refuse every send") {
  test::NatsServer server;
  cokka::System system(cokka::threads{2});
  cokka::nats::Node service(system, options(server, "service"));
  service.serve(system.start<Calculator>(), "calc");
  auto client = std::make_unique<cokka::nats::Node>(system, options(server, "client"));
  auto calc = client->ref("calc");
  auto pending = calc.ask<int>(wire::Sleep{300});
  auto watch = calc.async_wait_stopped(asio::use_future);
  std::this_thread::sleep_for(50ms);
  client.reset();
  CHECK_THROWS_WITH_AS(pending.get(5s), doctest::Contains("the node was closed"), cokka::RemoteUnavailable);
  CHECK_THROWS_AS(watch.get(), std::system_error);  // operation_aborted
  CHECK_THROWS_WITH_AS(calc.tell(wire::Add{}), doctest::Contains("the node is closed"), cokka::RemoteUnavailable);
  CHECK_THROWS_AS(calc.ask<int>(wire::Add{}).get(5s), cokka::RemoteUnavailable);
}

TEST_CASE("after connecting, a node adds no thread: no reader, flusher or delivery thread") {
  test::NatsServer server;
  cokka::System system(cokka::threads{2});
  // The first connection starts libnats' library threads (timers, connection callbacks, garbage collector).
  cokka::nats::Node first(system, options(server, "first"));
  const int baseline = test::thread_count();
  {
    cokka::nats::Node service(system, options(server, "service"));
    cokka::nats::Node client(system, options(server, "client"));
    service.serve(system.start<Calculator>(), "calc");
    service.serve_group(system.start<Calculator>(), "pool");
    for (int i = 0; i < 50; ++i) {
      client.ref("calc").tell(wire::Note{"n"});
      CHECK(client.ref(i % 2 ? "calc" : "pool").ask<wire::Sum>(wire::Add{i, 0}).get(5s).value == i);
    }
    CHECK(test::thread_count() == baseline);
  }
  CHECK(test::thread_count() == baseline);
}

TEST_CASE_FIXTURE(Served, "undecodable and unknown messages are dead letters on the receiver, an ask gets a RemoteError") {
  test::LogCapture log(spdlog::level::warn);

  natsConnection* raw = nullptr;  // a plain libnats client, as another program would be
  REQUIRE(natsConnection_ConnectTo(&raw, server.url().c_str()) == NATS_OK);
  auto request = [&](const std::string& bytes) {
    natsMsg* reply = nullptr;
    REQUIRE(natsConnection_Request(&reply, raw, "cokka.calc", bytes.data(), static_cast<int>(bytes.size()), 5000) ==
            NATS_OK);
    std::string data(natsMsg_GetData(reply), static_cast<std::size_t>(natsMsg_GetDataLength(reply)));
    natsMsg_Destroy(reply);
    return data;
  };
  std::string garbage = request("\xc1 not msgpack");
  CHECK(garbage.find("cokka::nats::DecodeError") != std::string::npos);
  std::string unknown = request("\x92\xa9other.X/1\xc0");  // ["other.X/1", nil]
  CHECK(unknown.find("unknown message \"other.X/1\"") != std::string::npos);
  REQUIRE(natsConnection_PublishString(raw, "cokka.calc", "\xff\xff") == NATS_OK);  // a tell: nobody to answer
  REQUIRE(natsConnection_Flush(raw) == NATS_OK);
  natsConnection_Destroy(raw);

  CHECK(node.ref("calc").ask<wire::Sum>(wire::Add{2, 2}).get(5s).value == 4);  // after the garbage, in order
  CHECK(log.count(spdlog::level::warn, "dead letter on cokka.calc (node n1)") == 3);
}

TEST_CASE("a dropped connection fails pending asks at once, the node reconnects and later asks succeed") {
  test::NatsServer server;
  cokka::System system(cokka::threads{2});
  auto opts = options(server, "n1");
  opts.reconnect_wait = 20ms;
  cokka::nats::Node service(system, opts);
  opts.node = "client";
  cokka::nats::Node client(system, opts);
  service.serve(system.start<Calculator>(), "calc");
  auto calc = client.ref("calc");
  REQUIRE(calc.ask<wire::Sum>(wire::Add{1, 1}).get(5s).value == 2);

  auto pending = calc.ask<int>(wire::Sleep{2000});
  std::this_thread::sleep_for(50ms);
  auto killed = Clock::now();
  server.kill();
  CHECK_THROWS_WITH_AS(pending.get(5s), doctest::Contains("connection to NATS dropped"), cokka::RemoteUnavailable);
  CHECK(Clock::now() - killed < 1s);
  CHECK(test::eventually([&] { return !client.connected(); }));
  CHECK_THROWS_WITH_AS(calc.ask<int>(wire::Add{}).get(5s), doctest::Contains("not connected"), cokka::RemoteUnavailable);

  REQUIRE(server.start());
  CHECK(test::eventually([&] { return client.connected() && service.connected(); }));
  CHECK(test::eventually([&] {  // the served subscription is back once the service resent it
    try {
      return calc.ask<wire::Sum>(wire::Add{2, 3}).get(5s).value == 5;
    } catch (const cokka::RemoteUnavailable&) {
      return false;
    }
  }));
}
