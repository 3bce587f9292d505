#include "link.hpp"

#include "driver.hpp"
#include "envelope.hpp"

#include "../log.hpp"

#include "cokka/detail/type_name.hpp"

#include <asio/bind_executor.hpp>
#include <asio/error.hpp>
#include <asio/system_error.hpp>

#include <charconv>
#include <cstring>
#include <string_view>
#include <utility>

namespace cokka::nats::detail {

thread_local bool WritingHere::active_ = false;

std::string describe_status(natsStatus status) {
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  std::string text = natsStatus_GetText(status);
  if (last == status && detail && *detail && text != detail) text += std::string(": ") + detail;
  return text;
}

namespace {

std::exception_ptr aborted() { return std::make_exception_ptr(asio::system_error(asio::error::operation_aborted)); }

/// The id at the end of a reply subject "<inbox>.<n>.<id>", 0 when there is none.
std::uint64_t reply_id(const char* subject) {
  std::string_view text(subject ? subject : "");
  auto dot = text.rfind('.');
  std::uint64_t id = 0;
  if (dot != std::string_view::npos) std::from_chars(text.data() + dot + 1, text.data() + text.size(), id);
  return id;
}

/// Publishes the reply of a served ask, from whichever io thread the actor's reply completes on.
struct ReplyPublisher {
  std::shared_ptr<Link> link;
  std::string subject;
  std::string reply;

  void operator()(std::exception_ptr error, Message value) const noexcept {
    Buffer buffer;
    try {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const ActorDeadError& e) {
          write_unavailable_reply(buffer, subject + ": " + e.what());
        } catch (const std::exception& e) {
          write_error_reply(buffer, cokka::detail::demangle(typeid(e)), e.what());
        } catch (...) {
          write_error_reply(buffer, "unknown", "an exception that is not a std::exception");
        }
      } else if (!value.has_value()) {
        write_empty_reply(buffer);
      } else {
        try {
          write_value_reply(buffer, value);
        } catch (const InvalidState& e) {
          cokka::detail::log(spdlog::level::warn, "{} (asked on {})", e.what(), subject);
          buffer.clear();
          write_error_reply(buffer, "cokka::InvalidState", e.what());
        }
      }
      link->reply(reply.c_str(), buffer);
    } catch (const std::exception& e) {  // allocation while encoding: the asker times out
      cokka::detail::log(spdlog::level::err, "cokka::nats: cannot send the reply to an ask on {}: {}", subject, e.what());
    }
  }
};

}  // namespace

/// Turns the outcome of one probe into the next step of a presence watch.
class Link::ProbeSink final : public ReplySink {
public:
  ProbeSink(Link& link, std::shared_ptr<Watch> watch) : link_(link), watch_(std::move(watch)) {}

  void value(std::string_view, const Object& body) noexcept override {
    bool alive = false;
    try {
      unpack(body, alive);
    } catch (const DecodeError&) {
      return missed();
    }
    if (alive) {
      watch_->misses = 0;
      link_.probe_later(watch_);
    } else {
      link_.end_watch(watch_, std::make_exception_ptr(RemoteUnavailable(watch_->subject + ": the served actor is dead")));
    }
  }
  void empty() noexcept override { missed(); }
  void fail(std::exception_ptr error) noexcept override {
    try {
      std::rethrow_exception(error);
    } catch (const NodeClosed&) {
      link_.end_watch(watch_, nullptr);
    } catch (const NoResponders&) {
      link_.end_watch(watch_, std::make_exception_ptr(RemoteUnavailable(watch_->subject + ": nobody serves it")));
    } catch (...) {  // a timeout, a dropped connection: maybe a blip
      missed();
    }
  }

private:
  void missed() noexcept {
    if (++watch_->misses < link_.missed_heartbeats_) return link_.probe_later(watch_);
    link_.end_watch(watch_, std::make_exception_ptr(RemoteUnavailable(
                                watch_->subject + ": no answer to " + std::to_string(watch_->misses) + " probes in a row")));
  }

  Link& link_;
  std::shared_ptr<Watch> watch_;
};

Link::Link(std::shared_ptr<Connection> connection, const NodeOptions& options, std::string inbox)
    : connection_(std::move(connection)),
      inbox_(std::move(inbox)),
      heartbeat_(options.heartbeat),
      missed_heartbeats_(options.missed_heartbeats < 1 ? 1 : options.missed_heartbeats),
      node_(options.node) {
  if (natsStatistics_Create(&statistics_) != NATS_OK) throw std::bad_alloc();
}

Link::~Link() { natsStatistics_Destroy(statistics_); }

void Link::open(Driver& driver) {
  {
    std::lock_guard lock(mutex_);
    driver_ = &driver;
  }
  sweep();
}

void Link::write_now() noexcept {
  if (!connection_->write()) return;
  std::lock_guard lock(mutex_);  // the socket took only part: the strand writes the rest when it can
  if (driver_) driver_->post_flush();
}

void Link::reply(const char* subject, const Buffer& buffer) noexcept {
  natsConnection_Publish(connection_->handle, subject, buffer.data(), static_cast<int>(buffer.size()));
}

void Link::tell(const std::string& subject, const Buffer& request) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) throw RemoteUnavailable("cokka::nats: tell to " + subject + ": the node is closed");
  }
  natsStatus status = natsConnection_Publish(connection_->handle, subject.c_str(), request.data(),
                                             static_cast<int>(request.size()));
  if (status != NATS_OK)
    throw RemoteUnavailable("cokka::nats: tell to " + subject + ": NATS refused it: " + describe_status(status));
}

void Link::ask(const std::string& subject, const Buffer& request, std::chrono::milliseconds timeout,
               std::unique_ptr<ReplySink> sink) noexcept {
  std::string reply;
  std::uint64_t id = 0;
  bool write_here = false;
  try {
    std::unique_lock lock(mutex_);
    if (closed_) {
      lock.unlock();
      return sink->fail(std::make_exception_ptr(NodeClosed("cokka::nats: ask to " + subject + ": the node is closed")));
    }
    if (!connected_) {
      lock.unlock();
      return sink->fail(std::make_exception_ptr(RemoteUnavailable(
          "cokka::nats: ask to " + subject + ": not connected to NATS (reconnecting); nothing was sent")));
    }
    Slot* slot = take_slot();
    id = ++next_id_;
    slot->ask = id;
    reply = slot->prefix + std::to_string(id);
    auto& pending = pending_[id];
    pending.sink = std::move(sink);
    pending.slot = slot;
    pending.subject = subject;
    pending.timeout = timeout;
    pending.timer = driver_->start(Timers::Clock::now() + timeout, [this, id] { expire(id); });
    write_here = !driver_->on_io_thread();
  } catch (...) {  // no slot (NATS refused the subscription) or no memory
    if (sink) sink->fail(std::current_exception());
    return;
  }
  natsStatus status;
  if (write_here) {  // the asker waits for this: write it now rather than wake an io thread to do it
    WritingHere writing;
    status = natsConnection_PublishRequest(connection_->handle, subject.c_str(), reply.c_str(), request.data(),
                                           static_cast<int>(request.size()));
    if (status == NATS_OK) write_now();
  } else {
    status = natsConnection_PublishRequest(connection_->handle, subject.c_str(), reply.c_str(), request.data(),
                                           static_cast<int>(request.size()));
  }
  if (status == NATS_OK) return;
  Pending failed;
  Driver* driver = nullptr;
  {
    std::lock_guard lock(mutex_);
    failed = take_pending(id);
    if (failed.slot) retire(failed.slot);
    driver = driver_;
  }
  if (!failed.sink) return;  // lost() or close() took it meanwhile
  if (driver) driver->cancel(failed.timer);
  failed.sink->fail(std::make_exception_ptr(
      RemoteUnavailable("cokka::nats: ask to " + subject + ": NATS refused it: " + describe_status(status))));
}

Link::Slot* Link::take_slot() {
  if (!free_slots_.empty()) {
    Slot* slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  auto slot = std::make_unique<Slot>();
  slot->prefix = inbox_ + "." + std::to_string(++next_slot_) + ".";
  natsStatus status =
      natsConnection_SubscribeSync(&slot->subscription, connection_->handle, (slot->prefix + "*").c_str());
  if (status != NATS_OK)
    throw RemoteUnavailable("cokka::nats: cannot subscribe to the reply subject: " + describe_status(status));
  slots_.push_back(std::move(slot));
  return slots_.back().get();
}

void Link::retire(Slot* slot) noexcept {
  natsSubscription_Destroy(slot->subscription);
  std::erase_if(slots_, [slot](const auto& owned) { return owned.get() == slot; });
}

Link::Pending Link::take_pending(std::uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return {};
  Pending pending = std::move(it->second);
  pending_.erase(it);
  return pending;
}

std::vector<Link::Pending> Link::take_all_pending() {
  std::vector<Pending> all;
  all.reserve(pending_.size());
  for (auto& [id, pending] : pending_) {
    if (pending.slot) retire(pending.slot);
    pending.slot = nullptr;
    all.push_back(std::move(pending));
  }
  pending_.clear();
  return all;
}

void Link::finish(std::vector<Pending> failed, const std::exception_ptr& error) noexcept {
  Driver* driver = nullptr;
  {
    std::lock_guard lock(mutex_);
    driver = driver_;
  }
  for (auto& pending : failed) {
    if (driver && pending.timer) driver->cancel(pending.timer);
    if (pending.sink) pending.sink->fail(error);
  }
}

void Link::expire(std::uint64_t id) noexcept {
  Pending expired;
  {
    std::lock_guard lock(mutex_);
    expired = take_pending(id);
    if (!expired.sink) return;
    if (expired.slot) retire(expired.slot);  // a reply or a 503 may still come: the slot must not carry another ask
  }
  expired.sink->fail(std::make_exception_ptr(
      Timeout("cokka::nats: no reply from " + expired.subject + " within " + std::to_string(expired.timeout.count()) +
              " ms (the message may still be handled: delivery is at most once)")));
}

void Link::close() noexcept {
  std::vector<Pending> failed;
  std::vector<std::shared_ptr<Watch>> watches;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    connected_ = false;
    failed = take_all_pending();
    for (auto& slot : slots_) natsSubscription_Destroy(slot->subscription);
    slots_.clear();
    free_slots_.clear();
    for (auto& [subject, served] : served_) natsSubscription_Destroy(served.subscription);
    served_.clear();
    for (auto& [subject, watch] : watches_) {
      watch->done = true;
      watches.push_back(watch);
    }
    watches_.clear();
  }
  // The timers die with the driver: nothing to cancel. Completions run user code: outside the lock.
  for (auto& pending : failed)
    pending.sink->fail(std::make_exception_ptr(NodeClosed("cokka::nats: ask to " + pending.subject +
                                                          ": the node was closed before the reply")));
  for (auto& watch : watches) watch->promise.set_exception(aborted());
  std::lock_guard lock(mutex_);
  driver_ = nullptr;
}

void Link::lost() {
  std::vector<Pending> failed;
  {
    std::lock_guard lock(mutex_);
    if (!connected_ && pending_.empty()) return;
    connected_ = false;
    failed = take_all_pending();
  }
  if (!failed.empty())
    cokka::detail::log(spdlog::level::info, "cokka::nats: node {} lost its connection: {} pending asks fail", node_, failed.size());
  finish(std::move(failed),
         std::make_exception_ptr(RemoteUnavailable("cokka::nats: the connection to NATS dropped before the reply "
                                                   "(the message may or may not have been handled)")));
}

void Link::restored() {
  std::lock_guard lock(mutex_);
  if (!closed_) connected_ = true;
}

void Link::serve(const ActorRef<>& actor, const std::string& subject, const std::string& queue) {
  std::lock_guard lock(mutex_);
  if (closed_) throw RemoteUnavailable("cokka::nats: cannot serve " + subject + ": the node is closed");
  if (served_.contains(subject)) throw InvalidState("cokka::nats: this node already serves " + subject);
  natsSubscription* subscription = nullptr;
  natsStatus status = queue.empty()
                          ? natsConnection_SubscribeSync(&subscription, connection_->handle, subject.c_str())
                          : natsConnection_QueueSubscribeSync(&subscription, connection_->handle, subject.c_str(),
                                                               queue.c_str());
  if (status != NATS_OK)
    throw RemoteUnavailable("cokka::nats: cannot subscribe to " + subject + ": " + describe_status(status));
  served_.emplace(subject, Served{actor, subscription});
}

void Link::sweep() noexcept {
  std::lock_guard lock(mutex_);
  if (!driver_) return;
  std::erase_if(served_, [this](auto& entry) {
    auto& [subject, served] = entry;
    if (served.actor.is_alive()) return false;
    cokka::detail::log(spdlog::level::debug, "cokka::nats: node {} stops serving {}: {} is dead", node_, subject, to_string(served.actor));
    natsSubscription_Destroy(served.subscription);
    return true;
  });
  try {
    driver_->start(Timers::Clock::now() + heartbeat_, [this] { sweep(); });
  } catch (const std::exception& e) {
    cokka::detail::log(spdlog::level::err, "cokka::nats: node {}: cannot schedule the sweep of dead served actors: {}", node_, e.what());
  }
}

void Link::collect(std::vector<Incoming>& incoming, std::vector<Outcome>& outcomes) {
  // Stop scanning the slots once every message the connection received since the last drain is found. Every
  // message is found here or never: messages arrive only inside ProcessReadEvent on the strand, served
  // subscriptions are made on the strand too, and what is never found (for a subscription just removed, over a
  // pending limit, a late reply in a free slot) only makes one drain scan everything. A late reply found later in
  // a reused slot does not count: it arrived in an earlier drain.
  std::uint64_t received = 0;
  if (natsConnection_GetStats(connection_->handle, statistics_) == NATS_OK)
    natsStatistics_GetCounts(statistics_, &received, nullptr, nullptr, nullptr, nullptr);
  const std::uint64_t expected = received - consumed_;
  consumed_ = received;
  std::uint64_t found = 0;
  auto take = [&](natsSubscription* subscription, auto&& handle) {
    int count = 0;
    if (natsSubscription_GetPending(subscription, &count, nullptr) != NATS_OK) return;
    for (int i = 0; i < count; ++i) {
      natsMsg* message = nullptr;
      natsStatus status = natsSubscription_NextMsg(&message, subscription, 0);
      if (status != NATS_OK && status != NATS_NO_RESPONDERS) return;
      if (handle(status, message)) ++found;
    }
  };
  for (auto& entry : served_) {
    const Served& served = entry.second;  // not a structured binding: a lambda cannot capture one in C++20
    take(served.subscription, [&](natsStatus, natsMsg* message) {
      if (message) incoming.push_back(Incoming{served.actor, message});
      return true;
    });
  }
  for (auto it = pending_.begin(); it != pending_.end() && found < expected;) {
    Slot* slot = it->second.slot;
    ++it;  // the handler may take this ask
    take(slot->subscription, [&](natsStatus status, natsMsg* message) {
      std::uint64_t id = status == NATS_NO_RESPONDERS ? slot->ask : reply_id(natsMsg_GetSubject(message));
      if (id == 0 || id != slot->ask) {  // a late or duplicate reply
        natsMsg_Destroy(message);
        return false;
      }
      slot->ask = 0;
      Pending pending = take_pending(id);
      pending.slot = nullptr;
      free_slots_.push_back(slot);
      outcomes.push_back(Outcome{std::move(pending), message});
      return true;
    });
  }
}

void Link::drain(asio::io_context& io) {
  std::vector<Incoming> incoming;
  std::vector<Outcome> outcomes;
  Driver* driver = nullptr;
  {
    std::lock_guard lock(mutex_);
    collect(incoming, outcomes);
    driver = driver_;
  }
  for (auto& outcome : outcomes) {
    if (driver) driver->cancel(outcome.pending.timer);
    if (outcome.reply) {
      deliver_reply(natsMsg_GetData(outcome.reply), static_cast<std::size_t>(natsMsg_GetDataLength(outcome.reply)),
                    *outcome.pending.sink);
      natsMsg_Destroy(outcome.reply);
    } else {
      outcome.pending.sink->fail(std::make_exception_ptr(
          NoResponders("cokka::nats: nobody serves " + outcome.pending.subject + " (NATS: no responders)")));
    }
  }
  for (auto& message : incoming) dispatch(message, io);
}

void Link::dispatch(const Incoming& incoming, asio::io_context& io) noexcept {
  natsMsg* message = incoming.message;
  const char* subject = natsMsg_GetSubject(message);
  const char* reply = natsMsg_GetReply(message);
  try {
    auto handle = parse(natsMsg_GetData(message), static_cast<std::size_t>(natsMsg_GetDataLength(message)));
    Request request = read_request(handle.get());
    if (request.name == probe_name) {
      if (reply) {
        Buffer buffer;
        write_value_reply(buffer, Message(incoming.actor.is_alive()));
        this->reply(reply, buffer);
      }
    } else {
      const Codec* codec = find_codec(request.name);
      if (!codec)
        throw DecodeError("cokka::nats: unknown message \"" + std::string(request.name) +
                          "\" (not registered with COKKA_MESSAGE in this process)");
      Message decoded = codec->decode(*request.body);
      if (!reply) {
        incoming.actor.tell(std::move(decoded));
      } else {
        incoming.actor.ask<Message>(std::move(decoded))
            .async_wait(asio::bind_executor(io.get_executor(), ReplyPublisher{shared_from_this(), subject, reply}));
      }
    }
  } catch (const DecodeError& e) {
    cokka::detail::log(spdlog::level::warn, "cokka::nats: dead letter on {} (node {}): {}", subject, node_, e.what());
    if (reply) {
      Buffer buffer;
      write_error_reply(buffer, "cokka::nats::DecodeError", e.what());
      this->reply(reply, buffer);
    }
  } catch (const std::exception& e) {  // a tell to a dead actor, an allocation failure
    cokka::detail::log(spdlog::level::warn, "cokka::nats: dead letter on {} (node {}): {}", subject, node_, e.what());
    if (reply) {
      Buffer buffer;
      write_unavailable_reply(buffer, std::string(subject) + ": " + e.what());
      this->reply(reply, buffer);
    }
  }
  natsMsg_Destroy(message);
}

Future<std::exception_ptr> Link::watch(const std::string& subject) {
  std::shared_ptr<Watch> watch;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return make_exceptional_future<std::exception_ptr>(aborted());
    auto& slot = watches_[subject];
    if (slot) return slot->future;
    slot = watch = std::make_shared<Watch>();
    watch->subject = subject;
    watch->future = watch->promise.get_future();
  }
  probe(watch);
  return watch->future;
}

void Link::probe(const std::shared_ptr<Watch>& watch) noexcept {
  Buffer request;
  Packer packer(request);
  packer.pack_array(2);
  packer.pack_str(static_cast<std::uint32_t>(probe_name.size()));
  packer.pack_str_body(probe_name.data(), static_cast<std::uint32_t>(probe_name.size()));
  packer.pack_nil();
  ask(watch->subject, request, heartbeat_, std::make_unique<ProbeSink>(*this, watch));
}

void Link::probe_later(const std::shared_ptr<Watch>& watch) noexcept {
  std::lock_guard lock(mutex_);
  if (watch->done || !driver_) return;
  try {
    driver_->start(Timers::Clock::now() + heartbeat_, [this, watch] { probe(watch); });
  } catch (...) {
    watch->done = true;
    watches_.erase(watch->subject);
    watch->promise.set_exception(std::current_exception());
  }
}

void Link::end_watch(const std::shared_ptr<Watch>& watch, std::exception_ptr why) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (watch->done) return;
    watch->done = true;
    auto it = watches_.find(watch->subject);
    if (it != watches_.end() && it->second == watch) watches_.erase(it);
  }
  if (why)
    watch->promise.set_value(std::move(why));
  else
    watch->promise.set_exception(aborted());
}

// The type-erased edge the RemoteRef templates call.
void send_tell(Link& link, const std::string& subject, const Buffer& request) { link.tell(subject, request); }

void send_ask(Link& link, const std::string& subject, const Buffer& request, std::chrono::milliseconds timeout,
              std::unique_ptr<ReplySink> sink) noexcept {
  link.ask(subject, request, timeout, std::move(sink));
}

Future<std::exception_ptr> watch_presence(Link& link, const std::string& subject) { return link.watch(subject); }

}  // namespace cokka::nats::detail
