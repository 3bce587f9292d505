// worker_pool: spread requests over a pool of actors and gather the replies (Pykka's resolver example).
// Each Resolver looks names up with Asio's asynchronous resolver inside a coroutine handler; requests go
// round-robin over the pool, and cokka::get_all collects the replies, in request order, under one deadline.
#include <cokka/cokka.hpp>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

using namespace std::chrono_literals;

struct Resolve {
  std::string host;
};

struct Resolver : cokka::Actor<Resolver> {
  explicit Resolver(int number) : name_("resolver " + std::to_string(number)) {}

  // A coroutine handler: while the lookup runs, the thread serves other actors. This actor, though, starts
  // its next request only when this one is done (one message at a time), which is why there is a pool.
  asio::awaitable<std::string> on_receive(cokka::Message& msg) {
    const std::string host = msg.as<Resolve>().host;
    asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
    // Flags chosen on purpose: without Asio's default address_configured (AI_ADDRCONFIG) a machine with no
    // network still resolves loopback names; numeric_service skips the services database.
    auto results =
        co_await resolver.async_resolve(host, "80", asio::ip::tcp::resolver::numeric_service, asio::use_awaitable);
    std::string line = host + " ->";
    for (const auto& entry : results) line += ' ' + entry.endpoint().address().to_string();
    co_return line + " (by " + name_ + ')';
  }

  std::string name_;
};

int main() {
  cokka::System system;
  std::vector<cokka::ActorRef<Resolver>> pool;
  for (int number = 1; number <= 3; ++number) pool.push_back(system.start<Resolver>(number));

  // Names that resolve without a network: /etc/hosts and numeric addresses (192.0.2.x and 2001:db8:: are
  // reserved for documentation).
  const std::vector<std::string> hosts{"localhost", "127.0.0.1", "::1", "192.0.2.10", "2001:db8::7", "10.1.2.3"};

  // All requests are sent before any reply is awaited, so the pool works on them at the same time.
  std::vector<cokka::Future<std::string>> replies;
  for (std::size_t i = 0; i < hosts.size(); ++i)
    replies.push_back(pool[i % pool.size()].ask<std::string>(Resolve{hosts[i]}));

  // Values in request order; the first failure (in that order) would be rethrown; Timeout if the replies are
  // not all in within 10 s, counted once for the whole batch.
  for (const std::string& line : cokka::get_all(replies, 10s)) std::cout << line << '\n';
}
