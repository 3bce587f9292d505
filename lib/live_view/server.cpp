#include "server.hpp"

#include <asio/steady_timer.hpp>

#include <array>
#include <optional>
#include <string>

namespace cokka::detail::http {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Bytes read and thrown away after a last response before the connection closes (see Connection::finish).
constexpr std::size_t drain_limit = 1 << 20;

Response plain(int status, std::string sentence) { return Response{status, "text/plain; charset=utf-8", std::move(sentence) + "\n", {}}; }

}  // namespace

// One client connection, owned by its pending read or write. Its timer's wait holds it weakly: the connection
// ends when its reads and writes do, and its destructor cancels the wait.
class Server::Connection : public std::enable_shared_from_this<Connection> {
public:
  Connection(std::shared_ptr<Server> server, asio::ip::tcp::socket socket)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        parser_(server_->limits_.max_request_bytes) {}
  ~Connection() {
    std::lock_guard lock(server_->mutex_);
    server_->connections_.erase(this);
  }

  // The methods below run under the server's mutex.

  void start() {
    server_->connections_.insert(this);
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // small responses, often on a kept-alive connection
    deadline_ = Clock::now() + server_->limits_.timeout;
    watch();
    read();
  }

  void close() {
    asio::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

private:
  using Lock = std::unique_lock<std::mutex>;

  void read() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](const asio::error_code& error, std::size_t size) {
      self->on_read(error, size);
    });
  }

  void on_read(const asio::error_code& error, std::size_t size) {
    Lock lock(server_->mutex_);
    if (server_->closed_ || error) return;  // the end of the connection (EOF, reset, closed by the timer)
    if (draining_) {
      drained_ += size;
      if (drained_ < drain_limit) read();
      return;
    }
    received_.append(chunk_.data(), size);
    serve(lock);
  }

  // Goes on with the bytes received: reads more, or answers the request they complete.
  void serve(Lock& lock) {
    switch (parser_.parse(received_)) {
      case RequestParser::State::incomplete:
        read();
        return;
      case RequestParser::State::refused:
        write(plain(parser_.status(), parser_.reason()), false, false);
        return;
      case RequestParser::State::complete:
        break;
    }
    // Nothing else touches the parser meanwhile: this connection has no other operation than the timer's wait.
    const auto& request = parser_.request();
    lock.unlock();
    auto response = server_->respond(request);
    lock.lock();
    if (server_->closed_ || !response) return;
    write(*response, request.keep_alive, request.method == "HEAD");
  }

  void write(const Response& response, bool keep_alive, bool head_only) {
    keep_alive_ = keep_alive;
    out_ = serialize(response, keep_alive, head_only);
    written_ = 0;
    deadline_ = Clock::now() + server_->limits_.timeout;
    write_rest();
  }

  // async_write_some rather than async_write: asio::async_write would start its later steps outside the mutex,
  // racing close() on the socket.
  void write_rest() {
    socket_.async_write_some(asio::buffer(out_) + written_, [self = shared_from_this()](const asio::error_code& error, std::size_t size) {
      self->on_write(error, size);
    });
  }

  void on_write(const asio::error_code& error, std::size_t size) {
    Lock lock(server_->mutex_);
    if (server_->closed_ || error) return;
    written_ += size;
    if (written_ < out_.size()) return write_rest();
    if (!keep_alive_) return finish();
    received_.erase(0, parser_.head_size());  // what follows may already be the next (pipelined) request
    parser_.reset();
    deadline_ = Clock::now() + server_->limits_.timeout;
    serve(lock);
  }

  // After the last response: no more sending, and what the client still sends is read and dropped until it
  // closes (at most drain_limit bytes, within the deadline). Closing with unread bytes would make the kernel
  // reset the connection, and the client could lose the response (a refused request is often still arriving).
  void finish() {
    asio::error_code ignored;
    socket_.shutdown(asio::socket_base::shutdown_send, ignored);
    draining_ = true;
    deadline_ = Clock::now() + server_->limits_.timeout;
    read();
  }

  void watch() {
    timer_.expires_at(deadline_);
    timer_.async_wait([weak = weak_from_this()](const asio::error_code& error) {
      if (auto self = weak.lock()) self->on_timer(error);
    });
  }

  void on_timer(const asio::error_code& error) {
    std::lock_guard lock(server_->mutex_);
    if (server_->closed_ || error) return;
    if (Clock::now() < deadline_) return watch();  // the deadline moved on meanwhile
    asio::error_code ignored;
    socket_.close(ignored);  // the pending read or write ends with operation_aborted, and the connection with it
  }

  std::shared_ptr<Server> server_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  Clock::time_point deadline_;
  RequestParser parser_;
  std::array<char, 4096> chunk_;
  std::string received_;
  std::string out_;
  std::size_t written_ = 0;
  bool keep_alive_ = true;
  bool draining_ = false;
  std::size_t drained_ = 0;
};

// The acceptor, owned by its pending accept (or by the pause after a failed accept).
struct Server::Listener : std::enable_shared_from_this<Listener> {
  Listener(std::shared_ptr<Server> server, asio::ip::tcp::acceptor acceptor)
      : server(std::move(server)), acceptor(std::move(acceptor)), pause(this->acceptor.get_executor()) {}
  ~Listener() {
    std::lock_guard lock(server->mutex_);
    server->listener_ = nullptr;
  }

  // Under the server's mutex.
  void accept() {
    acceptor.async_accept([self = shared_from_this()](const asio::error_code& error, asio::ip::tcp::socket socket) {
      self->on_accept(error, std::move(socket));
    });
  }

  void on_accept(const asio::error_code& error, asio::ip::tcp::socket socket) {
    std::shared_ptr<Connection> connection;  // declared first: a connection that fails to start goes after the unlock
    std::lock_guard lock(server->mutex_);
    if (server->closed_ || error == asio::error::operation_aborted) return;
    if (error) {
      // An aborted handshake or no file descriptor left (EMFILE): the listening socket stays readable, so an
      // immediate retry would spin. Try again a little later.
      pause.expires_after(100ms);
      pause.async_wait([self = shared_from_this()](const asio::error_code& paused) { self->on_pause(paused); });
      return;
    }
    if (server->connections_.size() >= server->limits_.max_connections) {
      refuse_busy(socket);
    } else {
      connection = std::make_shared<Connection>(server, std::move(socket));
      connection->start();
    }
    accept();
  }

  void on_pause(const asio::error_code& error) {
    std::lock_guard lock(server->mutex_);
    if (!server->closed_ && !error) accept();
  }

  // Over the limit: a 503 written without waiting (a few hundred bytes always fit an empty send buffer), then
  // closed. A client that already sent its request may see a reset instead of the 503.
  void refuse_busy(asio::ip::tcp::socket& socket) {
    const auto bytes = serialize(plain(503, "the live view has " + std::to_string(server->limits_.max_connections) +
                                                " connections open already (its limit): try again later"),
                                 false, false);
    asio::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(bytes), ignored);
    socket.shutdown(asio::socket_base::shutdown_send, ignored);
    socket.close(ignored);
  }

  std::shared_ptr<Server> server;
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer pause;
};

std::shared_ptr<Server> Server::start(asio::io_context& context, const asio::ip::tcp::endpoint& endpoint,
                                      ServerLimits limits, Handler handler) {
  auto server = std::make_shared<Server>(limits, std::move(handler));
  asio::ip::tcp::acceptor acceptor(context);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));  // a restarted program gets its port back at once
  acceptor.bind(endpoint);
  acceptor.listen();
  server->endpoint_ = acceptor.local_endpoint();
  auto listener = std::make_shared<Listener>(server, std::move(acceptor));
  std::lock_guard lock(server->mutex_);
  server->listener_ = listener.get();
  listener->accept();
  return server;
}

void Server::close() {
  handler_gate_.close();
  std::lock_guard lock(mutex_);
  closed_ = true;
  if (listener_) {
    asio::error_code ignored;
    listener_->acceptor.close(ignored);
    listener_->pause.cancel();
  }
  for (auto* connection : connections_) connection->close();
}

std::size_t Server::connection_count() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

std::optional<Response> Server::respond(const Request& request) {
  Gate::Entry entry(handler_gate_);
  if (!entry) return std::nullopt;
  try {
    return handler_(request);
  } catch (const std::exception& error) {
    return plain(500, std::string("the live view failed to answer: ") + error.what());
  }
}

}  // namespace cokka::detail::http
