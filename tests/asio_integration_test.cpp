// cokka inside an Asio application: completion tokens, where coroutines resume, cancellation by a timer race,
// System(io_context&) embedding, and a TCP chat server whose sessions co_await a Room actor.
#include <cokka/cokka.hpp>
#include <cokka/proxy.hpp>

#include "support.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using asio::ip::tcp;

namespace integration {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

/// The application's own threads running its io_context, as an Asio server would.
class AppThreads {
public:
  explicit AppThreads(asio::io_context& io, int count = 2) : io_(io), guard_(asio::make_work_guard(io)) {
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  AppThreads(const AppThreads&) = delete;
  AppThreads& operator=(const AppThreads&) = delete;
  ~AppThreads() { join(); }
  /// Lets run() return once the context is out of work, and waits for that.
  void join() {
    guard_.reset();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

private:
  asio::io_context& io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

std::size_t os_thread_count() {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                                std::filesystem::directory_iterator{}));
}

/// Runs `coroutine` on `executor` and blocks the test thread until it finished; rethrows its exception.
template <class Executor>
void run_on(const Executor& executor, asio::awaitable<void> coroutine) {
  auto done = asio::co_spawn(executor, std::move(coroutine), asio::use_future);
  REQUIRE(done.wait_for(30s) == std::future_status::ready);  // a hang detector
  done.get();
}

struct Echo : cokka::Actor<Echo> {
  std::string on_receive(cokka::Message& msg) {
    if (msg.is<int>()) throw std::invalid_argument("echo refuses numbers");
    return "echo: " + msg.as<std::string>();
  }
};

}  // namespace integration

using namespace integration;

TEST_CASE("ask takes every Asio completion token, errors carry cokka's exception types") {
  asio::io_context io;
  AppThreads app(io);
  cokka::System system(io);
  auto echo = system.start<Echo>();
  auto strand = asio::make_strand(io);

  // asio::use_future, with and without an executor bound.
  std::future<std::string> plain = echo.ask<std::string>(std::string("a"), asio::use_future);
  std::future<std::string> bound = echo.ask<std::string>(std::string("b"), asio::bind_executor(strand, asio::use_future));
  CHECK(plain.get() == "echo: a");
  CHECK(bound.get() == "echo: b");

  // A callback void(std::exception_ptr, R), run on its bound executor.
  std::promise<std::string> called;
  echo.ask<std::string>(std::string("c"), asio::bind_executor(strand, [&](std::exception_ptr error, std::string reply) {
                          called.set_value(!error && strand.running_in_this_thread() ? reply : "wrong");
                        }));
  CHECK(called.get_future().get() == "echo: c");
  std::promise<std::exception_ptr> failed;
  echo.ask<std::string>(7, asio::bind_executor(strand, [&](std::exception_ptr error, std::string) { failed.set_value(error); }));
  CHECK_THROWS_WITH_AS(std::rethrow_exception(failed.get_future().get()), "echo refuses numbers", std::invalid_argument);

  // use_awaitable and as_tuple(use_awaitable); co_await rethrows cokka's own types.
  auto coroutine = [&]() -> asio::awaitable<void> {
    const auto plain_reply = co_await echo.ask<std::string>(std::string("d"), asio::use_awaitable);
    CHECK(plain_reply == "echo: d");
    auto [error, reply] = co_await echo.ask<std::string>(std::string("e"), use_tuple);
    CHECK_FALSE(error);
    CHECK(reply == "echo: e");
    auto [number_error, ignored] = co_await echo.ask<std::string>(1, use_tuple);
    CHECK_THROWS_AS(std::rethrow_exception(number_error), std::invalid_argument);
    CHECK(ignored.empty());
    bool bad_reply = false;
    try {
      co_await echo.ask<int>(std::string("f"), asio::use_awaitable);
    } catch (const cokka::BadReplyType&) {
      bad_reply = true;
    }
    CHECK(bad_reply);
    const bool stopped = co_await echo.stop_async().async_wait(asio::use_awaitable);
    CHECK(stopped);
    bool dead = false;
    try {
      co_await echo.ask<std::string>(std::string("g"), asio::use_awaitable);
    } catch (const cokka::ActorDeadError& e) {
      dead = std::string(e.what()).find("not found") != std::string::npos;
    }
    CHECK(dead);
  };
  run_on(strand, coroutine());
}

namespace integration {
struct Relay : cokka::Actor<Relay> {
  explicit Relay(cokka::ActorRef<Echo> echo) : echo_(std::move(echo)) {}
  asio::awaitable<bool> on_receive(cokka::Message& msg) {
    const std::string text = msg.as<std::string>();
    auto reply = co_await echo_.ask<std::string>(text, asio::use_awaitable);
    co_return reply == "echo: " + text && executor().running_in_this_thread() &&
        !echo_.cell()->running_in_this_thread();
  }
  cokka::ActorRef<Echo> echo_;
};
}  // namespace integration

TEST_CASE("an awaiting coroutine resumes on its own executor, never inside the replying actor's strand") {
  asio::io_context io;
  AppThreads app(io);
  cokka::System system(io);
  auto echo = system.start<Echo>();
  auto relay = system.start<Relay>(echo);
  for (int i = 0; i < 20; ++i) CHECK(relay.ask<bool>(std::string("r") + std::to_string(i)).get(10s));

  auto strand = asio::make_strand(io);
  auto coroutine = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 20; ++i) {
      auto reply = co_await echo.ask<std::string>(std::to_string(i), asio::use_awaitable);
      CHECK(reply == "echo: " + std::to_string(i));
      CHECK(strand.running_in_this_thread());
      CHECK_FALSE(echo.cell()->running_in_this_thread());
    }
  };
  run_on(strand, coroutine());
}

//! [timer_race]
namespace integration {
struct Hold {};
struct Ping {};

/// Answers Hold only once the test opens the gate; Ping at once.
struct Slow : cokka::Actor<Slow> {
  explicit Slow(test::Gate& gate) : gate_(&gate) {}
  int on_receive(cokka::Message& msg) {
    if (msg.is<Hold>()) return gate_->wait() ? 1 : -1;
    return 2;
  }
  test::Gate* gate_;
};
}  // namespace integration

TEST_CASE("a timer race cancels the wait the Asio way, the actor is not affected and the late reply is dropped") {
  asio::io_context io;
  AppThreads app(io);
  test::Gate gate;
  cokka::System system(io);
  auto slow = system.start<Slow>(gate);
  auto strand = asio::make_strand(io);

  auto race = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(strand, 20ms);
    Hold hold;
    auto reply = slow.ask<int>(hold, asio::use_awaitable);
    auto tick = timer.async_wait(asio::use_awaitable);
    auto winner = co_await (std::move(reply) || std::move(tick));
    CHECK(winner.index() == 1);  // the gate is shut, so only the timer can finish
    CHECK(strand.running_in_this_thread());
  };
  run_on(strand, race());

  // The cancellation slot of the awaiting coroutine itself: the wait ends with operation_aborted.
  asio::cancellation_signal cancel;
  std::promise<std::error_code> aborted;
  auto cancelled = [&]() -> asio::awaitable<void> {
    const auto emit = [&cancel] { cancel.emit(asio::cancellation_type::terminal); };
    asio::post(strand, emit);  // runs once this coroutine is suspended in the wait below
    try {
      Hold hold;
      co_await slow.ask<int>(hold, asio::use_awaitable);
      aborted.set_value({});
    } catch (const std::system_error& e) {
      aborted.set_value(e.code());
    }
  };
  asio::co_spawn(strand, cancelled(), asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  auto code = aborted.get_future();
  REQUIRE(code.wait_for(30s) == std::future_status::ready);
  CHECK(code.get() == asio::error_code(asio::error::operation_aborted));

  gate.open();  // both Hold replies now arrive with nobody waiting for them
  CHECK(slow.is_alive());
  CHECK(slow.ask<int>(Ping{}).get(10s) == 2);
}
//! [timer_race]

namespace integration {
struct Recorded : cokka::Actor<Recorded> {
  Recorded(test::Journal& journal, std::string name) : journal_(&journal), name_(std::move(name)) {}
  void on_stop() { journal_->add("stopped " + name_); }
  std::string on_receive(cokka::Message&) { return name_; }
  test::Journal* journal_;
  std::string name_;
};
}  // namespace integration

TEST_CASE("System(io_context&): no threads of its own, strands on the app's context, destroyed before it stops") {
  asio::io_context io;
  AppThreads app(io);
  const auto threads_before = os_thread_count();
  test::Journal journal;
  {
    cokka::System system(io);
    CHECK(system.thread_count() == 0);
    std::vector<cokka::ActorRef<Recorded>> actors;
    for (const char* name : {"a", "b", "c"}) actors.push_back(system.start<Recorded>(journal, name));
    for (auto& actor : actors) {
      CHECK(&actor.cell()->context() == &io);
      CHECK(actor.ask<std::string>(0).get(10s).size() == 1);
    }
    CHECK(os_thread_count() == threads_before);
  }  // the app's threads still run the context here
  CHECK(journal.events() == std::vector<std::string>{"stopped c", "stopped b", "stopped a"});
  app.join();  // run() returns: cokka left no work behind
  CHECK(io.stopped());
}

namespace integration {

using Lines = std::vector<std::string>;
struct Join {};
struct Say {
  int member;
  std::string text;
};
struct Poll {
  int member;
};
struct Leave {
  int member;
};

/// A chat room: members say lines and poll for the ones they have not seen yet (from the start of the room).
/// A poll with nothing new is answered with a Future that the room completes at the next Say (a long poll).
struct Room : cokka::Actor<Room> {
  cokka::Message on_receive(cokka::Message& msg) {
    if (msg.is<Join>()) {
      members_[next_id_];
      return next_id_++;
    }
    if (auto* say = msg.get_if<Say>()) {
      log_.push_back(std::to_string(say->member) + ": " + say->text);
      deliver();
      return log_.size();
    }
    if (auto* poll = msg.get_if<Poll>()) {
      auto& member = members_.at(poll->member);
      auto lines = member.waiting.emplace().get_future();
      deliver();
      return lines;
    }
    if (auto* leave = msg.get_if<Leave>()) {
      members_.erase(leave->member);  // a pending poll breaks; its reader is gone already
      return {};
    }
    throw std::invalid_argument("Room: unknown message");
  }

  void deliver() {
    for (auto& [id, member] : members_) {
      if (!member.waiting || member.seen == log_.size()) continue;
      member.waiting->set_value(Lines(log_.begin() + static_cast<std::ptrdiff_t>(member.seen), log_.end()));
      member.waiting.reset();
      member.seen = log_.size();
    }
  }

  struct Member {
    std::size_t seen = 0;
    std::optional<cokka::Promise<Lines>> waiting;
  };
  int next_id_ = 0;
  Lines log_;
  std::map<int, Member> members_;
};

using Strand = asio::strand<asio::io_context::executor_type>;

/// Counts awaits that resumed anywhere but on the session's own strand.
struct Resumptions {
  std::atomic<int> checked{0};
  std::atomic<int> misplaced{0};
  void check(const Strand& own, const cokka::ActorRef<Room>& room) {
    ++checked;
    if (!own.running_in_this_thread() || room.cell()->running_in_this_thread()) ++misplaced;
  }
};

asio::awaitable<void> read_lines(cokka::ActorRef<Room> room, int id, tcp::socket& socket, Strand strand,
                                 Resumptions& resumptions) {
  std::string buffer;
  for (;;) {
    auto [error, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), '\n', use_tuple);
    if (error) co_return;  // the client shut its side: it has seen everything
    Say say{id, buffer.substr(0, n - 1)};
    buffer.erase(0, n);
    co_await room.ask<std::size_t>(std::move(say), asio::use_awaitable);
    resumptions.check(strand, room);
  }
}

asio::awaitable<void> write_lines(cokka::ActorRef<Room> room, int id, tcp::socket& socket, Strand strand,
                                  Resumptions& resumptions) {
  for (;;) {
    Poll poll{id};
    auto next = co_await room.ask<cokka::Future<Lines>>(poll, asio::use_awaitable);  // a Future, not flattened
    resumptions.check(strand, room);
    auto lines = co_await next.async_wait(asio::use_awaitable);
    resumptions.check(strand, room);
    std::string out;
    for (const auto& line : lines) out += line + '\n';
    co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);
  }
}

/// One connection, on its own strand (the socket's executor).
asio::awaitable<void> session(cokka::ActorRef<Room> room, tcp::socket socket, Strand strand, Resumptions& resumptions) {
  Join join;
  const int id = co_await room.ask<int>(join, asio::use_awaitable);
  resumptions.check(strand, room);
  auto reader = read_lines(room, id, socket, strand, resumptions);
  auto writer = write_lines(room, id, socket, strand, resumptions);
  co_await (std::move(reader) || std::move(writer));  // the reader ends at EOF; || cancels the writer's wait
  Leave leave{id};
  co_await room.ask<void>(leave, asio::use_awaitable);
  socket.close();
}

asio::awaitable<void> serve(asio::io_context& io, cokka::ActorRef<Room> room, tcp::acceptor& acceptor, int sessions,
                            Resumptions& resumptions, test::Journal& errors) {
  for (int i = 0; i < sessions; ++i) {
    auto strand = asio::make_strand(io);
    auto socket = co_await acceptor.async_accept(strand, asio::use_awaitable);
    const auto report = [&errors](std::exception_ptr error) {
      try {
        if (error) std::rethrow_exception(error);
      } catch (const std::exception& e) {
        errors.add(std::string("session: ") + e.what());
      }
    };
    asio::co_spawn(strand, session(room, std::move(socket), strand, resumptions), report);
  }
}

/// Says its lines, reads until it has seen every line of every client, then shuts its side and waits for EOF.
asio::awaitable<std::set<std::string>> client(tcp::endpoint server, int index, int lines, std::size_t expected) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(server, asio::use_awaitable);
  std::string out;
  for (int j = 0; j < lines; ++j) out += "c" + std::to_string(index) + "m" + std::to_string(j) + '\n';
  co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);
  std::set<std::string> seen;
  std::string buffer;
  while (seen.size() < expected) {
    const auto n = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), '\n', asio::use_awaitable);
    const auto line = buffer.substr(0, n - 1);
    buffer.erase(0, n);
    seen.insert(line.substr(line.find(": ") + 2));
  }
  socket.shutdown(tcp::socket::shutdown_send);
  auto [eof, ignored] = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), '\n', use_tuple);
  CHECK(eof == asio::error_code(asio::error::eof));
  co_return seen;
}

}  // namespace integration

TEST_CASE("a TCP chat on loopback: sessions co_await a Room actor and every client gets every message") {
  constexpr int clients = 5;
  constexpr int lines_each = 20;
  asio::io_context io;
  AppThreads app(io);
  Resumptions resumptions;
  test::Journal errors;
  std::vector<std::future<std::set<std::string>>> results;
  {
    cokka::System system(io);
    auto room = system.start<Room>();
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    const auto server = acceptor.local_endpoint();
    const auto report = [&errors](std::exception_ptr error) {
      try {
        if (error) std::rethrow_exception(error);
      } catch (const std::exception& e) {
        errors.add(std::string("server: ") + e.what());
      }
    };
    asio::co_spawn(acceptor.get_executor(), serve(io, room, acceptor, clients, resumptions, errors), report);
    for (int i = 0; i < clients; ++i)
      results.push_back(asio::co_spawn(asio::make_strand(io), client(server, i, lines_each, clients * lines_each),
                                       asio::use_future));
    for (auto& result : results) REQUIRE(result.wait_for(60s) == std::future_status::ready);  // hang detector

    std::set<std::string> expected;
    for (int i = 0; i < clients; ++i)
      for (int j = 0; j < lines_each; ++j) expected.insert("c" + std::to_string(i) + "m" + std::to_string(j));
    for (auto& result : results) CHECK(result.get() == expected);
    CHECK(room.ask<std::size_t>(Say{-1, "closing"}).get(10s) == clients * lines_each + 1);
  }  // ~System while the app's threads still run the context
  app.join();
  CHECK(errors.events().empty());
  CHECK(resumptions.checked >= clients * lines_each);
  CHECK(resumptions.misplaced == 0);
}

namespace integration {
struct Calculator : cokka::Actor<Calculator> {
  int add(int a, int b) { return a + b; }
  int divide(int a, int b) {
    if (b == 0) throw std::domain_error("division by zero");
    return a / b;
  }
};
COKKA_REFLECT(Calculator, methods(add, divide));
}  // namespace integration

TEST_CASE("a proxy call's future takes completion tokens too") {
  asio::io_context io;
  AppThreads app(io);
  cokka::System system(io);
  auto calc = system.start<Calculator>().proxy();
  CHECK(calc.add(2, 3).async_wait(asio::use_future).get() == 5);
  auto strand = asio::make_strand(io);
  auto coroutine = [&]() -> asio::awaitable<void> {
    const int three = co_await calc.add(1, 2).async_wait(asio::use_awaitable);
    CHECK(three == 3);
    auto [error, ignored] = co_await calc.divide(1, 0).async_wait(use_tuple);
    CHECK_THROWS_WITH_AS(std::rethrow_exception(error), "division by zero", std::domain_error);
    auto both = cokka::join(calc.add(1, 1), calc.divide(9, 3)).map([](std::tuple<int, int> t) {
      return std::get<0>(t) * std::get<1>(t);
    });
    const int six = co_await both.async_wait(asio::use_awaitable);
    CHECK(six == 6);
  };
  run_on(strand, coroutine());
}
