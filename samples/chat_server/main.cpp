// chat_server: cokka inside an ordinary Asio server. The chat room is an actor; each connection is an Asio
// coroutine that co_awaits the room's replies. cokka borrows the server's io_context (System(io_context&)),
// so actors and sockets share one event loop and cokka adds no threads. The program plays a scripted
// conversation between three clients over 127.0.0.1, then a fourth who joins and says nothing, whom the room
// disconnects after 2 s (a keyed timer per newcomer), prints what each client hears, shuts the server down
// and exits. The System counts metrics, which a few lines of Asio serve as `GET /metrics` (Prometheus text) on
// a second port of the same io_context; the script reads them once, as a scraper would. With `--live-view 8080` the room is also in the browser (http://127.0.0.1:8080/), and the server
// waits for Ctrl-C before it shuts down, taking more clients meanwhile (`nc 127.0.0.1 <port>`, a name first).
#include "../common/live_view_flag.hpp"

#include <cokka/cokka.hpp>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/signal_set.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

// Socket errors are the normal end of a connection here, so they come back as values, not exceptions.
constexpr auto as_tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

// The lines the room sends one client. A concurrent channel, because the room (on its own strand) and the
// client's session put and take lines independently.
using Outbox = asio::experimental::concurrent_channel<void(asio::error_code, std::string)>;

// ---- The room: an actor, so the member list needs no lock whichever thread a session runs on. ----

struct Join {
  std::string name;
  std::shared_ptr<Outbox> outbox;
};
struct Say {
  std::string name;
  std::string text;
};
struct Leave {
  std::string name;
};
struct StillSilent {  // a newcomer's greeting timer: said nothing since joining
  std::string name;
};

// A newcomer who says nothing for this long is disconnected.
constexpr auto greeting_time = 2s;

struct Room : cokka::Actor<Room> {
  // Every message is answered with the number of members, which also tells the session it was handled.
  std::size_t on_receive(cokka::Message& msg) {
    //! [greeting]
    if (auto* join = msg.get_if<Join>()) {
      members_[join->name] = std::move(join->outbox);
      broadcast("* " + join->name + " joined, " + std::to_string(members_.size()) + " here");
      // Keyed by name: a timer of a member who left and came back is replaced, never delivered twice.
      timers().start_single(join->name, StillSilent{join->name}, greeting_time);
    } else if (const auto* say = msg.get_if<Say>()) {
      timers().cancel(say->name);  // no-op after the first line
      broadcast(say->name + ": " + say->text);
      //! [greeting]
    } else if (const auto* leave = msg.get_if<Leave>()) {
      timers().cancel(leave->name);
      members_.erase(leave->name);
      broadcast("* " + leave->name + " left, " + std::to_string(members_.size()) + " here");
    } else if (const auto* silent = msg.get_if<StillSilent>()) {
      // Closing the outbox ends the member's session, which then leaves as any client does. (The member is
      // there: leaving cancels the timer, and a cancelled timer's message is never delivered.)
      if (auto member = members_.find(silent->name); member != members_.end()) {
        member->second->try_send(asio::error_code{}, "(you said nothing for 2 s: disconnected)");
        member->second->close();
      }
    }
    return members_.size();
  }

  // The server is shutting down: a closed outbox ends its session, which closes the connection.
  void on_stop() {
    for (auto& [name, outbox] : members_) outbox->close();
  }

  void broadcast(const std::string& line) {
    // try_send never waits: a client too slow to take its lines loses some instead of stalling the room.
    for (auto& [name, outbox] : members_) outbox->try_send(asio::error_code{}, line);
  }

  std::map<std::string, std::shared_ptr<Outbox>> members_;
};

// ---- The server: an accept loop and one session coroutine per connection. ----

// The completion of every coroutine here: a failure is rethrown out of io.run_for, so a broken run ends the
// program loudly (asio::detached would swallow it).
void rethrow_failure(std::exception_ptr error) {
  if (error) std::rethrow_exception(error);
}

// One '\n'-terminated line, or nothing at the end of the stream (or on a socket error).
asio::awaitable<std::optional<std::string>> read_line(tcp::socket& socket, std::string& buffer) {
  auto [error, size] = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), '\n', as_tuple_awaitable);
  if (error) co_return std::nullopt;
  std::string line = buffer.substr(0, size - 1);
  buffer.erase(0, size);
  co_return line;
}

// Client -> room. The room's mailbox is bounded (see main): async_tell completes once the line is queued, so
// while the room is behind, a flooding client's session stops reading its socket (TCP then slows the client)
// instead of growing the room's mailbox. No thread waits meanwhile, and one client's lines stay in order.
asio::awaitable<void> relay_to_room(tcp::socket& socket, std::string& buffer, cokka::ActorRef<Room> room,
                                    std::string name) {
  while (auto line = co_await read_line(socket, buffer)) {
    // A named message, not a temporary inside the co_await: g++ 12 destroys a braced temporary written inside
    // a co_await expression twice (see the Asio field notes).
    //! [session]
    Say say{name, std::move(*line)};
    co_await room.async_tell(std::move(say), asio::use_awaitable);
    //! [session]
  }
}

// Room -> client, until the outbox is closed, the wait is cancelled (the client hung up) or the socket fails.
asio::awaitable<void> deliver_to_client(tcp::socket& socket, Outbox& outbox) {
  for (;;) {
    auto [ended, line] = co_await outbox.async_receive(as_tuple_awaitable);
    if (ended) co_return;
    line += '\n';
    auto [error, size] = co_await asio::async_write(socket, asio::buffer(line), as_tuple_awaitable);
    if (error) co_return;
  }
}

asio::awaitable<void> session(tcp::socket socket, cokka::ActorRef<Room> room) {
  std::string buffer;
  auto name = co_await read_line(socket, buffer);  // a client's first line is its name
  if (!name) co_return;
  auto outbox = std::make_shared<Outbox>(co_await asio::this_coro::executor, 64);
  try {
    Join join{*name, outbox};
    co_await room.ask<std::size_t>(std::move(join), asio::use_awaitable);
    // Both directions at once; when one ends (the client hung up, or the room closed the outbox), the other
    // is cancelled.
    co_await (relay_to_room(socket, buffer, room, *name) || deliver_to_client(socket, *outbox));
    Leave leave{*name};
    co_await room.ask<std::size_t>(std::move(leave), asio::use_awaitable);
  } catch (const cokka::ActorDeadError&) {
    // The room has stopped, so the server is shutting down: nothing left to do but hang up.
  }
}  // the socket closes here

asio::awaitable<void> accept_clients(tcp::acceptor& acceptor, cokka::ActorRef<Room> room) {
  for (;;) {
    // Each session gets a strand, so its two directions never run at once should io run on several threads.
    auto strand = asio::make_strand(acceptor.get_executor());
    auto [error, socket] = co_await acceptor.async_accept(strand, as_tuple_awaitable);
    if (error) co_return;  // the acceptor was closed
    asio::co_spawn(socket.get_executor(), session(std::move(socket), room), rethrow_failure);
  }
}

// ---- GET /metrics: the System's metrics in Prometheus text, one request per connection. ----

asio::awaitable<void> answer_metrics(tcp::socket socket, cokka::System& system) {
  std::string request;
  auto [error, size] = co_await asio::async_read_until(socket, asio::dynamic_buffer(request, 8192), "\r\n\r\n",
                                                       as_tuple_awaitable);
  if (error) co_return;
  const bool metrics = request.rfind("GET /metrics ", 0) == 0;
  const std::string body = metrics ? cokka::metrics::to_prometheus(system.metrics()) : "only GET /metrics here\n";
  const std::string response = (metrics ? "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                                        : "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n") +
                               ("Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n") +
                               body;
  co_await asio::async_write(socket, asio::buffer(response), as_tuple_awaitable);
}  // the socket closes here

asio::awaitable<void> serve_metrics(tcp::acceptor& acceptor, cokka::System& system) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(as_tuple_awaitable);
    if (error) co_return;  // the acceptor was closed
    asio::co_spawn(acceptor.get_executor(), answer_metrics(std::move(socket), system), rethrow_failure);
  }
}

// ---- The scripted clients. ----

struct Client {
  std::string name;
  tcp::socket socket;
  std::string buffer;
};

asio::awaitable<void> say(Client& client, std::string text) {
  std::cout << client.name << " says: " << text << '\n';
  text += '\n';
  co_await asio::async_write(client.socket, asio::buffer(text), asio::use_awaitable);
}

asio::awaitable<Client> connect(tcp::endpoint server, std::string name) {
  auto executor = co_await asio::this_coro::executor;
  Client client{std::move(name), tcp::socket(executor), {}};
  co_await client.socket.async_connect(server, asio::use_awaitable);
  std::string first_line = client.name + '\n';  // introduce ourselves
  co_await asio::async_write(client.socket, asio::buffer(first_line), asio::use_awaitable);
  co_return client;
}

// Each client present reads its next line. The script only goes on once everybody has heard the last
// event, which makes the transcript the same on every run.
asio::awaitable<void> everyone_hears(std::span<Client> clients) {
  for (auto& client : clients) {
    auto line = co_await read_line(client.socket, client.buffer);
    std::cout << "  " << client.name << " hears: " << line.value_or("(the server closed the connection)") << '\n';
  }
}

// Reads GET /metrics as a Prometheus scraper would, and prints the room's message counters.
asio::awaitable<void> scrape(tcp::endpoint metrics) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(metrics, asio::use_awaitable);
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
  std::string response;
  co_await asio::async_read(socket, asio::dynamic_buffer(response), as_tuple_awaitable);  // up to the close
  std::istringstream lines(response);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("cokka_messages_", 0) == 0 && line.find("{actor=\"Room\"}") != std::string::npos)
      std::cout << "metrics: " << line << '\n';
}

asio::awaitable<void> conversation(tcp::acceptor& acceptor, tcp::acceptor& metrics, cokka::ActorRef<Room> room,
                                   sample::LiveViewFlag& live_view) {
  const auto server = acceptor.local_endpoint();
  std::vector<Client> present;
  const std::array<std::string, 3> names{"alice", "bob", "carol"};
  for (const auto& name : names) {
    present.push_back(co_await connect(server, name));
    co_await everyone_hears(present);
  }
  co_await say(present[0], "hi all");
  co_await everyone_hears(present);
  co_await say(present[1], "hi alice!");
  co_await everyone_hears(present);
  co_await say(present[2], "got to go, bye");
  co_await everyone_hears(present);
  present.pop_back();  // carol hangs up
  co_await everyone_hears(present);
  present.push_back(co_await connect(server, "dave"));  // and says nothing
  co_await everyone_hears(present);
  co_await everyone_hears(present);  // 2 s later: dave is told why, the others that he left
  co_await everyone_hears(std::span(present).last(1));  // dave's connection closes
  present.pop_back();

  if (live_view) {
    asio::signal_set interrupt(co_await asio::this_coro::executor, SIGINT, SIGTERM);
    std::cout << "server: more clients may join on " << server << "; Ctrl-C shuts the server down" << std::endl;
    co_await interrupt.async_wait(asio::use_awaitable);
  }

  co_await scrape(metrics.local_endpoint());

  // Shut the server down while alice and bob are still connected.
  std::cout << "server: shutting down\n";
  acceptor.close();                                            // no more clients: the accept loop ends
  metrics.close();
  live_view.close();
  co_await room.stop_async().async_wait(asio::use_awaitable);  // on_stop closes every member's outbox
  co_await everyone_hears(present);
}

int main(int argc, char** argv) {
  sample::LiveViewFlag live_view(argc, argv);
  asio::io_context io;
  // Borrows io: the room runs on the server's own event loop. With metrics: they cost a few clock reads per message.
  cokka::System system(io, cokka::SystemOptions{.metrics = true});
  // At most 256 lines wait for the room: senders beyond that wait for room (async_tell), see relay_to_room.
  auto room = system.start<Room>(cokka::ActorOptions{.mailbox = {.capacity = 256}});
  tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});  // port 0: the OS picks a free port
  tcp::acceptor metrics(io, {asio::ip::address_v4::loopback(), 0});
  std::cout << "server: listening on " << acceptor.local_endpoint() << ", GET /metrics on " << metrics.local_endpoint()
            << '\n';
  live_view.open(system);  // on io too
  asio::co_spawn(io, accept_clients(acceptor, room), rethrow_failure);
  asio::co_spawn(io, serve_metrics(metrics, system), rethrow_failure);
  asio::co_spawn(io, conversation(acceptor, metrics, room, live_view), rethrow_failure);

  // run() would return by itself once the conversation is over and every connection closed; run_for puts a
  // bound on it in case something goes wrong (not with the live view, which waits for Ctrl-C).
  if (live_view)
    io.run();
  else
    io.run_for(20s);
  if (!io.stopped()) {
    std::cout << "chat_server: the conversation did not finish within 20 s\n";
    io.stop();  // so that ~System does not wait for actors nobody runs any more
    return 1;
  }
  std::cout << "server: stopped cleanly\n";
}
