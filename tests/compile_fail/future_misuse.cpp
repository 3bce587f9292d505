// Waiting for a reply in ways that must not compile (see CMakeLists.txt: one build per COKKA_CASE_<name>;
// with no case defined the file compiles).
#include <cokka/cokka.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include <system_error>

namespace misuse {

struct Doubler : cokka::Actor<Doubler> {
  int on_receive(cokka::Message& msg) { return msg.as<int>() * 2; }
};

asio::awaitable<void> session(cokka::ActorRef<Doubler> doubler) {
  auto [error, doubled] = co_await doubler.ask<int>(1, asio::experimental::as_tuple(asio::use_awaitable));
  (void)error;
  (void)doubled;
#if defined(COKKA_CASE_redirect_error_ask)
  std::error_code code;
  co_await doubler.ask<int>(2, asio::redirect_error(asio::use_awaitable, code));
#elif defined(COKKA_CASE_redirect_error_wait)
  std::error_code code;
  auto future = doubler.ask<int>(3);
  co_await future.async_wait(asio::redirect_error(asio::use_awaitable, code));
#endif
}

}  // namespace misuse
