#include "site.hpp"

#include <asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace cokka::detail::live_view {

namespace {

using nlohmann::json;

std::string_view state_of(const debug::ActorSnapshot& actor) {
  if (actor.stopping) return "stopping";
  if (actor.awaiting) return "awaiting";
  return actor.handling.empty() ? "idle" : "handling";
}

json actor_id(const debug::ActorSnapshot& actor) { return {{"type", actor.type}, {"urn", actor.urn}}; }

// A name the user's own machine resolves to itself: what a browser sends for http://localhost:8080/ or
// http://127.0.0.1:8080/ (with or without the port), or nothing (HTTP/1.0).
bool loopback_host(std::string_view host) {
  if (host.empty()) return true;
  if (host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    host = host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string name(host);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name == "localhost") return true;
  asio::error_code error;
  const auto address = asio::ip::make_address(name, error);
  return !error && address.is_loopback();
}

// The page before and after the place of its first data (the marker in page.html).
std::pair<std::string_view, std::string_view> page_parts() {
  static const auto parts = [] {
    const std::string_view page(page_html);
    constexpr std::string_view marker = "@INITIAL_DATA@";
    const auto at = page.find(marker);
    if (at == std::string_view::npos) throw std::logic_error("the embedded page has no @INITIAL_DATA@ marker");
    return std::pair(page.substr(0, at), page.substr(at + marker.size()));
  }();
  return parts;
}

std::string dump(const json& document) {
  // Type names and message descriptions come from the program: never let a stray byte make dump() throw.
  return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::vector<std::vector<std::size_t>> wait_cycles(const std::vector<std::optional<std::size_t>>& next) {
  // Each node has one way out at most: follow it until the walk meets a node it passed (a cycle) or one an
  // earlier walk finished (no new cycle). Every node is walked once.
  enum class Mark : unsigned char { unseen, on_walk, done };
  std::vector<Mark> marks(next.size(), Mark::unseen);
  std::vector<std::vector<std::size_t>> cycles;
  std::vector<std::size_t> walk;
  for (std::size_t first = 0; first < next.size(); ++first) {
    walk.clear();
    std::optional<std::size_t> at = first;
    while (at && *at < next.size() && marks[*at] == Mark::unseen) {
      marks[*at] = Mark::on_walk;
      walk.push_back(*at);
      at = next[*at];
    }
    if (at && *at < next.size() && marks[*at] == Mark::on_walk) {
      std::vector<std::size_t> cycle(std::find(walk.begin(), walk.end(), *at), walk.end());
      std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
      cycles.push_back(std::move(cycle));
    }
    for (auto node : walk) marks[node] = Mark::done;
  }
  std::sort(cycles.begin(), cycles.end());
  return cycles;
}

json actors_document(const std::vector<debug::ActorSnapshot>& actors, std::size_t max_actors) {
  std::unordered_map<std::string_view, std::size_t> by_urn;
  for (std::size_t i = 0; i < actors.size(); ++i) by_urn.emplace(actors[i].urn, i);
  std::vector<std::optional<std::size_t>> next(actors.size());
  for (std::size_t i = 0; i < actors.size(); ++i)
    if (actors[i].awaiting)
      if (auto found = by_urn.find(actors[i].awaiting->urn()); found != by_urn.end()) next[i] = found->second;

  std::vector<bool> in_cycle(actors.size(), false);
  json cycles = json::array();
  for (const auto& cycle : wait_cycles(next)) {
    json members = json::array();
    for (auto i : cycle) {
      in_cycle[i] = true;
      members.push_back(actor_id(actors[i]));
    }
    cycles.push_back(std::move(members));
  }

  json listed = json::array();
  for (std::size_t i = 0; i < std::min(actors.size(), max_actors); ++i) {
    const auto& actor = actors[i];
    json awaiting = nullptr;
    if (actor.awaiting) {
      // An awaited actor that is no longer in the snapshot (it just died) is known by its urn only.
      awaiting = next[i] ? actor_id(actors[*next[i]]) : json{{"type", nullptr}, {"urn", std::string(actor.awaiting->urn())}};
    }
    listed.push_back({{"type", actor.type},
                      {"urn", actor.urn},
                      {"state", state_of(actor)},
                      {"mailbox_depth", actor.mailbox_depth},
                      {"handling", actor.handling},
                      {"handling_for_ms", actor.handling_for.count()},
                      {"awaiting", std::move(awaiting)},
                      {"awaiting_room", actor.awaiting_room},
                      {"in_cycle", in_cycle[i]}});
  }
  return {{"actors_total", actors.size()},
          {"truncated", actors.size() > max_actors},
          {"actors", std::move(listed)},
          {"cycles", std::move(cycles)}};
}

json Site::document() {
  auto document = actors_document(source_->actors(), options_.max_actors);
  document["version"] = 1;
  document["now_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  document["refresh_ms"] = options_.refresh.count();
  document["metrics"] = source_->metrics();
  document["dead_letters"] = source_->dead_letters();
  return document;
}

http::Response Site::respond(const http::Request& request) {
  using http::Response;
  const auto text = [](int status, std::string sentence) {
    return Response{status, "text/plain; charset=utf-8", std::move(sentence) + "\n", {}};
  };
  if (request.method != "GET" && request.method != "HEAD") {
    auto refused = text(405, "the live view is read-only: it answers GET and HEAD");
    refused.headers.emplace_back("Allow", "GET, HEAD");
    return refused;
  }
  if (options_.loopback_hosts_only && !loopback_host(request.header("host")))
    return text(403, "this live view answers requests for localhost or a loopback address only (its Host is checked "
                     "against DNS rebinding); start it with allow_remote to serve other names");
  if (request.path == "/") return page();
  if (request.path == "/actors.json") return Response{200, "application/json", dump(document()), {}};
  if (request.path == "/healthz") return text(200, "ok");
  if (request.path == "/metrics") {
    auto exposition = source_->prometheus();
    if (!exposition.text) return text(404, std::move(exposition.unavailable));
    return Response{200, "text/plain; version=0.0.4; charset=utf-8", std::move(*exposition.text), {}};
  }
  return text(404, "no such page: the live view serves /, /actors.json, /healthz and /metrics");
}

http::Response Site::page() {
  // The first data is in the page itself, so that it renders at once (and a browser's --dump-dom sees it). In
  // a JSON script block only "</script" could end it early: every '<' goes as \u003c.
  std::string data;
  for (char c : dump(document())) {
    if (c == '<')
      data += "\\u003c";
    else
      data += c;
  }
  const auto [before, after] = page_parts();
  http::Response response{200, "text/html; charset=utf-8", std::string(before) + data + std::string(after), {}};
  // Nothing from elsewhere, ever: the page is self-contained and the browser is told to keep it so.
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
                                "frame-ancestors 'none'");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

std::shared_ptr<http::Server> serve(asio::io_context& context, const asio::ip::tcp::endpoint& endpoint,
                                    const http::ServerLimits& limits, std::shared_ptr<Source> source,
                                    SiteOptions options) {
  auto site = std::make_shared<Site>(std::move(source), options);
  return http::Server::start(context, endpoint, limits, [site](const http::Request& request) { return site->respond(request); });
}

}  // namespace cokka::detail::live_view
