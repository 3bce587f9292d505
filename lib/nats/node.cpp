#include "cokka/nats/node.hpp"

#include "driver.hpp"
#include "link.hpp"

#include "../log.hpp"

#include "cokka/system.hpp"

#include <nats/nats.h>

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cokka::nats {

namespace detail {
namespace {

/// The closure of libnats' connection callbacks. They run on libnats' own callback thread, possibly after the
/// Node is gone: the Node and libnats' closed callback (its last) each drop their share; the second frees it.
struct Callbacks {
  Callbacks(std::shared_ptr<Driver> target, std::string name) : driver(std::move(target)), node(std::move(name)) {}

  std::mutex mutex;
  std::shared_ptr<Driver> driver;  // null once the Node is gone
  std::string node;
  bool node_gone = false;
  bool nats_closed = false;

  template <class F>
  static void with_driver(void* closure, F&& f) {
    auto* self = static_cast<Callbacks*>(closure);
    std::lock_guard lock(self->mutex);
    if (self->driver) f(*self->driver, self->node);
  }

  static void disconnected(natsConnection*, void* closure) {
    with_driver(closure, [](Driver& driver, const std::string& node) {
      cokka::detail::log(spdlog::level::warn, "cokka::nats: node {} disconnected from NATS; reconnecting", node);
      driver.post_lost();
    });
  }
  static void reconnected(natsConnection* connection, void* closure) {
    with_driver(closure, [connection](Driver& driver, const std::string& node) {
      char url[256] = "";
      natsConnection_GetConnectedUrl(connection, url, sizeof url);
      cokka::detail::log(spdlog::level::info, "cokka::nats: node {} reconnected to {}", node, url);
      driver.post_restored();
    });
  }
  static void closed(natsConnection*, void* closure) {
    with_driver(closure, [](Driver& driver, const std::string& node) {
      cokka::detail::log(spdlog::level::warn, "cokka::nats: node {}: the NATS connection closed (no server left to reconnect to)", node);
      driver.post_lost();
    });
    release(closure, &Callbacks::nats_closed);
  }
  static void error(natsConnection*, natsSubscription*, natsStatus status, void* closure) {
    auto* self = static_cast<Callbacks*>(closure);
    cokka::detail::log(spdlog::level::warn, "cokka::nats: node {}: {}", self->node, natsStatus_GetText(status));
  }

  /// Marks one side done; frees the closure when both are.
  static void release(void* closure, bool Callbacks::*side) {
    auto* self = static_cast<Callbacks*>(closure);
    bool last = false;
    {
      std::lock_guard lock(self->mutex);
      self->*side = true;
      self->driver.reset();
      last = self->node_gone && self->nats_closed;
    }
    if (last) delete self;
  }
};

/// Owns a natsOptions until the connection copied it.
struct Options {
  natsOptions* handle = nullptr;
  Options() {
    if (natsOptions_Create(&handle) != NATS_OK) throw std::bad_alloc();
  }
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;
  ~Options() { natsOptions_Destroy(handle); }
};

void check(natsStatus status, const char* what) {
  if (status != NATS_OK) throw InvalidState(std::string("cokka::nats::Node: ") + what + ": " + describe_status(status));
}

std::vector<std::string> split_servers(const std::string& servers) {
  std::vector<std::string> urls;
  std::size_t start = 0;
  while (start <= servers.size()) {
    auto end = servers.find(',', start);
    if (end == std::string::npos) end = servers.size();
    auto url = servers.substr(start, end - start);
    url.erase(0, url.find_first_not_of(" \t"));
    url.erase(url.find_last_not_of(" \t") + 1);
    if (!url.empty()) urls.push_back(url);
    start = end + 1;
  }
  return urls;
}

/// A served name becomes subject tokens: non-empty, no spaces and no wildcards.
void check_name(std::string_view name) {
  bool valid = !name.empty() && name.front() != '.' && name.back() != '.' && name.find("..") == std::string_view::npos &&
               name.find_first_of(" \t\r\n*>") == std::string_view::npos;
  if (!valid)
    throw InvalidState("cokka::nats: \"" + std::string(name) +
                       "\" is not a valid name: use dot-separated tokens without spaces or wildcards (svc.resolver)");
}

}  // namespace
}  // namespace detail

struct Node::State {
  State(System& owner, NodeOptions chosen) : system(owner), options(std::move(chosen)) {}

  System& system;
  NodeOptions options;
  std::shared_ptr<detail::Connection> connection;
  std::shared_ptr<detail::Link> link;
  std::shared_ptr<detail::Driver> driver;
  detail::Callbacks* callbacks = nullptr;
};

Node::Node(System& system, NodeOptions options) : state_(std::make_unique<State>(system, std::move(options))) {
  auto& state = *state_;
  auto urls = detail::split_servers(state.options.servers);
  if (urls.empty()) throw InvalidState("cokka::nats::Node: no server URL in options.servers");
  std::vector<const char*> url_pointers;
  for (auto& url : urls) url_pointers.push_back(url.c_str());

  natsInbox* inbox = nullptr;
  detail::check(natsInbox_Create(&inbox), "cannot create an inbox");
  std::string inbox_name(inbox);
  natsInbox_Destroy(inbox);

  state.connection = std::make_shared<detail::Connection>();
  state.link = std::make_shared<detail::Link>(state.connection, state.options, std::move(inbox_name));
  state.driver = std::make_shared<detail::Driver>(system.context(), state.link, state.connection);

  detail::Options nats_options;
  natsOptions* opts = nats_options.handle;
  detail::check(natsOptions_SetServers(opts, url_pointers.data(), static_cast<int>(url_pointers.size())), "bad server URLs");
  detail::check(natsOptions_SetName(opts, state.options.node.c_str()), "bad node name");
  detail::check(natsOptions_SetTimeout(opts, state.options.connect_timeout.count()), "bad connect timeout");
  detail::check(natsOptions_SetAllowReconnect(opts, true), "reconnect");
  detail::check(natsOptions_SetMaxReconnect(opts, state.options.max_reconnects), "bad max_reconnects");
  detail::check(natsOptions_SetReconnectWait(opts, state.options.reconnect_wait.count()), "bad reconnect_wait");
  // Publishes go out from the event loop at once: no flusher thread, no 1 ms batching delay.
  detail::check(natsOptions_SetSendAsap(opts, true), "send asap");
  // A request nobody serves gets an immediate 503 from the server (needs headers, on by default since 2.2).
  detail::check(natsOptions_DisableNoResponders(opts, false), "no responders");
  detail::check(natsOptions_SetEventLoop(opts, state.driver.get(), detail::Driver::on_attach, detail::Driver::on_read,
                                         detail::Driver::on_write, detail::Driver::on_detach),
                "event loop");

  auto* callbacks = new detail::Callbacks(state.driver, state.options.node);
  natsStatus status = natsOptions_SetDisconnectedCB(opts, &detail::Callbacks::disconnected, callbacks);
  if (status == NATS_OK) status = natsOptions_SetReconnectedCB(opts, &detail::Callbacks::reconnected, callbacks);
  if (status == NATS_OK) status = natsOptions_SetClosedCB(opts, &detail::Callbacks::closed, callbacks);
  if (status == NATS_OK) status = natsOptions_SetErrorHandler(opts, &detail::Callbacks::error, callbacks);
  if (status == NATS_OK) status = natsConnection_Connect(&state.connection->handle, opts);
  if (status != NATS_OK) {
    std::string reason = detail::describe_status(status);
    delete callbacks;  // no connection, no callback
    throw RemoteUnavailable("cokka::nats::Node " + state.options.node + ": cannot connect to " + state.options.servers +
                            ": " + reason);
  }
  state.callbacks = callbacks;
  state.driver->run();
  state.link->open(*state.driver);
}

Node::~Node() {
  auto& state = *state_;
  state.link->close();
  // First: the disconnected and closed callbacks of this close are not news to report.
  detail::Callbacks::release(state.callbacks, &detail::Callbacks::node_gone);
  natsConnection_Close(state.connection->handle);  // the event-loop callbacks end here
  state.driver->shutdown();
}

void Node::serve(const ActorRef<>& actor, std::string_view name) { subscribe(actor, name, false); }

void Node::serve_group(const ActorRef<>& actor, std::string_view name) { subscribe(actor, name, true); }

void Node::subscribe(const ActorRef<>& actor, std::string_view name, bool group) {
  auto& state = *state_;
  detail::check_name(name);
  if (!actor.valid()) throw InvalidState("cokka::nats::Node::serve: the actor ref is empty");
  if (state.system.context().get_executor().running_in_this_thread())
    throw InvalidState("cokka::nats::Node::serve: called on one of the System's io threads, which must read the "
                       "server's confirmation it waits for; call it from another thread (e.g. main)");
  std::string subject = state.options.prefix + "." + std::string(name);
  std::string queue = group ? std::string(name) : std::string();
  state.driver->call([&] { state.link->serve(actor, subject, queue); });
  natsStatus status = natsConnection_FlushTimeout(state.connection->handle, state.options.connect_timeout.count());
  if (status != NATS_OK)
    throw RemoteUnavailable("cokka::nats: the server did not confirm the subscription to " + subject +
                            " (it stays, and takes effect once the server has it): " + detail::describe_status(status));
}

RemoteRef Node::ref(std::string_view name) const {
  detail::check_name(name);
  return RemoteRef(state_->link, std::string(name), state_->options.prefix + "." + std::string(name),
                   state_->options.ask_timeout);
}

bool Node::connected() const noexcept { return state_->link->connected(); }

std::string Node::connected_server() const {
  char url[512] = "";
  if (natsConnection_GetConnectedUrl(state_->connection->handle, url, sizeof url) != NATS_OK) return {};
  return url;
}

const NodeOptions& Node::options() const noexcept { return state_->options; }

}  // namespace cokka::nats
