// Helpers of the live view's tests: a blocking HTTP client on plain POSIX sockets (with deadlines), a scene of
// actors with a deadlock in it, and a data source with metrics and dead letters.
#pragma once

#include "site.hpp"

#include <cokka/cokka.hpp>

#include <asio/use_awaitable.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace test {

using namespace std::chrono_literals;

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [field, value] : headers)
      if (field == name) return value;
    return {};
  }
};

/// One TCP connection to 127.0.0.1:port. Every wait has a deadline, so a broken server fails a test instead of
/// hanging it.
class HttpClient {
public:
  explicit HttpClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close();
      throw std::runtime_error("HttpClient: cannot connect to port " + std::to_string(port));
    }
  }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient() { close(); }

  /// Sends every byte; false when the server closed or reset the connection meanwhile.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  /// Reads one response (its body by Content-Length; none for a HEAD); nothing when the connection ends or the
  /// deadline passes first.
  std::optional<HttpReply> read_reply(bool head = false, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!receive(deadline)) return std::nullopt;
    HttpReply reply;
    std::string_view head_text(buffer_.data(), end);
    auto line_end = head_text.find("\r\n");
    const auto status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12 || status_line.substr(0, 9) != "HTTP/1.1 ") return std::nullopt;
    reply.status = std::stoi(std::string(status_line.substr(9, 3)));
    while (line_end != std::string_view::npos) {
      head_text.remove_prefix(line_end + 2);
      line_end = head_text.find("\r\n");
      const auto line = head_text.substr(0, line_end);
      const auto colon = line.find(": ");
      std::string name(line.substr(0, colon));
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers.emplace_back(std::move(name), std::string(line.substr(colon + 2)));
    }
    buffer_.erase(0, end + 4);
    const std::size_t length = head ? 0 : std::stoul(reply.header("content-length"));
    while (buffer_.size() < length)
      if (!receive(deadline)) return std::nullopt;
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return reply;
  }

  /// True when the server ends the connection (end of stream or reset) within `limit`; bytes before that are
  /// dropped.
  bool closed_by_server(std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (receive(deadline)) buffer_.clear();
    return ended_;
  }

private:
  // Appends what arrives before the deadline; false at the end of the stream, a reset or the deadline.
  bool receive(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd ready{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) return false;
    char block[16384];
    const auto size = ::recv(fd_, block, sizeof block, 0);
    if (size <= 0) {
      ended_ = true;
      return false;
    }
    buffer_.append(block, static_cast<std::size_t>(size));
    return true;
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int fd_;
  std::string buffer_;
  bool ended_ = false;
};

/// A request for `path` with Host 127.0.0.1, closing the connection after it.
inline std::string request(std::string_view path, std::string_view method = "GET") {
  return std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
}

/// GET `path` on a new connection; a reply with status 0 when none came.
inline HttpReply get(std::uint16_t port, std::string_view path) {
  HttpClient client(port);
  client.send(request(path));
  return client.read_reply().value_or(HttpReply{});
}

// ---- A scene: Alice and Bob wait for each other (a deadlock), Carol waits for Alice, and two idle Workers. ----
// A cycle of asks alone fails at once with cokka::AskCycle, so this one goes through a full mailbox: Alice
// (capacity 1, filled by her own Filler) awaits Bob's reply while Bob waits for room in her mailbox.

struct Wait {};
struct Filler {};

/// Keeps the ActorRef<> it is told; every other message goes to `waits`.
template <class Self>
struct Peer : cokka::Actor<Self> {
  asio::awaitable<int> on_receive(cokka::Message& msg) {
    if (auto* peer = msg.get_if<cokka::ActorRef<>>()) {
      peer_ = *peer;
      co_return 0;
    }
    if (msg.is<Filler>()) co_return 0;
    co_return co_await static_cast<Self*>(this)->waits();
  }
  cokka::ActorRef<> peer_;
};
struct Alice : Peer<Alice> {
  asio::awaitable<int> waits() {
    self().tell(Filler{});  // her mailbox is full now
    auto reply = peer_.ask<int>(Wait{});
    co_return co_await reply.async_wait(asio::use_awaitable);
  }
};
struct Bob : Peer<Bob> {
  asio::awaitable<int> waits() {
    Filler filler;  // named: see the g++ 12 note on temporaries inside co_await
    co_await peer_.async_tell(filler, asio::use_awaitable);
    co_return 0;
  }
};
struct Carol : Peer<Carol> {
  asio::awaitable<int> waits() {
    Wait wait;
    co_return co_await peer_.async_ask<int>(wait, asio::use_awaitable);
  }
};
struct Worker : cokka::Actor<Worker> {
  int on_receive(cokka::Message&) { return 0; }
};

/// Waits until `count` actors of `system` await another one.
inline void await_waits(cokka::System& system, std::size_t count) {
  for (auto waited = 0ms; waited < 10s; waited += 10ms) {
    std::size_t awaiting = 0;
    for (const auto& actor : cokka::debug::snapshot(system)) awaiting += actor.awaiting ? 1 : 0;
    if (awaiting == count) return;
    std::this_thread::sleep_for(10ms);
  }
  throw std::runtime_error("start_deadlock: the waits did not all begin within 10 s");
}

/// Starts the scene in `system`; once it returns, /actors.json shows the cycle Alice -> Bob -> Alice and Carol
/// awaiting Alice. ~System ends the waits.
inline void start_deadlock(cokka::System& system) {
  auto alice = system.start<Alice>(cokka::ActorOptions{.mailbox = {.capacity = 1}});
  auto bob = system.start<Bob>();
  auto carol = system.start<Carol>();
  system.start<Worker>();
  system.start<Worker>();
  // Asked, not told: Alice's mailbox holds one message at a time.
  alice.ask<int>(cokka::ActorRef<>(bob)).get(10s);
  bob.ask<int>(cokka::ActorRef<>(alice)).get(10s);
  carol.ask<int>(cokka::ActorRef<>(alice)).get(10s);
  alice.tell(Wait{});
  await_waits(system, 2);  // Alice awaits Bob, Bob waits for room in Alice's mailbox
  carol.tell(Wait{});
  await_waits(system, 3);
}

/// The actors of a System, with made-up metrics (each call counts 10 more messages handled per type) and dead
/// letters: what the view shows once System has them.
class SourceWithMetrics final : public cokka::detail::live_view::Source {
public:
  explicit SourceWithMetrics(cokka::System& system) : system_(system) {}

  std::vector<cokka::debug::ActorSnapshot> actors() override { return cokka::debug::snapshot(system_); }

  nlohmann::json metrics() override {
    calls_ += 1;
    return {{"types",
             {{{"type", "test::Alice"}, {"handled", 10 * calls_}, {"mailbox_depth", 1}},
              {{"type", "test::Worker"}, {"handled", 25 * calls_}, {"mailbox_depth", calls_ % 4}}}}};
  }

  nlohmann::json dead_letters() override {
    return {{"total", 2},
            {"recent",
             {{{"time_ms", 1'700'000'000'000}, {"reason", "actor dead"}, {"recipient", "test::Bob (urn:uuid:1)"},
               {"message", "test::Wait"}},
              {{"time_ms", 1'700'000'001'000}, {"reason", "mailbox full"}, {"recipient", "test::Worker (urn:uuid:2)"},
               {"message", "int"}}}}};
  }

  Exposition prometheus() override {
    return {"# TYPE cokka_messages_handled_total counter\ncokka_messages_handled_total{actor=\"test::Alice\"} 10\n", {}};
  }

private:
  cokka::System& system_;
  std::atomic<long> calls_{0};
};

}  // namespace test
