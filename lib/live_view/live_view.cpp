#include "cokka/live_view.hpp"

#include "site.hpp"

#include <cokka/actor.hpp>
#include <cokka/errors.hpp>
#include <cokka/system.hpp>

#include <algorithm>
#include <system_error>

namespace cokka {

namespace detail {

/// Closes a LiveView's server when its actor object is destroyed: by ~System at the latest, which destroys every
/// actor object before it returns (design.md 11), whether or not its io_context still runs the hooks. An
/// actor's object is the one thing of a System a component outside the core can count on going in time, so the
/// view needs no hook in System.
struct LiveViewAnchor : Actor<LiveViewAnchor> {
  explicit LiveViewAnchor(std::shared_ptr<http::Server> server) : server_(std::move(server)) {}
  LiveViewAnchor(const LiveViewAnchor&) = delete;
  LiveViewAnchor& operator=(const LiveViewAnchor&) = delete;
  ~LiveViewAnchor() { server_->close(); }

  std::shared_ptr<http::Server> server_;
};

namespace live_view {
namespace {

/// A System's own data.
///
/// Metrics and dead letters plug in here once System has them (design.md 17): metrics() converts
/// system.metrics() to the shape Source documents, prometheus() returns cokka::metrics::to_prometheus of the same
/// snapshot, and dead_letters() returns a ring of the last ones, filled by a system.dead_letters() subscription
/// made in the constructor. Until then each says it has nothing, and the page hides those panels.
class SystemSource final : public Source {
public:
  explicit SystemSource(System& system) : system_(system) {}

  std::vector<debug::ActorSnapshot> actors() override {
    auto actors = debug::snapshot(system_);
    // Anchors are the view's machinery, not the program's actors (every view's, when there are several).
    std::erase_if(actors, [](const debug::ActorSnapshot& actor) { return actor.type == type_name<LiveViewAnchor>(); });
    return actors;
  }

  nlohmann::json metrics() override { return nullptr; }

  nlohmann::json dead_letters() override { return nullptr; }

  Exposition prometheus() override {
    return {std::nullopt, "metrics are not available in this build of cokka: System has no metrics yet, so there is "
                          "nothing to expose (the page's /actors.json has the actors' mailboxes and waits)"};
  }

private:
  System& system_;
};

asio::ip::tcp::endpoint checked_endpoint(const LiveViewOptions& options) {
  asio::error_code error;
  const auto address = asio::ip::make_address(options.address, error);
  if (error) throw InvalidState("cokka::LiveView: \"" + options.address + "\" is not an IP address");
  if (!address.is_loopback() && !options.allow_remote)
    throw InvalidState("cokka::LiveView: " + options.address +
                       " is not a loopback address: set LiveViewOptions::allow_remote to serve other hosts (the view "
                       "is read-only, but it shows what every actor does)");
  return {address, options.port};
}

}  // namespace
}  // namespace live_view
}  // namespace detail

struct LiveView::State {
  std::shared_ptr<detail::http::Server> server;
  ActorRef<detail::LiveViewAnchor> anchor;
};

LiveView::LiveView(System& system, LiveViewOptions options) : LiveView(system, system.context(), std::move(options)) {}

LiveView::LiveView(System& system, asio::io_context& context, LiveViewOptions options)
    : state_(std::make_unique<State>()) {
  using namespace detail;
  const auto endpoint = live_view::checked_endpoint(options);
  const http::ServerLimits limits{.max_connections = std::max<std::size_t>(1, options.max_connections),
                                  .max_request_bytes = options.max_request_bytes,
                                  .timeout = options.timeout};
  const live_view::SiteOptions site{.refresh = options.refresh, .max_actors = options.max_actors,
                                    .loopback_hosts_only = !options.allow_remote};
  try {
    state_->server = live_view::serve(context, endpoint, limits, std::make_shared<live_view::SystemSource>(system), site);
  } catch (const std::system_error& error) {
    throw std::system_error(error.code(), "cokka::LiveView: cannot listen on " + options.address + ":" +
                                              std::to_string(options.port));
  }
  try {
    state_->anchor = system.start<LiveViewAnchor>(state_->server);
  } catch (...) {
    state_->server->close();
    throw;
  }
  system.registry().unregister_ref(state_->anchor);
}

LiveView::~LiveView() {
  state_->server->close();
  // The anchor has nothing left to close; stopping it keeps a System that opens many views from collecting
  // anchors. Safe after ~System too: a dead actor's stop touches nothing but its ref.
  state_->anchor.stop_async();
}

asio::ip::tcp::endpoint LiveView::endpoint() const { return state_->server->local_endpoint(); }

std::uint16_t LiveView::port() const { return endpoint().port(); }

std::string LiveView::url() const {
  const auto address = endpoint().address();
  const auto host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(port()) + "/";
}

}  // namespace cokka
