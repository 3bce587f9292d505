#pragma once
// The node's state that refs share: pending asks and the reply subscriptions they wait on, served actors,
// presence watches. Refs reach it from any thread; the node's strand feeds it what the connection received.
//
// Replies: every ask waits on a *slot*, a synchronous subscription `<inbox>.<n>.*` that carries one ask at a time
// (reply subject `<inbox>.<n>.<id>`). NATS answers a request nobody serves with a header-only "503" message on
// its reply subject, and libnats' natsSubscription_NextMsg reports it as NATS_NO_RESPONDERS and drops it, subject
// and all: one ask per slot is what tells which ask it was for. Slots are reused after a reply and replaced after
// a timeout or a dropped connection (a late 503 could otherwise hit the slot's next ask). Synchronous
// subscriptions are what keep libnats from starting a delivery thread per subscription.

#include "cokka/actor_ref.hpp"
#include "cokka/future.hpp"
#include "cokka/nats/detail/link.hpp"
#include "cokka/nats/node.hpp"
#include "cokka/promise.hpp"

#include "connection.hpp"
#include "timers.hpp"

#include <asio/io_context.hpp>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace cokka::nats::detail {

/// Failures of an ask that the presence watch tells apart; users see (and catch) RemoteUnavailable.
class NoResponders : public RemoteUnavailable {
public:
  using RemoteUnavailable::RemoteUnavailable;
};
class NodeClosed : public RemoteUnavailable {
public:
  using RemoteUnavailable::RemoteUnavailable;
};

class Driver;

class Link : public std::enable_shared_from_this<Link> {
public:
  Link(std::shared_ptr<Connection> connection, const NodeOptions& options, std::string inbox);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link();

  // ---- any thread ----
  void tell(const std::string& subject, const Buffer& request);
  void ask(const std::string& subject, const Buffer& request, std::chrono::milliseconds timeout,
           std::unique_ptr<ReplySink> sink) noexcept;
  Future<std::exception_ptr> watch(const std::string& subject);
  /// Subscribes `actor` to `subject` (a queue group when `queue` is not empty), on the node's strand (so that
  /// drain() finds all its messages). Throws InvalidState when the subject is served already, RemoteUnavailable
  /// when the node is closed or NATS refuses the subscription.
  void serve(const ActorRef<>& actor, const std::string& subject, const std::string& queue);
  bool connected() const noexcept { return connected_.load(std::memory_order_relaxed); }

  /// Starts using `driver` (its timers, its strand's writes); ticks the sweep of dead served actors every heartbeat.
  void open(Driver& driver);
  /// The node is going away: fails pending asks, ends watches with operation_aborted, unsubscribes everything.
  void close() noexcept;

  // ---- the node's strand ----
  /// Takes every message the connection received, dispatches requests to served actors (their replies are
  /// published from `io`'s threads) and completes the asks that got their replies.
  void drain(asio::io_context& io);
  /// The connection dropped: pending asks fail with RemoteUnavailable, new ones fail at once until restored().
  void lost();
  void restored();

  /// Publishes the reply of a served ask or probe. Thread-safe.
  void reply(const char* subject, const Buffer& buffer) noexcept;

private:
  struct Slot {
    natsSubscription* subscription = nullptr;
    std::string prefix;       // "<inbox>.<n>."
    std::uint64_t ask = 0;    // the pending ask it carries, 0 when free
  };
  struct Pending {
    std::unique_ptr<ReplySink> sink;
    Slot* slot = nullptr;
    Timers::Id timer = 0;
    std::string subject;
    std::chrono::milliseconds timeout{0};
  };
  struct Served {
    ActorRef<> actor;
    natsSubscription* subscription = nullptr;
  };
  struct Watch {
    std::string subject;
    Promise<std::exception_ptr> promise;
    Future<std::exception_ptr> future;
    int misses = 0;
    bool done = false;  // under Link::mutex_
  };
  struct Incoming {
    ActorRef<> actor;
    natsMsg* message;
  };
  struct Outcome {
    Pending pending;
    natsMsg* reply;  // null: nobody serves the subject
  };
  class ProbeSink;

  // With mutex_ held.
  Slot* take_slot();
  void retire(Slot* slot) noexcept;
  Pending take_pending(std::uint64_t id);
  std::vector<Pending> take_all_pending();
  void collect(std::vector<Incoming>& incoming, std::vector<Outcome>& outcomes);

  void finish(std::vector<Pending> failed, const std::exception_ptr& error) noexcept;
  void expire(std::uint64_t id) noexcept;
  void dispatch(const Incoming& incoming, asio::io_context& io) noexcept;
  void write_now() noexcept;
  void sweep() noexcept;
  void probe(const std::shared_ptr<Watch>& watch) noexcept;
  void probe_later(const std::shared_ptr<Watch>& watch) noexcept;
  void end_watch(const std::shared_ptr<Watch>& watch, std::exception_ptr why) noexcept;

  const std::shared_ptr<Connection> connection_;
  const std::string inbox_;
  const std::chrono::milliseconds heartbeat_;
  const int missed_heartbeats_;
  const std::string node_;

  mutable std::mutex mutex_;
  bool closed_ = false;
  std::atomic<bool> connected_{true};
  Driver* driver_ = nullptr;  // while open
  std::uint64_t next_id_ = 0;
  std::uint64_t next_slot_ = 0;
  std::map<std::uint64_t, Pending> pending_;  // by id: the order asks were sent, so replies are found early
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_slots_;
  std::map<std::string, Served> served_;
  std::unordered_map<std::string, std::shared_ptr<Watch>> watches_;

  // Strand only: messages the connection had received at the last drain (collect() stops once the new ones are found).
  natsStatistics* statistics_ = nullptr;
  std::uint64_t consumed_ = 0;
};

}  // namespace cokka::nats::detail
