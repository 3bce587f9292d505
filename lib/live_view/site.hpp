// What the live view serves: the page, /actors.json, /healthz and /metrics, from a Source of data.
#pragma once

#include "http.hpp"
#include "server.hpp"

#include <cokka/debug.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cokka::detail::live_view {

/// Where the view's data comes from, read when a request asks for it, on the thread that answers the request
/// (concurrently for different requests). LiveView reads a System through SystemSource; the tests put in
/// their own, with metrics and dead letters. Metrics and dead letters of a System plug in here
/// (docs/live-view.md, "Metrics and dead letters").
class Source {
public:
  virtual ~Source() = default;

  /// Every live actor, in start order (as debug::snapshot gives them).
  virtual std::vector<debug::ActorSnapshot> actors() = 0;

  /// The "metrics" member of /actors.json: `{"types": [{"type", "handled", "mailbox_depth"}, ...]}` with the
  /// counters since the start (the page turns successive `handled` into throughput), or null when there are no
  /// metrics (then the page hides its metrics panel).
  virtual nlohmann::json metrics() = 0;

  /// The "dead_letters" member: `{"total", "recent": [{"time_ms", "reason", "recipient", "message"}, ...]}`, or
  /// null when there is no dead-letter record (then the page hides its panel).
  virtual nlohmann::json dead_letters() = 0;

  /// GET /metrics: the Prometheus text exposition, or no value and the sentence its 404 says instead.
  struct Exposition {
    std::optional<std::string> text;
    std::string unavailable;
  };
  virtual Exposition prometheus() = 0;
};

/// The wait-for cycles of a graph where each node waits for at most one other: `next[i]` is the node i awaits.
/// Each cycle starts at its lowest index and follows the arrows; cycles come in order of their first node.
std::vector<std::vector<std::size_t>> wait_cycles(const std::vector<std::optional<std::size_t>>& next);

/// The actor part of /actors.json: `actors_total`, `truncated`, `actors` (the first `max_actors` in start order,
/// each with type, urn, state, mailbox_depth, handling, handling_for_ms, awaiting, in_cycle) and `cycles` (over
/// all actors, each a list of {type, urn}).
nlohmann::json actors_document(const std::vector<debug::ActorSnapshot>& actors, std::size_t max_actors);

struct SiteOptions {
  /// How often the page fetches /actors.json.
  std::chrono::milliseconds refresh{1000};
  /// Actors listed in /actors.json at most.
  std::size_t max_actors = 5000;
  /// Answer only requests whose Host names a loopback address or localhost (403 otherwise): a web page in the
  /// user's browser then cannot read the view through a DNS name rebound to 127.0.0.1.
  bool loopback_hosts_only = true;
};

/// Routes a request to its answer (the server's handler). Thread-safe.
class Site {
public:
  Site(std::shared_ptr<Source> source, SiteOptions options) : source_(std::move(source)), options_(options) {}

  /// 405 for methods other than GET and HEAD, 403 for a foreign Host (see SiteOptions), else the page, the JSON,
  /// "ok", the Prometheus text or a 404.
  http::Response respond(const http::Request& request);

  /// The whole /actors.json document.
  nlohmann::json document();

private:
  http::Response page();

  std::shared_ptr<Source> source_;
  SiteOptions options_;
};

/// Starts a Server in `context` on `endpoint` whose answers come from a Site over `source`: LiveView's wiring,
/// which the tests reuse with a Source of their own. Throws what Server::start throws.
std::shared_ptr<http::Server> serve(asio::io_context& context, const asio::ip::tcp::endpoint& endpoint,
                                    const http::ServerLimits& limits, std::shared_ptr<Source> source,
                                    SiteOptions options);

/// The page as it was written (lib/live_view/page.html), embedded at build time.
extern const char* const page_html;

}  // namespace cokka::detail::live_view
