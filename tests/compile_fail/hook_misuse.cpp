// Hooks that exist by name but that cokka cannot call: each must fail to compile with a sentence naming the
// hook, its signature and the access it needs (see CMakeLists.txt: one build per COKKA_CASE_<name>; with no
// case defined the file compiles).
#include <cokka/cokka.hpp>

#include <exception>
#include <string>

namespace misuse {

// Every hook, two of them protected: all callable.
struct Complete : cokka::Actor<Complete> {
  void on_start() {}
  std::string on_receive(cokka::Message&) { return "reply"; }

protected:
  void on_stop() {}
  void on_failure(std::exception_ptr) {}
};

#if defined(COKKA_CASE_private_on_receive)
class Greeter : public cokka::Actor<Greeter> {
  std::string on_receive(cokka::Message&) { return "hi"; }  // a class's members are private by default
};
#elif defined(COKKA_CASE_on_receive_by_value)
struct Greeter : cokka::Actor<Greeter> {
  std::string on_receive(cokka::Message msg) { return msg.as<std::string>(); }  // a Message cannot be copied
};
#elif defined(COKKA_CASE_private_on_start)
class Greeter : public cokka::Actor<Greeter> {
  void on_start() {}
};
#elif defined(COKKA_CASE_on_stop_with_argument)
struct Greeter : cokka::Actor<Greeter> {
  void on_stop(int) {}
};
#elif defined(COKKA_CASE_on_failure_exception_ref)
struct Greeter : cokka::Actor<Greeter> {
  void on_failure(const std::exception&) {}  // cokka passes a std::exception_ptr
};
#else
struct Greeter : cokka::Actor<Greeter> {};
#endif

void misuse(cokka::System& system) {
  system.start<Complete>();
  system.start<Greeter>();
}

}  // namespace misuse
