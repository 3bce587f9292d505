// Messages and replies that must not compile (see CMakeLists.txt: one build per COKKA_CASE_<name>; with no
// case defined the file compiles).
#include <cokka/cokka.hpp>

#include <string>

namespace misuse {

struct Echo : cokka::Actor<Echo> {
  cokka::Message on_receive(cokka::Message& msg) { return std::move(msg); }
};

void misuse(cokka::System& system) {
  auto echo = system.start<Echo>();
  echo.tell("a string literal is a std::string");
  cokka::Message msg("text");
  (void)msg.is<std::string>();
  (void)echo.ask<std::string>("ping");
#if defined(COKKA_CASE_is_c_string)
  (void)msg.is<const char*>();
#elif defined(COKKA_CASE_ask_c_string)
  (void)echo.ask<const char*>("ping");
#elif defined(COKKA_CASE_array_message)
  int values[3] = {1, 2, 3};
  echo.tell(values);
#endif
}

}  // namespace misuse
