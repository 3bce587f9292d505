// The client process of the remote sample: asks and tells the inventory that remote_service serves, and shows
// each way a remote ask ends.
//   remote_client <nats url>
#include "messages.hpp"

#include <cokka/cokka.hpp>
#include <cokka/nats.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: remote_client <nats url>\n");
    return 2;
  }
  //! [client]
  asio::io_context io;  // any Asio coroutine can await a remote actor (declared first: it outlives the System)
  cokka::System system;
  cokka::nats::Node node(system, {.servers = argv[1], .node = "client", .ask_timeout = 2s});
  auto shop = node.ref("inventory");

  auto first = shop.ask<inventory::Reservation>(inventory::Reserve{"apple", 2}).get();
  std::printf("client: reserved %d %s, %d left\n", first.reserved, first.sku.c_str(), first.left);

  try {
    shop.ask<inventory::Reservation>(inventory::Reserve{"apple", 10}).get();
  } catch (const cokka::RemoteError& e) {  // the service's exception: its type and what()
    std::printf("client: the service threw %s: %s\n", e.type_name().c_str(), e.what());
  }

  shop.tell(inventory::Restock{"apple", 20});  // at most once, no reply

  auto session = [&]() -> asio::awaitable<void> {
    inventory::Reserve order{"apple", 10};  // named: g++ 12 destroys a braced temporary in co_await twice
    auto again = co_await shop.ask<inventory::Reservation>(order, asio::use_awaitable);
    std::printf("client: after restocking, reserved %d, %d left (%zu reservations so far)\n", again.reserved,
                again.left, again.log.size());
  };
  asio::co_spawn(io, session(), asio::detached);
  io.run();

  try {
    node.ref("warehouse").ask<void>(inventory::Restock{"pear", 1}).get();
  } catch (const cokka::RemoteUnavailable& e) {  // at once: nobody serves "warehouse"
    std::printf("client: %s\n", e.what());
  }
  //! [client]

  shop.tell(inventory::Shutdown{});
  std::printf("client: done\n");
}
