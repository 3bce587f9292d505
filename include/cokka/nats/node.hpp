/// @file
/// cokka::nats::Node: one process's connection to a NATS cluster, serving local actors and reaching remote ones.
#pragma once

#include <cokka/actor_ref.hpp>
#include <cokka/nats/remote_ref.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace cokka {
class System;
}  // namespace cokka

namespace cokka::nats {

namespace detail {
class Driver;
}  // namespace detail

/// How a Node connects and how long things may take. Designated initialisers: `{.servers = ..., .node = "n1"}`.
struct NodeOptions {
  /// NATS server URLs, comma-separated; the client reconnects to any of them (and to cluster members the servers
  /// advertise).
  std::string servers = "nats://127.0.0.1:4222";
  /// This node's name: the NATS client name (server monitoring) and the name in cokka's log records.
  std::string node = "cokka";
  /// Subjects are `prefix.name`; nodes must agree on it.
  std::string prefix = "cokka";
  /// Default time an ask may take before it fails with Timeout (RemoteRef::with_timeout overrides it).
  std::chrono::milliseconds ask_timeout{30000};
  /// Interval of the liveness probes behind RemoteRef::async_wait_stopped (and of the check that unsubscribes
  /// served actors that died).
  std::chrono::milliseconds heartbeat{1000};
  /// Probes left unanswered in a row before a remote actor counts as stopped.
  int missed_heartbeats = 3;
  /// Limit for establishing the first connection (per server).
  std::chrono::milliseconds connect_timeout{2000};
  /// Wait before trying a server again after it dropped the connection (other servers are tried at once).
  std::chrono::milliseconds reconnect_wait{250};
  /// Reconnection attempts before the node gives up and closes (-1: never give up).
  int max_reconnects = -1;
};

/// A NATS connection driven by the System's io_context: no reader, flusher or delivery thread of its own. Serves
/// local actors under names (subject `prefix.name`) and makes RemoteRefs to names served anywhere on the
/// cluster. Reconnects automatically; while it is disconnected, asks fail at once with RemoteUnavailable and
/// tells are buffered by the client (up to 8 MB) and sent after the reconnection.
///
/// Destroy a Node before its System (declare it after the System). Destruction unsubscribes, fails pending asks
/// with RemoteUnavailable and closes the connection; refs made by it then fail every send with RemoteUnavailable.
/// Not copyable or movable. serve, serve_group and ref are thread-safe.
class Node {
public:
  /// Connects to `options.servers` (blocking, at most `connect_timeout` per server). Throws RemoteUnavailable
  /// naming the servers and NATS's reason when none accepts the connection, InvalidState on an empty server list
  /// or a System that is shutting down.
  Node(System& system, NodeOptions options);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  /// Closes the connection (see the class notes). Waits at most half a second for unsent data when called on one
  /// of the System's io threads (the only ones that can read the server's answer), never longer.
  ~Node();

  /// Answers messages for subject `prefix.name` with `actor`: tells become tells, asks become asks whose reply
  /// (or exception) goes back. Every node that serves a name gets every message for it (use serve_group for a
  /// pool). Returns once the server has the subscription, so a remote ask made after it finds the actor. Once the
  /// actor is dead the name is unsubscribed. Throws InvalidState when this node already serves `name` or the name
  /// is not a valid subject token sequence, RemoteUnavailable when the server does not confirm within the connect
  /// timeout, and InvalidState when called on one of the System's io threads (it would wait for itself).
  void serve(const ActorRef<>& actor, std::string_view name);

  /// Like serve, but joins the queue group `name`: of all the actors serving `name` with serve_group, on any node,
  /// exactly one gets each message.
  void serve_group(const ActorRef<>& actor, std::string_view name);

  /// A ref to whatever serves `name`; nothing is sent or checked now. Throws InvalidState for an empty name.
  RemoteRef ref(std::string_view name) const;

  /// True while connected to a server (false while reconnecting and after the connection closed).
  bool connected() const noexcept;

  /// The URL of the server it is connected to now ("nats://127.0.0.1:4222"), empty while disconnected.
  std::string connected_server() const;

  /// The options this node was made with.
  const NodeOptions& options() const noexcept;

private:
  void subscribe(const ActorRef<>& actor, std::string_view name, bool group);

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cokka::nats
