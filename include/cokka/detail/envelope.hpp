#pragma once

#include <cokka/detail/mpsc_queue.hpp>
#include <cokka/message.hpp>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>

namespace cokka::detail {

class ActorBase;
class ActorCell;

/// What a handler or hook returned: a finished reply, or a coroutine still to be run on the actor's strand.
struct HandlerResult {
  Message reply;
  std::optional<asio::awaitable<Message>> pending;
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
  };

  explicit Envelope(Kind kind) noexcept : kind_(kind) {}
  Envelope(const Envelope&) = delete;
  Envelope& operator=(const Envelope&) = delete;
  virtual ~Envelope() = default;

  Kind kind() const noexcept { return kind_; }

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

private:
  Kind kind_;
};

}  // namespace cokka::detail
