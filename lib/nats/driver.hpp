#pragma once
// The Asio event loop adapter for libnats (natsOptions_SetEventLoop): the System's io_context waits on the NATS
// socket and calls natsConnection_ProcessReadEvent / ProcessWriteEvent, so the client runs no reader or flusher
// thread. Also the node's timers (one steady_timer on the same strand).
//
// libnats calls the four callbacks under its connection lock, from whatever thread is at work: the connecting
// thread (attach), any publishing thread (write), the thread that noticed a dropped connection (read and write
// removal: the strand itself, or libnats' ping timer thread), the reconnect thread (attach again), the closing
// thread (removal, detach). Each callback only records what it was told and posts to the strand; all the socket
// work happens there, in the order libnats asked for it.
//
// The socket: libnats owns its descriptor and closes it itself, right after the removal callbacks and from the
// thread that noticed the failure. The strand therefore never waits on libnats' descriptor number: attach
// registers a duplicate (F_DUPFD_CLOEXEC) with the reactor, and the strand closes only that duplicate. A number
// libnats closed and the kernel reused (the reconnect's new socket, any other file) can then never be deregistered
// or re-armed by a late operation of ours, which asio::posix::stream_descriptor::release() on libnats' own number
// could not rule out when the close happens on another thread. Every wait carries the attach generation it was
// started in; a completion of an older generation is ignored.

#include "link.hpp"
#include "timers.hpp"

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace cokka::nats::detail {

class Driver final : public std::enable_shared_from_this<Driver>, public Timers {
public:
  Driver(asio::io_context& io, std::shared_ptr<Link> link, std::shared_ptr<Connection> connection);

  /// The connection is up (natsConnection_Connect returned): start reading.
  void run();
  /// After natsConnection_Close: closes the socket duplicate and the timer; queued work does nothing any more.
  void shutdown();

  /// The connection dropped (libnats' disconnected or closed callback): pending asks fail.
  void post_lost();
  /// libnats' reconnected callback.
  void post_restored();
  /// Writes what libnats buffered, from the strand (after a WritingHere write that the socket took only part of).
  void post_flush();
  /// Runs `f` on the strand and waits for it; rethrows what it threw. Not on an io thread (it could wait for
  /// itself), and not once the node is closing (InvalidState).
  void call(const std::function<void()>& f);
  /// True on a thread that runs the System's io_context.
  bool on_io_thread() const noexcept;

  Id start(Clock::time_point when, std::function<void()> fire) override;
  void cancel(Id id) noexcept override;

  // natsEvLoop_* callbacks; `loop` and `user_data` are this driver.
  static natsStatus on_attach(void** user_data, void* loop, natsConnection* connection, natsSock socket) noexcept;
  static natsStatus on_read(void* user_data, bool add) noexcept;
  static natsStatus on_write(void* user_data, bool add) noexcept;
  static natsStatus on_detach(void* user_data) noexcept;

private:
  template <class F>
  void post(F&& f);

  // Strand only.
  void attached(std::uint64_t generation, int descriptor);
  void read_removed(std::uint64_t generation);
  void arm_read();
  void arm_write();
  void flush();
  void lost();
  void arm_timer();
  void fire_timers();

  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  const std::shared_ptr<Link> link_;
  const std::shared_ptr<Connection> connection_;

  // Strand only.
  bool running_ = false;
  std::optional<asio::posix::stream_descriptor> socket_;  // our duplicate of libnats' socket
  std::uint64_t generation_ = 0;                          // of socket_
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool stopped_ = false;
  asio::steady_timer timer_;

  // Callback threads.
  std::atomic<std::uint64_t> attaches_{0};
  std::atomic<bool> flush_posted_{false};

  std::mutex timers_mutex_;
  std::map<std::pair<Clock::time_point, Id>, std::function<void()>> due_;
  std::unordered_map<Id, Clock::time_point> deadlines_;
  Id next_timer_ = 0;
  Clock::time_point armed_ = Clock::time_point::max();  // when timer_ fires next (max: idle)
};

}  // namespace cokka::nats::detail
