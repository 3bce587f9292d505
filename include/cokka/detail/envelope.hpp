#pragma once

#include <cokka/detail/mpsc_queue.hpp>
#include <cokka/headers.hpp>
#include <cokka/message.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>

namespace cokka::detail {

class ActorBase;
class ActorCell;

/// Receives the outcome of an actor's coroutine handler or hook (defined next to ActorCell). Called at most
/// once. Destroyed uncalled on the actor's strand, it reports that the shutdown destroyed the coroutine instead
/// of resuming it (see CellExecutor).
class CoroutineDone {
public:
  explicit CoroutineDone(std::shared_ptr<ActorCell> cell) noexcept : cell_(std::move(cell)) {}
  CoroutineDone(CoroutineDone&&) noexcept = default;
  CoroutineDone& operator=(CoroutineDone&&) = delete;
  ~CoroutineDone();

  void operator()(std::exception_ptr error, Message reply) noexcept;

private:
  std::shared_ptr<ActorCell> cell_;
};

/// A coroutine handler or hook (`asio::awaitable<T>` for any T) not started yet. `spawn` co_spawns it on
/// `executor` and hands its outcome, the T boxed as a Message, to `done`; destroying it unstarted destroys the
/// coroutine. Holds the awaitable in place: no allocation beyond the coroutine frame.
class PendingCoroutine {
public:
  template <class T>
  explicit PendingCoroutine(asio::awaitable<T> coroutine) noexcept : operations_(&operations_for<T>) {
    static_assert(sizeof(asio::awaitable<T>) <= sizeof(storage_) && alignof(asio::awaitable<T>) <= alignof(void*));
    new (storage_) asio::awaitable<T>(std::move(coroutine));
  }
  PendingCoroutine(PendingCoroutine&& other) noexcept : operations_(other.operations_) {
    operations_->relocate(other.storage_, storage_);
  }
  PendingCoroutine& operator=(PendingCoroutine&& other) noexcept {
    if (this != &other) {
      operations_->destroy(storage_);
      operations_ = other.operations_;
      operations_->relocate(other.storage_, storage_);
    }
    return *this;
  }
  ~PendingCoroutine() { operations_->destroy(storage_); }

  void spawn(const asio::any_io_executor& executor, asio::cancellation_slot slot, CoroutineDone done) {
    operations_->spawn(storage_, executor, slot, std::move(done));
  }

private:
  struct Operations {
    void (*spawn)(void* coroutine, const asio::any_io_executor&, asio::cancellation_slot, CoroutineDone);
    void (*relocate)(void* from, void* to) noexcept;
    void (*destroy)(void* coroutine) noexcept;
  };

  template <class T>
  static void spawn_awaitable(void* coroutine, const asio::any_io_executor& executor, asio::cancellation_slot slot,
                              CoroutineDone done);

  template <class T>
  static constexpr Operations operations_for{
      &spawn_awaitable<T>,
      [](void* from, void* to) noexcept {
        new (to) asio::awaitable<T>(std::move(*static_cast<asio::awaitable<T>*>(from)));
      },
      [](void* coroutine) noexcept { static_cast<asio::awaitable<T>*>(coroutine)->~awaitable(); },
  };

  const Operations* operations_;
  alignas(void*) unsigned char storage_[sizeof(void*)];
};

/// What a handler or hook returned: a finished reply, or a coroutine still to be run on the actor's strand.
struct HandlerResult {
  Message reply;
  std::optional<PendingCoroutine> pending;
};

/// One entry of an actor's mailbox. Owned by the mailbox from `enqueue` on; deleted after it was handled or
/// abandoned. Every ask-like envelope ends exactly once: `complete` or `abandon`.
class Envelope : public MpscNode {
public:
  enum class Kind : std::uint8_t {
    start,  ///< runs on_start; enqueued by System::start before any message
    ask,    ///< a handler whose failure goes to the asker
    tell,   ///< a handler whose failure stops the actor
    stop,   ///< the poison pill
    guarded,  ///< a tell delivered only if accept() says so at delivery (timer messages, Terminated)
  };

  /// `control`: travels in the control lane, ahead of the queued messages and outside the mailbox's bound.
  explicit Envelope(Kind kind, bool control = false) noexcept : kind_(kind), control_(control) {}
  Envelope(const Envelope&) = delete;
  Envelope& operator=(const Envelope&) = delete;
  virtual ~Envelope() = default;

  Kind kind() const noexcept { return kind_; }
  /// True for the control lane (stop_now, Terminated).
  bool control() const noexcept { return control_; }
  /// True when it holds a place of a bounded mailbox, given back when it leaves the queue.
  bool counted() const noexcept { return counted_; }
  void set_counted() noexcept { counted_ = true; }
  /// When it was sent, for the time-in-mailbox metric (System metrics on): steady-clock nanoseconds / 64,
  /// modulo 2^32 (274.9 s). Kept in the padding after the flags: the envelope is no larger for it.
  std::uint32_t sent_at() const noexcept { return sent_at_; }
  void set_sent_at(std::uint32_t sent_at) noexcept { sent_at_ = sent_at; }
  /// The headers the interceptors gave it as it was sent (cokka/interceptor.hpp); null: none.
  const Headers* headers() const noexcept { return headers_.get(); }
  void set_headers(std::unique_ptr<Headers> headers) noexcept { headers_ = std::move(headers); }

  /// ask/tell: runs the handler on the actor's strand. May throw (the failure rules then apply).
  virtual HandlerResult run(ActorBase& actor);
  /// ask: delivers the reply, or the handler's exception. stop: resolves the stop future (`error` is null).
  virtual void complete(std::exception_ptr error, Message reply) noexcept;
  /// The actor died before handling this envelope (asks fail "stopped before handling", stops resolve true).
  virtual void abandon(const ActorCell& cell) noexcept;
  /// The envelope was sent to an actor that was already dead (asks fail "not found", stops resolve false).
  virtual void reject(const ActorCell& cell) noexcept;
  /// What is being handled (message type or proxied member), for logs and debug dumps. Static storage: the
  /// text outlives the envelope, so a debug dump may read it from another thread after the envelope is gone.
  virtual const char* describe() const noexcept;
  /// guarded: at delivery, on the actor's strand; false drops the message (a cancelled timer, an unwatched
  /// actor's Terminated).
  virtual bool accept(ActorCell& cell) noexcept;
  /// guarded: after its handler finished (not after a failure), on the actor's strand.
  virtual void handled(ActorCell& cell);
  /// Ends the mailbox's ownership (deletes the envelope; a timer's envelope may be shared, see TimerNode).
  virtual void dispose() noexcept { delete this; }

private:
  Kind kind_;
  bool control_;
  bool counted_ = false;
  std::uint32_t sent_at_ = 0;
  std::unique_ptr<Headers> headers_;
};

/// Deletes an envelope the way its owner must: through dispose().
struct EnvelopeDelete {
  void operator()(Envelope* envelope) const noexcept { envelope->dispose(); }
};
using EnvelopePtr = std::unique_ptr<Envelope, EnvelopeDelete>;

}  // namespace cokka::detail
