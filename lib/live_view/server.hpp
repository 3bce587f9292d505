// A minimal GET-only HTTP/1.1 server on an Asio acceptor: keep-alive and pipelining, a request-head limit, a
// connection limit, one deadline per request, and a close() after which nothing of the caller's runs.
//
// Ownership (docs/internals.md, rule 6): the Server holds no io object, executor or strand. The acceptor and each
// connection's socket and timer live in objects owned by their own pending operations, so they go when their
// operations end or when the io_context destroys its pending handlers, whichever comes first; the Server only
// knows them by address, under its mutex, to close them. So a Server may outlive its io_context.
//
// Threads: completion handlers run on the threads that run the io_context. Every socket and timer operation,
// including close(), happens under the Server's mutex (an Asio socket is not safe for concurrent use);
// the handler runs outside it, so requests of different connections are answered in parallel.
#pragma once

#include "http.hpp"

#include <cokka/detail/gate.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>

namespace cokka::detail::http {

struct ServerLimits {
  /// Connections open at once; one more is answered 503 and closed at once.
  std::size_t max_connections = 16;
  /// Bytes of request line and header fields; a longer head is answered 431.
  std::size_t max_request_bytes = 8192;
  /// Time to receive a whole request (counted from the end of the previous response on a kept-alive connection)
  /// and to send a whole response; past it the connection is closed.
  std::chrono::milliseconds timeout{10000};
};

/// Answers a complete, well-formed request (any method and path: the handler decides). Called on a thread that
/// runs the io_context, concurrently for different connections. What it throws becomes a 500.
using Handler = std::function<Response(const Request&)>;

class Server : public std::enable_shared_from_this<Server> {
public:
  /// Opens, binds (with SO_REUSEADDR) and listens on `endpoint` in `context` and starts accepting. Throws
  /// std::system_error when the endpoint cannot be bound or listened on.
  static std::shared_ptr<Server> start(asio::io_context& context, const asio::ip::tcp::endpoint& endpoint,
                                       ServerLimits limits, Handler handler);

  Server(ServerLimits limits, Handler handler) : limits_(limits), handler_(std::move(handler)) {}
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The address and port it listens on (the port the system chose for port 0).
  const asio::ip::tcp::endpoint& local_endpoint() const noexcept { return endpoint_; }

  /// Waits for the handler calls in progress, then closes the acceptor and every connection. Afterwards the
  /// handler is never called again, and the pending operations end with operation_aborted once the io_context
  /// runs them (or are destroyed with it). Idempotent and thread-safe; must not be called from the handler.
  void close();

  /// Connections open now (for the tests).
  std::size_t connection_count() const;

private:
  struct Listener;
  class Connection;

  // Calls the handler inside the gate: nothing when close() has begun.
  std::optional<Response> respond(const Request& request);

  ServerLimits limits_;
  Handler handler_;
  asio::ip::tcp::endpoint endpoint_;
  Gate handler_gate_;
  mutable std::mutex mutex_;
  bool closed_ = false;
  Listener* listener_ = nullptr;
  std::unordered_set<Connection*> connections_;
};

}  // namespace cokka::detail::http
