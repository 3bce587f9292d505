// cokka::LiveView (docs/live-view.md) over real sockets on 127.0.0.1: the endpoints and their JSON, refused and
// oversized requests, the limits, many clients at once, and every shutdown order (the view first, the System
// first, the io_context first, from an io thread, while clients are connected and mid-request).
#include "support.hpp"

#include <cokka/cokka.hpp>
#include <cokka/live_view.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using nlohmann::json;
using test::get;
using test::HttpClient;
using test::request;

namespace {

json actors_json(std::uint16_t port) {
  const auto reply = get(port, "/actors.json");
  REQUIRE(reply.status == 200);
  return json::parse(reply.body);
}

// A 503 means the server has not yet noticed a client that left: ask again until it has.
int status_once_a_slot_is_free(std::uint16_t port) {
  int status = 0;
  for (auto waited = 0ms; waited < 10s; waited += 20ms) {
    status = get(port, "/healthz").status;
    if (status != 503) break;
    std::this_thread::sleep_for(20ms);
  }
  return status;
}

bool refuses_connections(std::uint16_t port) {
  try {
    HttpClient client(port);
    return false;
  } catch (const std::runtime_error&) {
    return true;
  }
}

}  // namespace

// ---- The endpoints ----

TEST_CASE("live view: GET /healthz answers ok") {
  //! [open]
  cokka::System system(cokka::threads{2});
  cokka::LiveView view(system);  // on the System's io_context, 127.0.0.1, a free port ({.port = 8080}: that one)
  //! [open]
  CHECK(view.endpoint().address().is_loopback());
  CHECK(view.port() != 0);
  CHECK(view.url() == "http://127.0.0.1:" + std::to_string(view.port()) + "/");
  const auto reply = get(view.port(), "/healthz");
  CHECK(reply.status == 200);
  CHECK(reply.body == "ok\n");
  CHECK(reply.header("content-type") == "text/plain; charset=utf-8");
  CHECK(reply.header("cache-control") == "no-store");
}

TEST_CASE("live view: GET / is one self-contained page carrying its first data") {
  cokka::System system(cokka::threads{2});
  system.start<test::Worker>();
  cokka::LiveView view(system);
  const auto reply = get(view.port(), "/");
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type") == "text/html; charset=utf-8");
  CHECK(reply.header("content-security-policy").find("default-src 'none'") != std::string::npos);
  const auto& page = reply.body;
  // Nothing loaded from elsewhere: no external script, style sheet, image, font or import.
  for (const char* outside : {" src=", "<link", "@import", "url(http", "//cdn", "@font-face"}) {
    CAPTURE(outside);
    CHECK(page.find(outside) == std::string::npos);
  }
  const std::string open = "<script id=\"initial-data\" type=\"application/json\">";
  const auto begin = page.find(open);
  REQUIRE(begin != std::string::npos);
  const auto end = page.find("</script>", begin);
  const auto data = json::parse(page.substr(begin + open.size(), end - begin - open.size()));
  REQUIRE(data["actors"].size() == 1);
  CHECK(data["actors"][0]["type"] == "test::Worker");
}

TEST_CASE("live view: GET /actors.json has every documented field") {
  cokka::System system(cokka::threads{2});
  system.start<test::Worker>();
  system.start<test::Worker>();
  cokka::LiveView view(system, {.refresh = 750ms});
  const auto reply = get(view.port(), "/actors.json");
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type") == "application/json");
  const auto data = json::parse(reply.body);
  CHECK(data["version"] == 1);
  CHECK(data["refresh_ms"] == 750);
  CHECK(data["now_ms"].is_number_integer());
  CHECK(data["actors_total"] == 2);  // the view's own anchor is not listed
  CHECK(data["truncated"] == false);
  CHECK(data["cycles"] == json::array());
  CHECK(data["metrics"].is_null());  // metrics are off
  CHECK(data["dead_letters"].is_null());  // none yet
  REQUIRE(data["actors"].size() == 2);
  for (const auto& actor : data["actors"]) {
    CHECK(actor["type"] == "test::Worker");
    CHECK(actor["urn"].get<std::string>().rfind("urn:uuid:", 0) == 0);
    CHECK(actor["state"] == "idle");
    CHECK(actor["mailbox_depth"] == 0);
    CHECK(actor["handling"] == "");
    CHECK(actor["handling_for_ms"] == 0);
    CHECK(actor["awaiting"].is_null());
    CHECK(actor["awaiting_room"] == false);
    CHECK(actor["in_cycle"] == false);
  }
}

TEST_CASE("live view: a deadlocked pair is a cycle, an actor waiting on it is not part of it") {
  cokka::System system(cokka::threads{2});
  test::start_deadlock(system);
  cokka::LiveView view(system);
  const auto data = actors_json(view.port());
  REQUIRE(data["cycles"].size() == 1);
  const auto& cycle = data["cycles"][0];
  REQUIRE(cycle.size() == 2);
  CHECK(cycle[0]["type"] == "test::Alice");  // a cycle starts with its first started actor
  CHECK(cycle[1]["type"] == "test::Bob");
  std::map<std::string, json> by_type;
  for (const auto& actor : data["actors"]) by_type[actor["type"]] = actor;
  CHECK(by_type["test::Alice"]["state"] == "awaiting");
  CHECK(by_type["test::Alice"]["handling"] == "test::Wait");
  CHECK(by_type["test::Alice"]["mailbox_depth"] == 1);  // her Filler: full at capacity 1
  CHECK(by_type["test::Alice"]["awaiting_room"] == false);
  CHECK(by_type["test::Alice"]["awaiting"]["urn"] == by_type["test::Bob"]["urn"]);
  CHECK(by_type["test::Alice"]["awaiting"]["type"] == "test::Bob");
  CHECK(by_type["test::Alice"]["in_cycle"] == true);
  CHECK(by_type["test::Bob"]["in_cycle"] == true);
  CHECK(by_type["test::Bob"]["awaiting"]["type"] == "test::Alice");
  CHECK(by_type["test::Bob"]["awaiting_room"] == true);
  CHECK(by_type["test::Carol"]["state"] == "awaiting");
  CHECK(by_type["test::Carol"]["awaiting"]["urn"] == by_type["test::Alice"]["urn"]);
  CHECK(by_type["test::Carol"]["in_cycle"] == false);
  CHECK(by_type["test::Worker"]["in_cycle"] == false);
}

TEST_CASE("live view: max_actors lists the first ones and says so, cycles are found among all") {
  cokka::System system(cokka::threads{2});
  for (int i = 0; i < 3; ++i) system.start<test::Worker>();
  test::start_deadlock(system);
  cokka::LiveView view(system, {.max_actors = 2});
  const auto data = actors_json(view.port());
  CHECK(data["actors_total"] == 8);
  CHECK(data["truncated"] == true);
  CHECK(data["actors"].size() == 2);
  CHECK(data["cycles"].size() == 1);
}

TEST_CASE("live view: GET /metrics is a 404 with a sentence while the System's metrics are off") {
  cokka::System system(cokka::threads{2});
  cokka::LiveView view(system);
  const auto reply = get(view.port(), "/metrics");
  CHECK(reply.status == 404);
  CHECK(reply.body.find("metrics are off: start the System with cokka::SystemOptions{.metrics = true}") !=
        std::string::npos);
}

TEST_CASE("live view: a System's metrics and dead letters - /metrics in Prometheus text, both in the JSON") {
  cokka::System system(cokka::SystemOptions{.threads = 2, .metrics = true});
  auto worker = system.start<test::Worker>();
  for (int i = 0; i < 3; ++i) CHECK(worker.ask<int>(i).get(5s) == 0);
  auto gone = system.start<test::Worker>();
  gone.stop();
  CHECK_THROWS_AS(gone.tell(1), cokka::ActorDeadError);  // a dead letter: told to a dead actor
  cokka::LiveView view(system);
  const auto metrics = get(view.port(), "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metrics.body.find("cokka_messages_handled_total{actor=\"test::Worker\"} 3\n") != std::string::npos);
  CHECK(metrics.body.find("cokka_actors{actor=\"test::Worker\"} 1\n") != std::string::npos);
  CHECK(metrics.body.find("LiveViewAnchor") == std::string::npos);  // the view's own actor is not the program's
  const auto data = actors_json(view.port());
  REQUIRE(data["metrics"]["types"].size() == 1);
  CHECK(data["metrics"]["types"][0] == json{{"type", "test::Worker"}, {"handled", 3}, {"mailbox_depth", 0}});
  CHECK(data["dead_letters"]["total"] == 1);
  CHECK(data["dead_letters"]["recent"].empty());  // it came before the view subscribed
  CHECK_THROWS_AS(gone.tell(2), cokka::ActorDeadError);
  const auto later = actors_json(view.port())["dead_letters"];
  CHECK(later["total"] == 2);
  REQUIRE(later["recent"].size() == 1);
  CHECK(later["recent"][0]["reason"] == "dead_actor");
  CHECK(later["recent"][0]["recipient"] == to_string(gone));
  CHECK(later["recent"][0]["message"] == "int");
  CHECK(later["recent"][0]["time_ms"].is_number_integer());
}

TEST_CASE("live view: a source with metrics and dead letters: /metrics answers and the JSON carries both") {
  cokka::System system(cokka::threads{2});
  auto server = cokka::detail::live_view::serve(system.context(), {asio::ip::address_v4::loopback(), 0}, {},
                                                std::make_shared<test::SourceWithMetrics>(system), {});
  const auto port = server->local_endpoint().port();
  const auto metrics = get(port, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metrics.body.find("cokka_messages_handled_total{actor=\"test::Alice\"} 10") != std::string::npos);
  const auto data = actors_json(port);
  CHECK(data["metrics"]["types"].size() == 2);
  CHECK(data["metrics"]["types"][0]["handled"] == 10);
  CHECK(data["dead_letters"]["total"] == 2);
  CHECK(data["dead_letters"]["recent"][0]["reason"] == "actor dead");
  server->close();
}

TEST_CASE("live view: HEAD has GET's headers and no body, other methods get 405, unknown paths 404") {
  cokka::System system(cokka::threads{2});
  cokka::LiveView view(system);
  {
    HttpClient client(view.port());
    client.send(request("/healthz", "HEAD"));
    const auto reply = client.read_reply(true);
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->header("content-length") == "3");
    CHECK(client.closed_by_server());  // and no body came before the end
  }
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    CAPTURE(method);
    HttpClient client(view.port());
    client.send(request("/actors.json", method));
    const auto reply = client.read_reply();
    REQUIRE(reply);
    CHECK(reply->status == 405);
    CHECK(reply->header("allow") == "GET, HEAD");
  }
  const auto missing = get(view.port(), "/nothing-here");
  CHECK(missing.status == 404);
  CHECK(missing.body.find("/actors.json") != std::string::npos);
}

// ---- Refused requests and limits ----

TEST_CASE("live view: malformed requests get 400 and the connection closes, the server serves on") {
  cokka::System system(cokka::threads{2});
  cokka::LiveView view(system);
  const std::vector<std::string> malformed = {
      "garbage\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",                                    // no Host
      "GET /\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc",
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      std::string("\0\0\0\0\r\n\r\n", 8),
  };
  for (const auto& bytes : malformed) {
    CAPTURE(bytes);
    HttpClient client(view.port());
    client.send(bytes);
    const auto reply = client.read_reply();
    REQUIRE(reply);
    CHECK(reply->status == 400);
    CHECK(reply->header("connection") == "close");
    CHECK_FALSE(reply->body.empty());
    CHECK(client.closed_by_server());
  }
  HttpClient version(view.port());
  version.send("GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n");
  CHECK(version.read_reply().value_or(test::HttpReply{}).status == 505);
  CHECK(get(view.port(), "/healthz").status == 200);
}

TEST_CASE("live view: a request head over max_request_bytes gets 431, even while the client still sends") {
  cokka::System system(cokka::threads{2});
  cokka::LiveView view(system, {.max_request_bytes = 1024});
  HttpClient client(view.port());
  std::string huge = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  while (huge.size() < 200'000) huge += "X-Filler: " + std::string(100, 'x') + "\r\n";
  // The server answers after the first KiB and drops the rest: the whole still goes through.
  CHECK(client.send(huge + "\r\n"));
  const auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 431);
  CHECK(client.closed_by_server());
}

TEST_CASE("live view: a foreign Host is refused (DNS rebinding), loopback names are served") {
  cokka::System system(cokka::threads{2});
  cokka::LiveView view(system);
  const auto status_for = [&](const std::string& host) {
    HttpClient client(view.port());
    client.send("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    return client.read_reply().value_or(test::HttpReply{}).status;
  };
  CHECK(status_for("attacker.example") == 403);
  CHECK(status_for("attacker.example:" + std::to_string(view.port())) == 403);
  CHECK(status_for("10.0.0.1") == 403);
  CHECK(status_for("localhost:" + std::to_string(view.port())) == 200);
  CHECK(status_for("LOCALHOST") == 200);
  CHECK(status_for("127.0.0.1") == 200);
  CHECK(status_for("127.1.2.3:80") == 200);
  CHECK(status_for("[::1]:" + std::to_string(view.port())) == 200);
}

TEST_CASE("live view: a non-loopback address needs allow_remote, which also serves any Host") {
  cokka::System system(cokka::threads{2});
  CHECK_THROWS_WITH_AS(cokka::LiveView(system, {.address = "0.0.0.0"}),
                       doctest::Contains("is not a loopback address: set LiveViewOptions::allow_remote"),
                       cokka::InvalidState);
  CHECK_THROWS_WITH_AS(cokka::LiveView(system, {.address = "localhost"}), doctest::Contains("is not an IP address"),
                       cokka::InvalidState);
  cokka::LiveView remote(system, {.address = "0.0.0.0", .allow_remote = true});
  CHECK(remote.url() == "http://0.0.0.0:" + std::to_string(remote.port()) + "/");
  HttpClient client(remote.port());
  client.send("GET /healthz HTTP/1.1\r\nHost: monitoring.example\r\n\r\n");
  CHECK(client.read_reply().value_or(test::HttpReply{}).status == 200);
}

TEST_CASE("live view: a port in use throws std::system_error naming it") {
  cokka::System system(cokka::threads{2});
  cokka::LiveView first(system);
  const auto port = first.port();
  try {
    cokka::LiveView second(system, {.port = port});
    FAIL("the second view listened on a port in use");
  } catch (const std::system_error& error) {
    CHECK(std::string(error.what()).find("cannot listen on 127.0.0.1:" + std::to_string(port)) != std::string::npos);
    CHECK(error.code() == asio::error::address_in_use);
  }
  CHECK(get(port, "/healthz").status == 200);  // the first one serves on
}

TEST_CASE("live view: one connection over max_connections gets 503, a slot frees when a client leaves") {
  cokka::System system(cokka::threads{2});
  cokka::LiveView view(system, {.max_connections = 3});
  std::vector<std::unique_ptr<HttpClient>> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<HttpClient>(view.port()));
  {
    HttpClient extra(view.port());
    const auto reply = extra.read_reply();
    REQUIRE(reply);
    CHECK(reply->status == 503);
    CHECK(reply->body.find("limit") != std::string::npos);
    CHECK(extra.closed_by_server());
  }
  idle.pop_back();
  CHECK(status_once_a_slot_is_free(view.port()) == 200);
}

TEST_CASE("live view: a client that does not finish its request within the timeout is disconnected") {
  cokka::System system(cokka::threads{2});
  cokka::LiveView view(system, {.timeout = 300ms});
  HttpClient slow(view.port());
  slow.send("GET /healthz HTTP/1.1\r\nHo");
  const auto began = std::chrono::steady_clock::now();
  CHECK(slow.closed_by_server(10s));
  CHECK(std::chrono::steady_clock::now() - began >= 250ms);
  HttpClient idle(view.port());  // a kept-alive connection idle for longer than the timeout, likewise
  idle.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  CHECK(idle.read_reply());
  CHECK(idle.closed_by_server(10s));
}

TEST_CASE("live view: keep-alive and pipelining: requests on one connection are answered in order") {
  cokka::System system(cokka::threads{2});
  cokka::LiveView view(system);
  HttpClient client(view.port());
  const std::string keep = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  client.send(keep + "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + keep);
  CHECK(client.read_reply().value_or(test::HttpReply{}).status == 200);
  CHECK(client.read_reply().value_or(test::HttpReply{}).status == 404);
  const auto third = client.read_reply();
  REQUIRE(third);
  CHECK(third->status == 200);
  CHECK(third->header("connection") == "keep-alive");
  client.send(request("/healthz"));  // Connection: close
  const auto last = client.read_reply();
  REQUIRE(last);
  CHECK(last->header("connection") == "close");
  CHECK(client.closed_by_server());
}

TEST_CASE("live view: many clients at once, each with many requests") {
  cokka::System system(cokka::threads{2});
  for (int i = 0; i < 50; ++i) system.start<test::Worker>();
  cokka::LiveView view(system, {.max_connections = 16});
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c)
    clients.emplace_back([&, c] {
      HttpClient client(view.port());
      for (int i = 0; i < 25; ++i) {
        const bool json_request = (c + i) % 2 == 0;
        client.send("GET " + std::string(json_request ? "/actors.json" : "/healthz") + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        const auto reply = client.read_reply(false, 30s);
        if (!reply || reply->status != 200) return;
        if (json_request && json::parse(reply->body)["actors_total"] != 50) return;
        ++ok;
      }
    });
  for (auto& client : clients) client.join();
  CHECK(ok == 16 * 25);
}

// The asan preset's UBSan probes memory through a pipe (sanitizer_common's IsAccessibleMemoryRange): starved of
// descriptors, it takes every vptr it checks for invalid. The debug and tsan presets run this case.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitizer_needs_descriptors = true;
#else
constexpr bool sanitizer_needs_descriptors = false;
#endif

TEST_CASE("live view: out of file descriptors, the acceptor pauses and accepts again once there are some" *
          doctest::skip(sanitizer_needs_descriptors)) {
  cokka::System system(cokka::threads{2});
  cokka::LiveView view(system);
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  // The client's socket takes the lowest free descriptor; with the limit right above it, the server's accept of
  // that connection fails with EMFILE.
  const int lowest_free = ::dup(0);
  REQUIRE(lowest_free >= 0);
  ::close(lowest_free);
  rlimit tight = limit;
  tight.rlim_cur = static_cast<rlim_t>(lowest_free) + 1;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
  HttpClient client(view.port());
  client.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const auto starved = client.read_reply(false, 500ms);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  CHECK_FALSE(starved);
  const auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 200);
}

TEST_CASE("live view: an answer that throws is a 500 with the reason, and the server serves on") {
  struct Failing final : cokka::detail::live_view::Source {
    std::vector<cokka::debug::ActorSnapshot> actors() override { throw std::runtime_error("no snapshot today"); }
    json metrics() override { return nullptr; }
    json dead_letters() override { return nullptr; }
    Exposition prometheus() override { return {std::nullopt, "none"}; }
  };
  asio::io_context io;
  auto server = cokka::detail::live_view::serve(io, {asio::ip::address_v4::loopback(), 0}, {},
                                                std::make_shared<Failing>(), {});
  std::thread runner([&] { io.run(); });
  const auto port = server->local_endpoint().port();
  const auto failed = get(port, "/actors.json");
  CHECK(failed.status == 500);
  CHECK(failed.body.find("no snapshot today") != std::string::npos);
  CHECK(get(port, "/healthz").status == 200);
  server->close();
  runner.join();  // closed, the server leaves no work in io
}

// ---- Shutdown: every order, with clients connected and mid-request ----

TEST_CASE("live view: destroying the view closes the acceptor and every connection, mid-request too") {
  cokka::System system(cokka::threads{2});
  auto view = std::make_unique<cokka::LiveView>(system);
  const auto port = view->port();
  HttpClient idle(port);
  HttpClient partial(port);
  partial.send("GET /actors.json HTTP/1.1\r\nHost: 12");
  HttpClient kept(port);
  kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  REQUIRE(kept.read_reply());
  view.reset();
  CHECK(idle.closed_by_server());
  CHECK(partial.closed_by_server());
  CHECK(kept.closed_by_server());
  CHECK(refuses_connections(port));
}

namespace {

// Opens a view on a deadlocked `system` with one client idle and one half-way through a request, destroys the
// System, and checks that the view closed both and its acceptor. Returns the view, which outlives its System.
std::unique_ptr<cokka::LiveView> destroy_system_under_view(std::unique_ptr<cokka::System>& system) {
  test::start_deadlock(*system);
  auto view = std::make_unique<cokka::LiveView>(*system);
  const auto port = view->port();
  CHECK(actors_json(port)["cycles"].size() == 1);
  HttpClient idle(port);
  HttpClient partial(port);
  partial.send("GET /actors.json HTTP/1.1\r\n");
  system.reset();
  CHECK(idle.closed_by_server());
  CHECK(partial.closed_by_server());
  CHECK(refuses_connections(port));
  return view;
}

}  // namespace

TEST_CASE("live view: destroying the System first closes the view, the view goes later") {
  auto system = std::make_unique<cokka::System>(cokka::threads{2});
  auto view = destroy_system_under_view(system);
  view.reset();
}

namespace {

// Clients ask for /actors.json of 200 actors over and over while the view or the System goes.
void shut_down_under_load(bool system_first) {
  auto system = std::make_unique<cokka::System>(cokka::threads{2});
  for (int i = 0; i < 200; ++i) system->start<test::Worker>();
  auto view = std::make_unique<cokka::LiveView>(*system);
  const auto port = view->port();
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c)
    clients.emplace_back([&] {
      try {
        for (;;) {
          HttpClient client(port);
          for (int i = 0; i < 5; ++i) {
            client.send("GET /actors.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            if (!client.read_reply()) return;  // closed by the shutdown
            ++answered;
          }
        }
      } catch (const std::runtime_error&) {  // connection refused: the acceptor is closed
      }
    });
  for (auto waited = 0ms; answered < 20 && waited < 30s; waited += 5ms) std::this_thread::sleep_for(5ms);
  if (system_first) {
    system.reset();
    view.reset();
  } else {
    view.reset();  // then the System at once: an answer still running after ~LiveView would read a dead System
    system.reset();
  }
  for (auto& client : clients) client.join();
  CHECK(answered >= 20);
}

}  // namespace

TEST_CASE("live view: the System destroyed while clients keep asking") { shut_down_under_load(true); }

TEST_CASE("live view: the view destroyed while clients keep asking, then the System at once") { shut_down_under_load(false); }

TEST_CASE("live view: on a borrowed io_context, ~System closes the view, the context may go before the view") {
  auto io = std::make_unique<asio::io_context>();
  auto work = asio::make_work_guard(*io);
  std::thread runner([&] { io->run(); });
  auto system = std::make_unique<cokka::System>(*io);
  auto view = destroy_system_under_view(system);
  work.reset();
  io->stop();
  runner.join();
  io.reset();  // with whatever handlers of the view it still holds
  view.reset();
}

TEST_CASE("live view: on an io_context of the caller's own, which the caller runs") {
  cokka::System system(cokka::threads{1});
  test::start_deadlock(system);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  {
    //! [own_context]
    cokka::LiveView view(system, io, {.port = 0, .max_connections = 4});  // served by the threads that run io
    //! [own_context]
    CHECK(actors_json(view.port())["cycles"].size() == 1);
    HttpClient idle(view.port());
  }
  work.reset();
  runner.join();  // the view left no work behind: run() returns
}

TEST_CASE("live view: destroyed on an io thread of its own context") {
  cokka::System system(cokka::threads{2});
  auto view = std::make_unique<cokka::LiveView>(system);
  const auto port = view->port();
  HttpClient idle(port);
  std::promise<void> done;
  asio::post(system.context(), [&] {
    view.reset();
    done.set_value();
  });
  CHECK(done.get_future().wait_for(10s) == std::future_status::ready);
  CHECK(idle.closed_by_server());
}

TEST_CASE("live view: its anchor actor is hidden, unregistered, and gone with the view") {
  cokka::System system(cokka::threads{2});
  system.start<test::Worker>();
  const auto anchors = [&] {
    int count = 0;
    for (const auto& actor : cokka::debug::snapshot(system)) count += actor.type == "cokka::detail::LiveViewAnchor";
    return count;
  };
  {
    cokka::LiveView view(system);
    CHECK(anchors() == 1);
    CHECK(system.registry().size() == 1);
    CHECK(actors_json(view.port())["actors_total"] == 1);
    system.registry().stop_all();  // stops the program's actors, not the view
    CHECK(get(view.port(), "/healthz").status == 200);
    CHECK(actors_json(view.port())["actors_total"] == 0);
  }
  for (int i = 0; i < 20; ++i) cokka::LiveView{system};
  for (auto waited = 0ms; anchors() > 0 && waited < 10s; waited += 10ms) std::this_thread::sleep_for(10ms);
  CHECK(anchors() == 0);
}

TEST_CASE("live view: a System shutting down refuses a new view") {
  auto system = std::make_unique<cokka::System>(cokka::threads{2});
  std::promise<void> stopping;
  std::promise<void> go_on;
  // An actor whose on_stop holds ~System in its stop phase while the test tries to open a view.
  struct Holder : cokka::Actor<Holder> {
    Holder(std::promise<void>& stopping, std::shared_future<void> go_on) : stopping_(stopping), go_on_(std::move(go_on)) {}
    void on_stop() {
      stopping_.set_value();
      go_on_.wait();
    }
    std::promise<void>& stopping_;
    std::shared_future<void> go_on_;
  };
  system->start<Holder>(stopping, go_on.get_future().share());
  cokka::System& shutting_down = *system;
  std::thread destroyer([&] { system.reset(); });
  stopping.get_future().wait();
  CHECK_THROWS_AS(cokka::LiveView(shutting_down, {}), cokka::InvalidState);
  go_on.set_value();
  destroyer.join();
}

// ---- Wait-for cycles ----

TEST_CASE("live view: wait_cycles finds each cycle once, from its lowest index, and no tail") {
  using cokka::detail::live_view::wait_cycles;
  using Next = std::vector<std::optional<std::size_t>>;
  using Cycles = std::vector<std::vector<std::size_t>>;
  CHECK(wait_cycles(Next{}) == Cycles{});
  CHECK(wait_cycles(Next{std::nullopt, 0, 1}) == Cycles{});                      // a chain
  CHECK(wait_cycles(Next{0}) == Cycles{{0}});                                      // awaiting itself
  CHECK(wait_cycles(Next{1, 0}) == Cycles{{0, 1}});
  CHECK(wait_cycles(Next{3, 0, 1, 2}) == Cycles{{0, 3, 2, 1}});
  CHECK(wait_cycles(Next{1, 2, 1, 0}) == Cycles{{1, 2}});                        // 0 and 3 lead into it
  CHECK(wait_cycles(Next{1, 0, 3, 2, 2, std::nullopt}) == Cycles{{0, 1}, {2, 3}});
  CHECK(wait_cycles(Next{7, 0}) == Cycles{});                                      // an arrow out of the graph
}
