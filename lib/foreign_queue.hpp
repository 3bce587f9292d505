#pragma once

// The standard headers first: Asio's configuration reads libstdc++'s macros, and with Asio first this file's
// users saw no aligned_alloc, so their handler memory came from operator new while every other translation unit
// freed it with free() (ASan: alloc-dealloc-mismatch, seen with cokka::nats's tests).
#include <atomic>
#include <memory>

#include <asio/io_context.hpp>

namespace cokka::detail {

class ActorCell;

/// Mailbox drains requested from threads that do not run the system's io_context: a plain thread telling or
/// asking an actor, System::start called from main. Posting each of them to its actor's strand would wake an
/// idle io thread per request (a futex call on the sender, then a sleep on the io thread: half the cost of
/// starting an actor from main, measured). Here a burst costs one post: the first request posts a pump, later
/// ones only push; the pump, on an io thread, queues the drains there as continuations.
///
/// Thread rules: `push` from any thread; the pump runs on the io_context. Shared with the posted pump, so a
/// pump that runs after its System is gone (a borrowed io_context run later) finds the queue, and dead cells.
class ForeignQueue : public std::enable_shared_from_this<ForeignQueue> {
public:
  explicit ForeignQueue(asio::io_context& context) noexcept : context_(context) {}
  ForeignQueue(const ForeignQueue&) = delete;
  ForeignQueue& operator=(const ForeignQueue&) = delete;
  /// Drops requests whose pump never ran (the io_context was stopped or destroyed first).
  ~ForeignQueue();

  /// Schedules `cell`'s drain from a thread outside the io_context. The caller owns the cell's mailbox.
  void push(std::shared_ptr<ActorCell> cell) noexcept;

private:
  struct Request {
    Request* next;
    std::shared_ptr<ActorCell> cell;
  };

  /// Drains scheduled per pump run: a burst of 100,000 starts queued at once would hold as many Asio
  /// operations in memory at once (it showed as +200 bytes per actor of resident memory).
  static constexpr int pump_batch = 64;

  void post_pump() noexcept;
  void pump() noexcept;

  asio::io_context& context_;
  std::atomic<Request*> requests_{nullptr};  // a stack: pushes from any thread, the pump takes them all
  std::atomic<bool> pump_posted_{false};     // set from the first push until the pump has taken everything
  Request* taken_ = nullptr;                 // taken by the pump, oldest first, not scheduled yet
};

}  // namespace cokka::detail
