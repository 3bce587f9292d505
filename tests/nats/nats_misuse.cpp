// Misuse of cokka::nats that must not compile (tests/compile_fail/CMakeLists.txt builds this file once per case
// with COKKA_CASE_<name> defined); with no case defined it compiles.
#include <cokka/cokka.hpp>
#include <cokka/nats.hpp>

#include <string>
#include <thread>

namespace misuse {

struct Registered {
  int x = 0;
};
COKKA_MESSAGE(Registered, "misuse.Registered/1", x);

struct Unregistered {
  int x = 0;
};

#if defined(COKKA_CASE_nats_unsupported_field)
struct WithThread {
  std::thread worker;
};
COKKA_MESSAGE(WithThread, "misuse.WithThread/1", worker);
#endif

inline void use(const cokka::nats::RemoteRef& ref) {
  ref.tell(Registered{});
#if defined(COKKA_CASE_nats_unregistered_message)
  ref.tell(Unregistered{});
#elif defined(COKKA_CASE_nats_unregistered_reply)
  ref.ask<Unregistered>(Registered{});
#endif
}

}  // namespace misuse
