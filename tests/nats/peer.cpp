// The second process of the NATS tests: serves a calculator under a name on the given servers, prints "ready",
// and exits (0) once it is told wire::Quit (1 after a minute without it).
//   nats_peer <servers> <name>
#include "messages.hpp"

#include <cokka/cokka.hpp>
#include <cokka/nats.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>

namespace {

struct Calculator : cokka::Actor<Calculator> {
  explicit Calculator(std::promise<void>* quit) : quit_(quit) {}
  cokka::Message on_receive(cokka::Message& msg) {
    if (auto* add = msg.get_if<wire::Add>()) return wire::Sum{add->a + add->b, static_cast<int>(::getpid())};
    if (msg.is<wire::Quit>()) quit_->set_value();
    return {};
  }
  std::promise<void>* quit_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: nats_peer <servers> <name>\n");
    return 2;
  }
  std::promise<void> quit;
  cokka::System system(cokka::threads{2});
  cokka::nats::Node node(system, {.servers = argv[1], .node = "peer"});
  node.serve(system.start<Calculator>(&quit), argv[2]);
  std::printf("ready\n");
  std::fflush(stdout);
  return quit.get_future().wait_for(std::chrono::minutes(1)) == std::future_status::ready ? 0 : 1;
}
