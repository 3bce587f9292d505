// hello: start an actor with constructor arguments, tell, ask, ask with a timeout, stop.
#include <cokka/cokka.hpp>

#include <iostream>
#include <string>

using namespace std::chrono_literals;

struct Greeter : cokka::Actor<Greeter> {
  explicit Greeter(std::string greeting = "Hi there!") : greeting_(std::move(greeting)) {}

  // A plain handler: the return value is the reply to an ask.
  std::string on_receive(cokka::Message& msg) {
    auto reply = greeting_ + ", " + msg.as<std::string>();
    std::cout << "greeter says: " << reply << '\n';
    return reply;
  }

  std::string greeting_;
};

int main() {
  cokka::System system;                                    // its own io_context and thread pool
  auto greeter = system.start<Greeter>("Hi you");          // constructor arguments; returns ActorRef<Greeter>
  greeter.tell("Bob");                                     // fire and forget; a string literal is a std::string
  std::string a = greeter.ask<std::string>("Ann").get();   // blocks for the reply
  std::cout << "asker got: " << a << '\n';
  auto f = greeter.ask<std::string>("Eve");                // sent now; the future fills in later
  std::cout << "asker got: " << f.get(1s) << '\n';         // throws cokka::Timeout after 1 s without reply
  std::cout << "stopped: " << std::boolalpha << greeter.stop() << '\n';  // true: it was alive
  std::cout << "stopped again: " << greeter.stop() << '\n';              // false: already dead
}
