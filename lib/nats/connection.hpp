#pragma once

#include <nats/nats.h>

#include <atomic>
#include <mutex>
#include <string>

namespace cokka::nats::detail {

/// The libnats connection, kept alive for everything that may still call into it: refs (publishing), the io
/// driver (read and write events) and reply handlers of served asks. The Node closes it; the last owner frees it.
struct Connection {
  natsConnection* handle = nullptr;
  /// libnats' "write event added": bytes wait in its buffer. Set by the event-loop write callback.
  std::atomic<bool> write_wanted{false};

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { natsConnection_Destroy(handle); }

  /// Writes what libnats buffered (one natsConnection_ProcessWriteEvent) and returns true when bytes remain
  /// because the socket took only part of them. Does nothing when nothing is buffered: a write event on an empty
  /// buffer sends zero bytes, which libnats takes for a closed connection. Thread-safe: the node's strand and
  /// threads that publish and write at once (WritingHere) take turns.
  bool write() noexcept {
    std::lock_guard lock(writing_);
    if (!write_wanted) return false;
    natsConnection_ProcessWriteEvent(handle);
    return write_wanted;
  }

private:
  std::mutex writing_;
};

/// While it lives, this thread publishes and then calls Connection::write() itself, and the write callback leaves
/// the strand alone: for an ask from a thread that does not run the System's io_context, where a hop to the strand
/// would cost a thread wake-up on the asker's path. Tells do not use it (a burst of them goes out in one write
/// from the strand), nor do io threads (their writes run right after their current handler, batched).
class WritingHere {
public:
  WritingHere() noexcept { active_ = true; }
  WritingHere(const WritingHere&) = delete;
  WritingHere& operator=(const WritingHere&) = delete;
  ~WritingHere() { active_ = false; }
  static bool active() noexcept { return active_; }

private:
  static thread_local bool active_;
};

/// "<text of status>: <libnats' last error on this thread>", for exception texts and log records.
std::string describe_status(natsStatus status);

}  // namespace cokka::nats::detail
