#pragma once

#include <cokka/detail/actor_base.hpp>
#include <cokka/detail/death_watch.hpp>
#include <cokka/detail/envelope.hpp>
#include <cokka/detail/gate.hpp>
#include <cokka/detail/mailbox_bound.hpp>
#include <cokka/detail/mpsc_queue.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/execution/blocking.hpp>
#include <asio/execution/relationship.hpp>
#include <asio/io_context.hpp>
#include <asio/prefer.hpp>
#include <asio/require.hpp>
#include <asio/strand.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace cokka {
class Registry;
class System;
template <class A>
class ActorRef;
}  // namespace cokka

namespace cokka::detail {

class SystemState;
class ActorCell;
class ActorTimers;
class Supervision;
class TypeMetrics;

/// The thread's "actor under construction" mark, set by System::start around the constructor.
ActorCell*& constructing_cell_slot() noexcept;
/// The thread's "cell whose code runs here" mark behind ActorCell::current().
ActorCell*& current_cell_slot() noexcept;

/// Marks the thread as running `cell`'s code (restores the previous mark: scopes nest when a coroutine step
/// completes inline inside a drain, or a test runs io_context::poll inside a handler).
class CurrentScope {
public:
  explicit CurrentScope(ActorCell* cell) noexcept : previous_(std::exchange(current_cell_slot(), cell)) {}
  CurrentScope(const CurrentScope&) = delete;
  CurrentScope& operator=(const CurrentScope&) = delete;
  ~CurrentScope() { current_cell_slot() = previous_; }

private:
  ActorCell* previous_;
};

/// Throws InvalidState: `member` of the actor of `cell` used outside its handlers.
[[noreturn]] void refuse_off_strand(const ActorCell& cell, const char* member);
/// Actor::watch / unwatch (on the watcher's strand).
void watch(ActorCell& watcher, const ActorRef<void>& target);
bool unwatch(ActorCell& watcher, const ActorRef<void>& target);

/// How an ActorExecutor submits work to the strand (Asio's blocking, relationship and outstanding_work
/// properties, as bits next to the executor's epoch).
enum ExecutorFlags : unsigned {
  blocking_never = 1,  ///< never run inline (post, defer); otherwise inline when already on the strand (dispatch)
  continuation = 2,    ///< a continuation of the current handler (defer)
  tracked = 4,         ///< counts as outstanding work on the io_context (see ActorCell::work_started)
};

/// The runtime side of one actor: its mailbox, lifecycle phase, strand and object. The ownership rules of
/// cells, strands, actor objects, coroutine frames and executors are written down in docs/internals.md.
///
/// Thread rules: `enqueue`, `phase`, `urn`, `type_name` from any thread. Everything that touches the actor
/// object, the strand or the System runs inside the cell's *gate* (see Entry), and the object and the
/// strand-owned state (stage, current envelope, epoch) only on the strand: inside the drain, which is
/// serialised by `scheduled_`, or inside work run through an ActorExecutor.
class ActorCell final : public std::enable_shared_from_this<ActorCell> {
public:
  using Strand = asio::strand<asio::io_context::executor_type>;
  enum class Phase : std::uint8_t {
    running,  ///< accepts messages
    closing,  ///< on_stop / on_failure is running; new messages are refused
    dead,     ///< object destroyed (or waiting for a coroutine frame to go, see close); envelopes are abandoned
  };

  ActorCell(SystemState& system, asio::io_context& context, const std::string& type_name);
  ActorCell(const ActorCell&) = delete;
  ActorCell& operator=(const ActorCell&) = delete;
  ~ActorCell();

  /// The cell whose code runs on this thread right now, or nullptr.
  static ActorCell* current() noexcept;
  /// The cell System::start is constructing an actor object for on this thread, or nullptr.
  static ActorCell* constructing() noexcept;

  /// A thread's permission to touch the cell's strand, its System and (on the strand) its object. ~System
  /// closes the gate of every cell and waits until no thread holds an entry; from then on entries are refused,
  /// so nothing reaches a destroyed System or io_context. A refused entry is false.
  class Entry : public Gate::Entry {
  public:
    explicit Entry(const ActorCell& cell) noexcept : Gate::Entry(cell.gate_) {}
  };

  /// Queues `envelope` (ownership passes to the mailbox). On a dead actor it is abandoned at once.
  /// `run_here` (for ~System's stop chain, which stops actors one after the other): on an io thread, a drain
  /// this starts runs right away on this thread when the strand is free, instead of after a trip through
  /// the io_context's queue.
  void enqueue(Envelope* envelope, bool run_here = false) noexcept;
  /// Queues `envelope` in the control lane, which the drain empties at the start of every turn, ahead of the
  /// queued messages (stop_now, Terminated). Taken newest first: control messages do not depend on each other.
  void enqueue_control(Envelope* envelope) noexcept;
  /// The mailbox's bound, or null when it is unbounded.
  MailboxBound* bound() const noexcept { return bound_.get(); }
  /// A user message was dropped (a full OnFull::drop_newest mailbox, or stop_now's queued tells). Any thread.
  void count_dropped() noexcept;

  Phase phase() const noexcept { return phase_.load(std::memory_order_acquire); }
  bool is_alive() const noexcept { return phase() == Phase::running; }
  std::string_view urn() const noexcept { return {urn_.data(), urn_.size()}; }
  const std::string& type_name() const noexcept { return *type_name_; }
  /// "Type (urn:uuid:...)", as Pykka prints an actor.
  std::string description() const;
  /// The owning system; only inside an entry (always true inside a handler).
  System& system() const noexcept;
  SystemState& system_state() const noexcept { return *system_; }
  /// True when its System has interceptors: sends and handlings call them.
  bool intercepted() const noexcept { return interceptors_on_; }
  /// System::start, before the cell is shared: its System has interceptors (fixed from then on).
  void intercept() noexcept { interceptors_on_ = true; }
  /// The headers of the message being handled (null: none, or nothing handled); on the strand only.
  const Headers* current_headers() const noexcept { return current_ ? current_->headers() : nullptr; }
  /// The io_context the strand belongs to (for executor queries; not to be run or posted to from here).
  asio::io_context& context() const noexcept { return *context_; }
  /// The actor object; only to be used on the strand, or under the registry lock while registered.
  ActorBase* object() const noexcept { return object_.get(); }

  // --- the actor's executor (cokka::ActorExecutor) ---
  /// The epoch of work submitted now (on the strand): executors handed out carry it, and work of an ended epoch
  /// (the coroutine the shutdown destroyed, an incarnation that died) is destroyed instead of run.
  std::uint64_t epoch() const noexcept { return epoch_; }
  /// True when work of `epoch` is to be destroyed instead of run. Any thread.
  bool discards(std::uint64_t epoch) const noexcept { return epoch < discard_below_.load(std::memory_order_acquire); }
  /// Submits `function` to the strand for ActorExecutor::execute (see StrandCall for what runs when).
  template <class Function>
  void execute(const std::shared_ptr<ActorCell>& self, std::uint64_t epoch, unsigned flags, Function&& function) const;
  /// True when this thread runs the actor's strand (false once its System is gone).
  bool running_in_this_thread() const noexcept;
  /// An ActorExecutor with outstanding_work.tracked was made or copied: counts as work on the io_context until
  /// work_finished, or until ~System, which releases what is still counted. Any thread.
  void work_started() const noexcept;
  void work_finished() const noexcept;

  /// Who waits for the actor to end for good (Terminated, async_wait_stopped, wait_stopped). Any thread.
  DeathWatchers& death_watchers() noexcept { return death_watchers_; }
  /// The actor's name, restart policy and watches (on the strand; made on first use).
  Supervision& supervision();
  Supervision* supervision_if_any() noexcept { return supervision_.get(); }

  /// The actor's keyed timers (on the strand; made on first use).
  ActorTimers& timers();
  ActorTimers* timers_if_any() noexcept { return timers_.get(); }

  /// What the actor is doing, as cokka::debug reports it. Any thread may read it while the actor runs.
  struct Activity {
    const char* handling = nullptr;            ///< Envelope::describe() or hook name; null when idle
    std::chrono::milliseconds handling_for{};  ///< since its drain turn began (coarse clock, a few ms)
    std::size_t mailbox_depth = 0;             ///< envelopes queued and not taken yet
    std::uint64_t enqueued = 0;                ///< envelopes ever queued (0: System::start has not launched it)
    const ActorCell* awaiting = nullptr;       ///< whose reply a coroutine handler awaits (identity only)
    bool awaiting_room = false;                ///< it awaits room in `awaiting`'s mailbox, not a reply
    std::size_t capacity = 0;                  ///< of a bounded mailbox (0: unbounded)
    std::size_t waiting_senders = 0;           ///< async_tell / async_ask waiting for room
    std::uint64_t dropped = 0;                 ///< user messages dropped (see count_dropped)
  };
  Activity activity() const noexcept;
  /// A coroutine handler of this actor started waiting (wait `op`) for a reply `producer` will give.
  void begin_await(const void* op, const ActorCell* producer) noexcept;
  /// Wait `op` ended (the coroutine is resuming).
  void end_await(const void* op) noexcept;
  /// A coroutine handler or hook has started and not ended: it owns the mailbox. Any thread (a hint there).
  bool runs_coroutine() const noexcept { return coroutine_running_.load(std::memory_order_relaxed); }

  // --- used by System only ---
  void adopt(std::unique_ptr<ActorBase> object) noexcept;
  /// Counts the actor's messages into `type` (System metrics on), taking over the reference the caller holds;
  /// before anything is sent to the actor.
  void measure(TypeMetrics* type) noexcept { metrics_ = type; }
  /// Bounds the mailbox (before anything is sent to the actor).
  void bound_mailbox(const MailboxOptions& options) { bound_ = std::make_unique<MailboxBound>(options); }
  /// A restart's backoff is over: the next incarnation is built on the strand.
  void resume_after_backoff() noexcept;
  /// Schedules on_start ahead of every message: a constructor may hand out self(), and messages sent
  /// through it wait in the mailbox (no drain runs before this).
  void schedule_start() noexcept;
  /// The actor's constructor threw: the actor is dead; messages sent to it meanwhile fail.
  void abandon_construction() noexcept;
  /// For ~System: destroys the coroutine handler or hook suspended now, on the strand (see StrandCall).
  /// Coroutines that start once the system is shutting down are destroyed at their first suspension anyway.
  /// `if_seen_running`: skip an actor that seems to run no coroutine (a hint read off the strand).
  void destroy_coroutine_soon(bool if_seen_running);
  /// ~System's last word on the actor, once no stop can go through its mailbox any more: closes the gate,
  /// waits for the threads still inside (a stopped io_context's threads finishing their handler), then ends
  /// what is left without hooks. The object is destroyed here, unless a coroutine handler is suspended in a
  /// context nobody runs: its frame still refers to the object, which then goes with the frame (see
  /// coroutine_destroyed). Work of the actor's executors is destroyed from now on instead of run.
  void close() noexcept;

  // --- used by the test kit's seeded schedule (DrainPicker) ---
  /// The drain this cell requested from the picker runs now (queued on its strand); refused after close().
  void post_picked_drain() noexcept;

  // --- used by the coroutine machinery (CoroutineDone) ---
  /// The outcome of the coroutine handler or hook started last (on the strand).
  void coroutine_done(std::exception_ptr error, Message reply) noexcept;
  /// The coroutine started last was destroyed without finishing: by the shutdown (on the strand), by its
  /// io_context's destruction, or after close.
  void coroutine_destroyed() noexcept;

private:
  friend class ForeignQueue;  // calls schedule() on an io thread for requests from outside
  friend class cokka::Registry;
  template <class Function>
  friend struct StrandCall;
  enum class Stage : std::uint8_t { idle, starting, handling, stopping, failing, restarting };

  void schedule(bool run_here = false) noexcept;
  void schedule_from_pump() noexcept;
  void post_drain(bool dispatch) noexcept;
  void post_drain_to_strand(bool dispatch) noexcept;
  void release() noexcept;
  void discard_mailbox() noexcept;
  void discard_after_close() noexcept;
  void drain() noexcept;
  bool process(Envelope* envelope) noexcept;
  template <class Invoke>
  bool invoke(Invoke&& invoke) noexcept;
  bool settle(std::exception_ptr error, Message reply) noexcept;
  bool begin_closing(Stage stage, std::exception_ptr failure) noexcept;
  bool begin_failure(std::exception_ptr failure) noexcept;
  bool restart() noexcept;
  void finish_restart() noexcept;
  void abort_restart() noexcept;
  void die() noexcept;
  void abandon_queue() noexcept;
  void spawn(PendingCoroutine coroutine) noexcept;
  void destroy_coroutine() noexcept;
  void finish_destroyed_coroutine() noexcept;
  void close_unstarted() noexcept;
  void drop_at_shutdown() noexcept;
  void release_object_after_close() noexcept;
  void replace_object(std::unique_ptr<ActorBase> next) noexcept;  // a restart's, while registered
  /// Runs `function(cell)` on the strand inside an entry (dispatch: inline when the strand is free here).
  template <class Function>
  void on_strand(bool dispatch, Function function) noexcept;
  Envelope* pop() noexcept;
  Envelope* pop_control() noexcept;
  void mark_handling(const char* what) noexcept { handling_.store(what, std::memory_order_release); }
  void measure_sent(Envelope& envelope, std::uint64_t pushed) noexcept;
  void measure_taken(const Envelope& envelope, std::uint64_t popped) noexcept;
  void measure_handling_begins() noexcept;
  void measure_handled(bool failed) noexcept;
  void end_interception(const std::exception_ptr& failure) noexcept;

  SystemState* system_;
  asio::io_context* context_;
  const std::string* type_name_;
  // Read by senders and the strand alike, so kept with the fields that do not change, away from the counters
  // senders write: null while System metrics are off (else a reference, released by ~ActorCell).
  TypeMetrics* metrics_ = nullptr;
  std::optional<Strand> strand_;  // reset by close(), before the io_context can go
  MpscQueue queue_;
  // Debug counters, kept next to the queue they count. Mailbox depth = pushed_ - popped_.
  std::atomic<std::uint64_t> pushed_{0};
  std::atomic<std::uint64_t> popped_{0};  // written by the one consumer only
  std::atomic<bool> scheduled_{true};     // System::start owns the mailbox until schedule_start()
  std::atomic<Envelope*> control_{nullptr};  // the control lane: a stack, pushed by anyone, popped by the consumer
  std::unique_ptr<MailboxBound> bound_;      // null: unbounded
  std::atomic<std::uint64_t> dropped_{0};
  EnvelopePtr start_;       // on_start, handled before the queue
  Gate gate_;
  std::atomic<bool> discarding_{false};         // one consumer at a time after close (discard_after_close)
  mutable std::atomic<std::uint32_t> tracked_work_{0};  // outstanding work counted for tracked executors
  std::atomic<const char*> handling_{nullptr};
  std::atomic<std::int64_t> turn_began_{0};  // coarse clock, ns
  std::atomic<const void*> await_op_{nullptr};
  std::atomic<const ActorCell*> awaiting_{nullptr};
  std::atomic<Phase> phase_{Phase::running};
  Stage stage_ = Stage::idle;
  bool handling_intercepted_ = false;  // on the strand: on_handle ran for current_, on_handled is due
  std::uint64_t handling_began_ = 0;  // on the strand: metrics_now() as a timed handler began, else 0
  // Written on the strand; read elsewhere only as a hint (destroy_coroutine_soon), and by close().
  std::atomic<bool> coroutine_running_{false};
  // close() and the last coroutine frame it waits for: the second of the two destroys the object.
  std::atomic<bool> object_handed_over_{false};
  std::uint64_t epoch_ = 1;                       // on the strand
  std::atomic<std::uint64_t> discard_below_{1};   // epochs below it are over
  std::unique_ptr<ActorBase> object_;
  EnvelopePtr current_;
  std::unique_ptr<ActorTimers> timers_;  // on the strand; ended when the actor dies
  std::unique_ptr<Supervision> supervision_;  // on the strand
  std::exception_ptr failure_;                // on the strand: what is ending the actor, for its watchers
  DeathWatchers death_watchers_;
  std::atomic<bool> restart_pending_{false};  // a hint for ~System's sweep, like coroutine_running_
  asio::cancellation_signal cancel_;
  // The registry's start-ordered list (guarded by the registry's mutex).
  ActorCell* registry_prev_ = nullptr;
  ActorCell* registry_next_ = nullptr;
  std::shared_ptr<ActorCell> registry_hold_;  // a registered actor is kept alive by its registry
  const std::string* registry_name_ = nullptr;  // its key in the registry's names, if it has a name
  bool registered_ = false;
  bool interceptors_on_ = false;  // set before the cell is shared (see intercept()); read by senders too
  std::array<char, 45> urn_;
};

/// Work submitted through an ActorExecutor, as the strand runs it: inside an entry (refused: the System is
/// gone, and the work is destroyed unrun), with the cell marked current. Work of an epoch that ended meanwhile
/// is destroyed there instead of run: a coroutine's resumption destroys its frames, as a destroyed io_context
/// would (destructors of locals run; catch blocks and code after the co_await do not).
template <class Function>
struct StrandCall {
  std::shared_ptr<ActorCell> cell;  // owned: running the function may drop the last other reference
  std::uint64_t epoch;
  std::optional<Function> function;

  void operator()() {
    ActorCell::Entry entry(*cell);
    if (!entry) return;
    CurrentScope scope(cell.get());
    if (cell->discards(epoch))
      function.reset();
    else
      (*function)();
  }
};

template <class Function>
void ActorCell::execute(const std::shared_ptr<ActorCell>& self, std::uint64_t epoch, unsigned flags,
                        Function&& function) const {
  using F = std::decay_t<Function>;
  Entry entry(*this);
  if (!entry) return;  // the System is gone: `function` is destroyed unrun, here
  StrandCall<F> call{self, epoch, std::optional<F>(std::in_place, std::forward<Function>(function))};
  if ((flags & blocking_never) == 0) return strand_->execute(std::move(call));  // inline when on the strand
  auto never = asio::require(*strand_, asio::execution::blocking.never);
  if (flags & continuation)
    asio::prefer(never, asio::execution::relationship.continuation).execute(std::move(call));
  else
    never.execute(std::move(call));
}

}  // namespace cokka::detail
