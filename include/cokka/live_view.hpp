/// @file
/// cokka::LiveView: a running System in the browser (the optional component cokka::live_view). See
/// docs/live-view.md.
///
///     cokka::System system;
///     cokka::LiveView view(system, {.port = 8080});   // http://127.0.0.1:8080/
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace cokka {

class System;

/// Where and how a LiveView serves. Designated initializers: `{.port = 8080}`.
struct LiveViewOptions {
  /// The IP address to listen on: a loopback address unless allow_remote is set.
  std::string address = "127.0.0.1";
  /// The TCP port; 0 lets the operating system pick a free one (LiveView::port() tells which).
  std::uint16_t port = 0;
  /// Allows a non-loopback `address` ("0.0.0.0", a LAN address) and requests for any Host name. Without it, only
  /// requests whose Host is localhost or a loopback address are answered (a web page cannot reach the view
  /// through a DNS name rebound to 127.0.0.1). The view changes nothing, but it shows every actor's type and
  /// what it does: expose it on trusted networks only.
  bool allow_remote = false;
  /// Connections open at once (at least 1); one more is answered 503 and closed.
  std::size_t max_connections = 16;
  /// Bytes of a request's line and header fields; a longer request is answered 431.
  std::size_t max_request_bytes = 8192;
  /// Time a client has to send a whole request (an idle kept-alive connection counts from its last response),
  /// and the view to send a whole response; past it the connection is closed.
  std::chrono::milliseconds timeout{10000};
  /// How often the page fetches fresh data.
  std::chrono::milliseconds refresh{1000};
  /// Actors listed in /actors.json at most (the first started); wait-for cycles are found among all of them.
  std::size_t max_actors = 5000;
};

/// A read-only web view of a System's actors, served over HTTP/1.1: `GET /` (a self-contained page that
/// refreshes itself), `GET /actors.json`, `GET /healthz`, `GET /metrics` (Prometheus text; 404 with a sentence
/// while the System has no metrics). Malformed requests get 400, other methods 405.
///
/// Threads: the view serves on an Asio acceptor in the System's io_context, or in `context` when given (then
/// the caller runs it); it starts no thread. Requests are answered on the threads that run that context,
/// concurrently for different connections; each answer reads the System as debug::snapshot does (never blocking
/// on an actor), so a System with many actors pays for a snapshot per page refresh.
///
/// Lifetime: the view closes its acceptor and every connection when it is destroyed or when its System is,
/// whichever comes first: once either destructor has returned, the view never touches the System again, and
/// its pending Asio operations end with operation_aborted (or are destroyed with their io_context). It holds no
/// executor, strand or work guard of the context beyond an operation, so the context may be destroyed before
/// the view. To notice the System's end it starts one actor of its own, `cokka::detail::LiveViewAnchor`, which it
/// unregisters (Registry::stop_all does not stop it) and hides from the view; debug::dump lists it.
///
/// Not copyable or movable. The constructors and destructor are thread-safe, also on an io thread of the
/// context; destroying the view and its System at the same time from two threads is not.
class LiveView {
public:
  /// Serves `system` on its own io_context. Throws InvalidState when `options.address` is not an IP address,
  /// is not a loopback address while `allow_remote` is off, or when the System is shutting down;
  /// std::system_error (naming the address and port) when the address cannot be listened on (a port in use).
  LiveView(System& system, LiveViewOptions options = {});
  /// Serves `system` on `context`, which the caller runs; the same errors.
  LiveView(System& system, asio::io_context& context, LiveViewOptions options = {});
  LiveView(const LiveView&) = delete;
  LiveView& operator=(const LiveView&) = delete;
  /// Closes the acceptor and every connection; waits for answers in progress on other threads to finish.
  ~LiveView();

  /// The address and port the view listens on.
  asio::ip::tcp::endpoint endpoint() const;
  /// The port the view listens on (the chosen one when LiveViewOptions::port was 0).
  std::uint16_t port() const;
  /// The page's address, "http://127.0.0.1:8080/" ("http://[::1]:8080/" for IPv6).
  std::string url() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cokka
