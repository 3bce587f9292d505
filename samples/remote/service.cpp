// The service process of the remote sample: an inventory actor served under the name "inventory" on a NATS
// server. samples/remote/run starts it together with a nats-server and the client.
//   remote_service <nats url>
#include "messages.hpp"

#include <cokka/cokka.hpp>
#include <cokka/nats.hpp>

#include <cstdio>
#include <future>
#include <map>
#include <stdexcept>
#include <string>

namespace inventory {

//! [service]
struct Inventory : cokka::Actor<Inventory> {
  explicit Inventory(std::promise<void>& done) : done_(done) {}

  cokka::Message on_receive(cokka::Message& msg) {
    if (auto* reserve = msg.get_if<Reserve>()) {
      int& stock = stock_[reserve->sku];
      if (reserve->count > stock)  // reaches the client as a cokka::RemoteError
        throw std::out_of_range("only " + std::to_string(stock) + " " + reserve->sku + " left");
      stock -= reserve->count;
      log_.push_back("reserved " + std::to_string(reserve->count) + " " + reserve->sku);
      return Reservation{reserve->sku, reserve->count, stock, log_};
    }
    if (auto* restock = msg.get_if<Restock>()) stock_[restock->sku] += restock->count;
    if (msg.is<Shutdown>()) done_.set_value();
    return {};
  }

  std::promise<void>& done_;
  std::map<std::string, int> stock_{{"apple", 5}};
  std::vector<std::string> log_;
};
//! [service]

}  // namespace inventory

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: remote_service <nats url>\n");
    return 2;
  }
  std::promise<void> done;
  //! [serve]
  cokka::System system;
  cokka::nats::Node node(system, {.servers = argv[1], .node = "service"});
  node.serve(system.start<inventory::Inventory>(done), "inventory");  // subject cokka.inventory
  //! [serve]
  std::printf("service: serving \"inventory\" on %s\n", node.connected_server().c_str());
  std::fflush(stdout);
  done.get_future().wait();
  std::printf("service: shutting down\n");
}
