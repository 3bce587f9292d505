#include <cokka/cokka.hpp>

struct Greeter : cokka::Actor<Greeter> {
  explicit Greeter(std::string greeting) : greeting_(std::move(greeting)) {}
  std::string on_receive(cokka::Message& msg) { return greeting_ + ", " + msg.as<std::string>(); }
  std::string greeting_;
};

int main() {
  cokka::System system;                                        // io_context + thread pool
  auto greeter = system.start<Greeter>("Hi you");              // constructor arguments
  greeter.tell("Bob");                                         // fire and forget (a literal is a std::string)
  auto reply = greeter.ask<std::string>("Ann");                // a cokka::Future<std::string>
  std::string text = reply.get(std::chrono::seconds(5));       // throws cokka::Timeout if late
  greeter.stop();                                              // on_stop runs; later sends throw ActorDeadError
}
