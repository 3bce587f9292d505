#pragma once

#include <cokka/detail/actor_base.hpp>
#include <cokka/detail/envelope.hpp>
#include <cokka/detail/mpsc_queue.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cokka {
class System;
}

namespace cokka::detail {

class SystemState;
class ActorCell;
class ForeignQueue;

/// The thread's "actor under construction" mark, set by System::start around the constructor.
ActorCell*& constructing_cell_slot() noexcept;

/// The runtime side of one actor: its mailbox, lifecycle phase, strand and object.
///
/// Thread rules: `enqueue`, `phase`, `urn`, `type_name` from any thread; everything that touches the actor
/// object runs inside the drain, which is serialised by `scheduled_` and runs on the strand.
class ActorCell final : public std::enable_shared_from_this<ActorCell> {
public:
  using Strand = asio::strand<asio::io_context::executor_type>;
  enum class Phase : std::uint8_t {
    running,  ///< accepts messages
    closing,  ///< on_stop / on_failure is running; new messages are refused
    dead,     ///< object destroyed; every envelope is abandoned
  };

  ActorCell(SystemState& system, Strand strand, const std::string& type_name);
  ActorCell(const ActorCell&) = delete;
  ActorCell& operator=(const ActorCell&) = delete;
  ~ActorCell();

  /// The cell whose handler runs on this thread right now, or nullptr.
  static ActorCell* current() noexcept;
  /// The cell System::start is constructing an actor object for on this thread, or nullptr.
  static ActorCell* constructing() noexcept;

  /// Queues `envelope` (ownership passes to the mailbox). On a dead actor it is abandoned at once.
  /// `run_here` (for ~System's stop chain, which stops actors one after the other): on an io thread, a drain
  /// this starts runs right away on this thread when the strand is free, instead of after a trip through
  /// the io_context's queue.
  void enqueue(Envelope* envelope, bool run_here = false) noexcept;

  Phase phase() const noexcept { return phase_.load(std::memory_order_acquire); }
  bool is_alive() const noexcept { return phase() == Phase::running; }
  std::string_view urn() const noexcept { return {urn_.data(), urn_.size()}; }
  const std::string& type_name() const noexcept { return *type_name_; }
  /// "Type (urn:uuid:...)", as Pykka prints an actor.
  std::string description() const;
  /// The owning system; only valid while the system exists (always true inside a handler).
  System& system() const noexcept;
  SystemState& system_state() const noexcept { return *system_; }
  /// The actor's strand. Throws InvalidState after its system was destroyed.
  const Strand& strand() const;
  /// The actor object; only to be used on the strand, or under the registry lock while registered.
  ActorBase* object() const noexcept { return object_.get(); }

  /// What the actor is doing, as cokka::debug reports it. Any thread may read it while the actor runs.
  struct Activity {
    const char* handling = nullptr;            ///< Envelope::describe() or hook name; null when idle
    std::chrono::milliseconds handling_for{};  ///< since its drain turn began (coarse clock, a few ms)
    std::size_t mailbox_depth = 0;             ///< envelopes queued and not taken yet
    std::uint64_t enqueued = 0;                ///< envelopes ever queued (0: System::start has not launched it)
    const ActorCell* awaiting = nullptr;       ///< whose reply a coroutine handler awaits (identity only)
  };
  Activity activity() const noexcept;
  /// A coroutine handler of this actor started waiting (wait `op`) for a reply `producer` will give.
  void begin_await(const void* op, const ActorCell* producer) noexcept;
  /// Wait `op` ended (the coroutine is resuming).
  void end_await(const void* op) noexcept;

  // --- used by System and Registry only ---
  void adopt(std::unique_ptr<ActorBase> object) noexcept;
  /// Schedules on_start ahead of every message: a constructor may hand out self(), and messages sent
  /// through it wait in the mailbox (no drain runs before this).
  void schedule_start() noexcept;
  /// The actor's constructor threw: the actor is dead; messages sent to it meanwhile fail.
  void abandon_construction() noexcept;
  /// For ~System: destroys the coroutine handler or hook suspended now, on the strand (see CellExecutor).
  /// Coroutines that start once the system is shutting down are destroyed at their first suspension anyway.
  /// `if_seen_running`: skip an actor that seems to run no coroutine (a hint read off the strand).
  void destroy_coroutine_soon(bool if_seen_running);
  /// Kills the actor from outside the strand, without hooks, for a shutdown that cannot go through the
  /// mailbox. `nothing_runs`: no thread runs the io_context, so a pending drain cannot be executing.
  /// False when a drain may be running and the cell was left alone.
  bool close_now(bool nothing_runs) noexcept;
  /// The outcome of the coroutine handler or hook started last (on the strand; see CoroutineDone).
  void coroutine_done(std::exception_ptr error, Message reply) noexcept;
  /// The coroutine started last was destroyed without finishing. Acts only when the shutdown destroyed it, on
  /// the strand (see CellExecutor); otherwise its io_context is being destroyed, and nothing runs any more.
  void coroutine_destroyed() noexcept;
  /// True when the coroutine spawned as number `coroutine` (and what it spawned on its executor) is to be
  /// destroyed at its next resumption instead of resumed (see CellExecutor). Any thread.
  bool discards(std::uint64_t coroutine) const noexcept {
    return coroutine <= discard_through_.load(std::memory_order_acquire);
  }
  /// Drops the strand once the system's io_context is going away (after senders still posting to it).
  void detach_strand() noexcept;

  /// Intrusive links of the registry's start-ordered list (guarded by the registry's mutex).
  ActorCell* registry_prev = nullptr;
  ActorCell* registry_next = nullptr;
  std::shared_ptr<ActorCell> registry_hold;  ///< a registered actor is kept alive by its registry
  bool registered = false;

private:
  friend class ForeignQueue;  // calls schedule() on an io thread for requests from outside
  enum class Stage : std::uint8_t { idle, starting, handling, stopping, failing };

  void schedule(bool run_here = false) noexcept;
  void release() noexcept;
  void drain() noexcept;
  bool process(Envelope* envelope) noexcept;
  template <class Invoke>
  bool invoke(Invoke&& invoke) noexcept;
  bool settle(std::exception_ptr error, Message reply) noexcept;
  bool begin_closing(Stage stage, std::exception_ptr failure) noexcept;
  void die() noexcept;
  void abandon_queue() noexcept;
  void spawn(PendingCoroutine coroutine) noexcept;
  void destroy_coroutine() noexcept;
  void finish_destroyed_coroutine() noexcept;
  void close_unstarted() noexcept;
  void drop_at_shutdown() noexcept;
  Envelope* pop() noexcept;
  void mark_handling(const char* what) noexcept { handling_.store(what, std::memory_order_release); }

  SystemState* system_;
  const std::string* type_name_;
  std::optional<Strand> strand_;
  MpscQueue queue_;
  // Debug counters, kept next to the queue they count. Mailbox depth = pushed_ - popped_.
  std::atomic<std::uint64_t> pushed_{0};
  std::atomic<std::uint64_t> popped_{0};  // written by the one consumer only
  std::atomic<bool> scheduled_{true};  // System::start owns the mailbox until schedule_start()
  std::unique_ptr<Envelope> start_;    // on_start, handled before the queue
  std::atomic<int> posting_{0};        // senders inside schedule() (detach_strand waits for them)
  std::atomic<const char*> handling_{nullptr};
  std::atomic<std::int64_t> turn_began_{0};  // coarse clock, ns
  std::atomic<const void*> await_op_{nullptr};
  std::atomic<const ActorCell*> awaiting_{nullptr};
  std::atomic<Phase> phase_{Phase::running};
  Stage stage_ = Stage::idle;
  // Written on the strand; read elsewhere only as a hint (destroy_coroutine_soon skips actors without one).
  std::atomic<bool> coroutine_running_{false};
  std::uint64_t spawned_ = 0;  // coroutines spawned so far; the latest one's number (on the strand)
  std::atomic<std::uint64_t> discard_through_{0};  // coroutines numbered up to this one are destroyed
  std::unique_ptr<ActorBase> object_;
  std::unique_ptr<Envelope> current_;
  asio::cancellation_signal cancel_;
  std::array<char, 45> urn_;
};

}  // namespace cokka::detail
