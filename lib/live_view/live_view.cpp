#include "cokka/live_view.hpp"

#include "site.hpp"

#include <cokka/actor.hpp>
#include <cokka/dead_letters.hpp>
#include <cokka/errors.hpp>
#include <cokka/metrics.hpp>
#include <cokka/system.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>
#include <system_error>

namespace cokka {

namespace detail {

/// Closes a LiveView's server when its actor object is destroyed: by ~System at the latest, which destroys every
/// actor object before it returns (design.md 11), whether or not its io_context still runs the hooks. An
/// actor's object is the one thing of a System a component outside the core can count on going in time, so the
/// view needs no hook in System. It holds the view's dead-letter subscription for the same reason: a
/// Subscription must not outlive its System.
struct LiveViewAnchor : Actor<LiveViewAnchor> {
  LiveViewAnchor(std::shared_ptr<http::Server> server, DeadLetters::Subscription dead_letters)
      : server_(std::move(server)), dead_letters_(std::move(dead_letters)) {}
  LiveViewAnchor(const LiveViewAnchor&) = delete;
  LiveViewAnchor& operator=(const LiveViewAnchor&) = delete;
  ~LiveViewAnchor() {
    dead_letters_.reset();
    server_->close();
  }

  std::shared_ptr<http::Server> server_;
  DeadLetters::Subscription dead_letters_;
};

namespace live_view {
namespace {

/// The last dead letters, for the page's panel. Filled by the subscriber on the threads that drop messages.
class RecentDeadLetters {
public:
  static constexpr std::size_t capacity = 20;

  void add(const DeadLetter& letter) {
    nlohmann::json entry{{"time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()},
                         {"reason", to_string(letter.reason)},
                         {"recipient", to_string(letter.recipient)},
                         {"message", letter.message}};
    const std::lock_guard lock(mutex_);
    recent_.push_back(std::move(entry));
    if (recent_.size() > capacity) recent_.pop_front();
  }

  /// Newest first, as the page lists them.
  nlohmann::json newest_first() const {
    const std::lock_guard lock(mutex_);
    return nlohmann::json(std::vector<nlohmann::json>(recent_.rbegin(), recent_.rend()));
  }

private:
  mutable std::mutex mutex_;
  std::deque<nlohmann::json> recent_;
};

/// A System's own data. The view's anchor is its machinery, not the program's: it is left out everywhere.
class SystemSource final : public Source {
public:
  SystemSource(System& system, std::shared_ptr<const RecentDeadLetters> recent)
      : system_(system), recent_(std::move(recent)) {}

  std::vector<debug::ActorSnapshot> actors() override {
    auto actors = debug::snapshot(system_);
    std::erase_if(actors, [](const debug::ActorSnapshot& actor) { return actor.type == type_name<LiveViewAnchor>(); });
    return actors;
  }

  nlohmann::json metrics() override {
    if (!system_.metrics_enabled()) return nullptr;
    auto types = nlohmann::json::array();
    for (const auto& type : program_metrics().actors)
      types.push_back({{"type", type.actor}, {"handled", type.handled}, {"mailbox_depth", type.mailbox_depth}});
    return {{"types", std::move(types)}};
  }

  // Null (the panel hidden) until the first dead letter.
  nlohmann::json dead_letters() override {
    const auto total = cokka::dead_letters(system_).total();
    if (total == 0) return nullptr;
    return {{"total", total}, {"recent", recent_->newest_first()}};
  }

  Exposition prometheus() override {
    if (!system_.metrics_enabled())
      return {std::nullopt, "metrics are off: start the System with cokka::SystemOptions{.metrics = true} (the "
                            "page's /actors.json has the actors' mailboxes and waits meanwhile)"};
    return {metrics::to_prometheus(program_metrics()), {}};
  }

private:
  metrics::Snapshot program_metrics() {
    auto snapshot = system_.metrics();
    std::erase_if(snapshot.actors, [](const auto& type) { return type.actor == type_name<LiveViewAnchor>(); });
    return snapshot;
  }

  System& system_;
  std::shared_ptr<const RecentDeadLetters> recent_;
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
  auto recent = std::make_shared<live_view::RecentDeadLetters>();
  const live_view::SiteOptions site{.refresh = options.refresh, .max_actors = options.max_actors,
                                    .loopback_hosts_only = !options.allow_remote};
  try {
    state_->server = live_view::serve(context, endpoint, limits, std::make_shared<live_view::SystemSource>(system, recent), site);
  } catch (const std::system_error& error) {
    throw std::system_error(error.code(), "cokka::LiveView: cannot listen on " + options.address + ":" +
                                              std::to_string(options.port));
  }
  try {
    auto subscription = cokka::dead_letters(system).subscribe([recent](const DeadLetter& letter) { recent->add(letter); });
    state_->anchor = system.start<LiveViewAnchor>(state_->server, std::move(subscription));
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
