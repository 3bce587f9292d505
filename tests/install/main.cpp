// The program both install consumers build (tests/install/check): it starts an actor, asks it, and exits
// non-zero unless the reply is right, so a consumer that links but cannot run cokka fails too.
#include <cokka/cokka.hpp>

#include <chrono>
#include <cstdio>

struct Doubler : cokka::Actor<Doubler> {
  int on_receive(cokka::Message& msg) { return 2 * msg.as<int>(); }
};

int main() {
  cokka::System system;
  auto doubler = system.start<Doubler>();
  const int reply = doubler.ask<int>(21).get(std::chrono::seconds(10));
  std::printf("consumer: asked 21, got %d\n", reply);
  return reply == 42 ? 0 : 1;
}
