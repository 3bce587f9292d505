// cokka::nats across processes and servers (design.md 18): a second process served through a remote ref, and
// the failover of a client when the server it is connected to in a three-server cluster dies mid-traffic.
#include "messages.hpp"
#include "process.hpp"

#include <cokka/cokka.hpp>
#include <cokka/nats.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Slow : cokka::Actor<Slow> {
  asio::awaitable<wire::Sum> on_receive(cokka::Message& msg) {
    auto add = msg.as<wire::Add>();
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(add.b));
    co_await timer.async_wait(asio::use_awaitable);
    co_return wire::Sum{add.a, static_cast<int>(::getpid())};
  }
};

/// Retries `ask` until it succeeds or 10 s passed (interest spreads through a cluster asynchronously).
template <class F>
bool succeeds_eventually(F&& ask) {
  auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    try {
      if (ask()) return true;
    } catch (const cokka::RemoteUnavailable&) {
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("two processes talk through a remote ref") {
  test::NatsServer server;
  test::Process peer({COKKA_NATS_PEER, server.url(), "peer.calc"}, /*capture=*/true);
  REQUIRE(peer.read_line() == "ready");
  cokka::System system(cokka::threads{2});
  cokka::nats::Node node(system, {.servers = server.url(), .node = "main", .ask_timeout = 5s});
  auto calc = node.ref("peer.calc");
  wire::Sum sum = calc.ask<wire::Sum>(wire::Add{40, 2}).get(5s);
  CHECK(sum.value == 42);
  CHECK(sum.pid == peer.pid());
  CHECK(sum.pid != ::getpid());
  calc.tell(wire::Quit{});
  CHECK(peer.wait(10s) == 0);
}

TEST_CASE("failover: a cluster member dies mid-traffic, every ask ends, the client reconnects to another") {
  const int cluster[3] = {test::free_port(), test::free_port(), test::free_port()};
  test::NatsServer s0(cluster[0], {cluster[1], cluster[2]});
  test::NatsServer s1(cluster[1], {cluster[0], cluster[2]});
  test::NatsServer s2(cluster[2], {cluster[0], cluster[1]});
  test::NatsServer* servers[3] = {&s0, &s1, &s2};

  cokka::System system(cokka::threads{2});
  // The service stays on s0; the client starts on s1 or s2 and may fail over to any member.
  cokka::nats::Node service(system, {.servers = s0.url(), .node = "service"});
  service.serve(system.start<Slow>(), "slow");
  cokka::nats::Node client(system, {.servers = s1.url() + "," + s2.url(), .node = "client", .ask_timeout = 5s,
                                    .reconnect_wait = 20ms});
  auto slow = client.ref("slow");
  REQUIRE(succeeds_eventually([&] { return slow.ask<wire::Sum>(wire::Add{1, 0}).get(5s).value == 1; }));

  std::string before = client.connected_server();
  test::NatsServer* victim = nullptr;
  for (auto* server : servers)
    if (before == server->url()) victim = server;
  REQUIRE(victim != nullptr);
  REQUIRE(victim != &s0);

  std::vector<cokka::Future<wire::Sum>> in_flight;
  for (int i = 0; i < 40; ++i) in_flight.push_back(slow.ask<wire::Sum>(wire::Add{i, 10}));
  std::this_thread::sleep_for(60ms);  // one at a time, 10 ms each: some replies are back, most are not
  auto killed = Clock::now();
  victim->kill();
  int replied = 0, unavailable = 0;
  for (auto& reply : in_flight) {
    try {
      reply.get(5s);
      ++replied;
    } catch (const cokka::RemoteUnavailable&) {
      ++unavailable;
    }
  }
  CHECK(Clock::now() - killed < 2s);  // every ask ended long before its 5 s timeout
  CHECK(replied + unavailable == 40);
  CHECK(unavailable > 0);
  MESSAGE("replied before the kill: " << replied << ", failed with RemoteUnavailable: " << unavailable);

  REQUIRE(succeeds_eventually([&] { return client.connected(); }));
  CHECK(client.connected_server() != before);
  CHECK(succeeds_eventually([&] { return slow.ask<wire::Sum>(wire::Add{7, 0}).get(5s).value == 7; }));
}
