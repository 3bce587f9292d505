#include "cokka/detail/cell.hpp"

#include "cokka/detail/actor_model.hpp"
#include "cokka/detail/actor_timers.hpp"
#include "cokka/detail/envelopes.hpp"
#include "cokka/executor.hpp"
#include "dead_letter.hpp"
#include "foreign_queue.hpp"
#include "interceptors.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "supervision.hpp"
#include "system_state.hpp"
#include "urn.hpp"

#include <asio/defer.hpp>
#include <asio/dispatch.hpp>

#include <ctime>
#include <limits>
#include <thread>

namespace cokka::detail {

namespace {

/// Ends a restart's backoff: the actor's next incarnation is built on its strand.
class RestartTimer final : public TimerNode {
public:
  explicit RestartTimer(std::shared_ptr<ActorCell> cell) noexcept : TimerNode(Kind::guarded), cell_(std::move(cell)) {}
  void fire() noexcept override {
    if (transition(State::pending, State::fired)) cell_->resume_after_backoff();
    dispose();
  }
  void abort() noexcept override { dispose(); }

private:
  std::shared_ptr<ActorCell> cell_;
};

/// The epoch no work reaches: the actor is dead, or its System gone.
constexpr std::uint64_t all_epochs = std::numeric_limits<std::uint64_t>::max();

/// Nanoseconds of a monotonic clock that is cheap enough to read once per drain turn (for debug dumps). The
/// coarse Linux clock costs a quarter of steady_clock on the target VMs, at a resolution of a few ms.
std::int64_t coarse_now() noexcept {
#ifdef CLOCK_MONOTONIC_COARSE
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
#else
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
#endif
}

/// The cell whose drain runs on this thread (the trampoline's test: see coroutine_done).
const ActorCell*& draining_slot() noexcept {
  thread_local const ActorCell* draining = nullptr;
  return draining;
}

class DrainScope {
public:
  explicit DrainScope(const ActorCell* cell) noexcept : previous_(std::exchange(draining_slot(), cell)) {}
  DrainScope(const DrainScope&) = delete;
  DrainScope& operator=(const DrainScope&) = delete;
  ~DrainScope() { draining_slot() = previous_; }

private:
  const ActorCell* previous_;
};

}  // namespace

ActorCell*& current_cell_slot() noexcept {
  thread_local ActorCell* current = nullptr;
  return current;
}

bool in_actor_code() noexcept { return current_cell_slot() != nullptr; }

ActorCell*& constructing_cell_slot() noexcept {
  thread_local ActorCell* constructing = nullptr;
  return constructing;
}

ActorCell::ActorCell(SystemState& system, asio::io_context& context, const std::string& type_name)
    : system_(&system), context_(&context), type_name_(&type_name), strand_(asio::make_strand(context)) {
  make_urn(urn_);
}

ActorCell::~ActorCell() {
  abandon_queue();
  if (metrics_) metrics_->release();
}

Supervision& ActorCell::supervision() {
  if (!supervision_) supervision_ = std::make_unique<Supervision>(*this);
  return *supervision_;
}

ActorTimers& ActorCell::timers() {
  if (!timers_) timers_ = std::make_unique<ActorTimers>(*this);
  return *timers_;
}

ActorCell* ActorCell::current() noexcept { return current_cell_slot(); }

ActorCell* ActorCell::constructing() noexcept { return constructing_cell_slot(); }

std::string ActorCell::description() const { return type_name() + " (" + std::string(urn()) + ")"; }

System& ActorCell::system() const noexcept { return system_->owner; }

bool ActorCell::running_in_this_thread() const noexcept {
  Entry entry(*this);
  return entry && strand_->running_in_this_thread();
}

void ActorCell::work_started() const noexcept {
  Entry entry(*this);
  if (!entry) return;
  context_->get_executor().on_work_started();
  tracked_work_.fetch_add(1, std::memory_order_relaxed);
}

// After close() this is refused: close released the work still counted, once.
void ActorCell::work_finished() const noexcept {
  Entry entry(*this);
  if (!entry) return;
  tracked_work_.fetch_sub(1, std::memory_order_relaxed);
  context_->get_executor().on_work_finished();
}

template <class Function>
void ActorCell::on_strand(bool dispatch, Function function) noexcept {
  auto call = [self = shared_from_this(), function = std::move(function)]() mutable {
    Entry entry(*self);
    if (!entry) return;  // closed meanwhile: close() did what was left
    CurrentScope scope(self.get());
    function(*self);
  };
  if (dispatch)
    asio::dispatch(*strand_, std::move(call));
  else
    asio::defer(*strand_, std::move(call));
}

void ActorCell::adopt(std::unique_ptr<ActorBase> object) noexcept { object_ = std::move(object); }

void ActorCell::schedule_start() noexcept {
  start_.reset(new StartEnvelope());
  pushed_.fetch_add(1, std::memory_order_relaxed);  // counted as queued, for debug dumps
  schedule();                                       // scheduled_ is still ours since construction
}

void ActorCell::abandon_construction() noexcept {
  phase_.store(Phase::dead);
  death_watchers_.notify(nullptr);  // self() may have been handed out by the constructor
  system_->registry.release_name(*this);
  discard_mailbox();  // scheduled_ is still ours since construction
}

void ActorCell::enqueue(Envelope* envelope, bool run_here) noexcept {
  // Counted before the push, so that a reader never sees popped > pushed.
  const auto pushed = pushed_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (metrics_) [[unlikely]]
    measure_sent(*envelope, pushed);
  queue_.push(envelope);
  // The flag is read before it is swapped: while a drain is scheduled (the flag is set), a sender does not
  // write its cache line. Nothing is lost: a drain giving the flag up re-reads the queue afterwards, and the
  // push, this load, release()'s store and its queue read are all seq_cst (so one of the two sees the other).
  if (!scheduled_.load() && !scheduled_.exchange(true)) schedule(run_here);
}

// A stack (a CAS push; only the one consumer pops, so a popped node cannot come back: no ABA). The push and the
// flag's load are seq_cst, like enqueue's, against release()'s store and its look at the lane.
void ActorCell::enqueue_control(Envelope* envelope) noexcept {
  const auto pushed = pushed_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (metrics_) [[unlikely]]
    measure_sent(*envelope, pushed);
  auto* top = control_.load();
  do {
    envelope->next.store(top, std::memory_order_relaxed);
  } while (!control_.compare_exchange_weak(top, envelope));
  if (!scheduled_.load() && !scheduled_.exchange(true)) schedule();
}

void ActorCell::count_dropped() noexcept {
  dropped_.fetch_add(1, std::memory_order_relaxed);
  if (metrics_) [[unlikely]]
    metrics_->dropped.fetch_add(1, std::memory_order_relaxed);
}

// Before the envelope is pushed (after, its handler may have freed it); `pushed` is its number among the
// mailbox's pushes. One message in sample_mask + 1 is timed: it carries its send time (never 0), the others 0.
// Nothing else is counted here: see TypeMetrics::taken.
void ActorCell::measure_sent(Envelope& envelope, std::uint64_t pushed) noexcept {
  envelope.set_sent_at((pushed & metrics_->sample_mask) == 0 ? static_cast<std::uint32_t>(metrics_now() >> 6) | 1 : 0);
}

// By the mailbox's consumer, as it takes `envelope`, the `popped`th (the depth then counts it). The deepest a
// mailbox has been is seen here: pushes only deepen it until the next take.
void ActorCell::measure_taken(const Envelope& envelope, std::uint64_t popped) noexcept {
  if (envelope.kind() == Envelope::Kind::stop || envelope.kind() == Envelope::Kind::start) return;
  metrics_->taken.fetch_add(1, std::memory_order_relaxed);
  const auto pushed = pushed_.load(std::memory_order_relaxed);
  metrics_->note_depth(pushed >= popped ? pushed - popped + 1 : 0);
}

// On the strand, as the handler of current_ begins.
void ActorCell::measure_handling_begins() noexcept {
  handling_began_ = 0;
  if (current_->sent_at() == 0) return;  // not timed
  handling_began_ = metrics_now();
  const auto waited = static_cast<std::uint32_t>(static_cast<std::uint32_t>(handling_began_ >> 6) - current_->sent_at());
  metrics_->time_in_mailbox.record(std::uint64_t{waited} << 6);
}

// On the strand, as the handler of current_ ends (a coroutine handler's at its end).
void ActorCell::measure_handled(bool failed) noexcept {
  if (handling_began_ != 0) metrics_->handling_time.record(metrics_now() - handling_began_);
  metrics_->handled.fetch_add(1, std::memory_order_relaxed);
  if (failed) metrics_->failed.fetch_add(1, std::memory_order_relaxed);
}

// The caller owns `scheduled_`. A dead actor's mailbox is emptied by whoever owns it: no drain is posted for it.
void ActorCell::schedule(bool run_here) noexcept {
  Entry entry(*this);
  if (!entry) return discard_after_close();
  if (phase() == Phase::dead) return discard_mailbox();
  if (!strand_->get_inner_executor().running_in_this_thread())
    system_->foreign->push(shared_from_this());
  else
    post_drain(run_here);
}

// The continuation of a schedule() from outside the io_context (ForeignQueue). Refused, it is stale: close()
// took the mailbox over.
void ActorCell::schedule_from_pump() noexcept {
  Entry entry(*this);
  if (!entry) return;
  if (phase() == Phase::dead) return discard_mailbox();
  post_drain(false);
}

// Inside an entry, by the owner of `scheduled_`: the drain it posts owns the mailbox. Under a seeded test
// schedule the picker holds the drain until it picks this actor.
void ActorCell::post_drain(bool dispatch) noexcept {
  if (system_->picker) [[unlikely]]
    return system_->picker->ready(shared_from_this());
  post_drain_to_strand(dispatch);
}

void ActorCell::post_picked_drain() noexcept {
  Entry entry(*this);
  if (entry) post_drain_to_strand(false);  // refused: stale, close() took the mailbox over
}

void ActorCell::post_drain_to_strand(bool dispatch) noexcept {
  auto drain_now = [self = shared_from_this()] {
    Entry entry(*self);
    if (entry) self->drain();  // refused: stale, close() took the mailbox over
  };
  if (dispatch)
    asio::dispatch(*strand_, std::move(drain_now));
  else
    asio::defer(*strand_, std::move(drain_now));
}

// Gives up `scheduled_`, then takes it back if a push slipped in meanwhile (its pusher saw the flag set).
void ActorCell::release() noexcept {
  // The queue's consumer side may not be read once scheduled_ is false: a sender may own it by then.
  const auto* mark = queue_.mark();
  scheduled_.store(false);
  if ((queue_.pushed_since(mark) || control_.load() != nullptr) && !scheduled_.exchange(true)) schedule();
}

// The owner of `scheduled_` abandons what is queued (it touches the envelopes and this cell only: allowed
// without an entry) and gives the mailbox up.
void ActorCell::discard_mailbox() noexcept {
  abandon_queue();
  release();
}

// After close(), whoever finds the mailbox non-empty (close itself, a sender that raced it) empties it, one at a
// time: a drain or pump request queued before close() may still believe it owns `scheduled_`, so the flag no
// longer makes one consumer.
void ActorCell::discard_after_close() noexcept {
  for (;;) {
    while (discarding_.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
    abandon_queue();
    const auto* mark = queue_.mark();
    scheduled_.store(false);
    discarding_.store(false, std::memory_order_release);
    if ((!queue_.pushed_since(mark) && control_.load() == nullptr) || scheduled_.exchange(true)) return;
  }
}

// Inside an entry, on the strand.
void ActorCell::drain() noexcept {
  CurrentScope scope(this);
  DrainScope draining(this);
  if (!system_->ran.load(std::memory_order_relaxed)) system_->ran.store(true, std::memory_order_relaxed);
  turn_began_.store(coarse_now(), std::memory_order_relaxed);
  if (start_) {
    popped_.store(popped_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    if (!process(start_.release())) return;  // a coroutine on_start owns the mailbox until it finishes
  }
  for (int handled = 0; handled < system_->drain_batch; ++handled) {
    // The control lane first (a relaxed look: a push it misses is seen by the next one, or by release()).
    auto* envelope = control_.load(std::memory_order_relaxed) ? pop_control() : pop();
    if (!envelope) {
      mark_handling(nullptr);
      return release();
    }
    if (!process(envelope)) return;  // a coroutine owns the mailbox until it finishes
  }
  mark_handling(nullptr);
  if (phase() == Phase::dead) return discard_mailbox();
  post_drain(false);
}

// Only the mailbox's one consumer calls this (the drain, or whoever owns `scheduled_` or a dead cell).
Envelope* ActorCell::pop() noexcept {
  auto* envelope = static_cast<Envelope*>(queue_.pop());
  if (!envelope) return nullptr;
  const auto popped = popped_.load(std::memory_order_relaxed) + 1;
  popped_.store(popped, std::memory_order_release);
  if (metrics_) [[unlikely]]
    measure_taken(*envelope, popped);
  if (envelope->counted()) bound_->release(*this);
  return envelope;
}

Envelope* ActorCell::pop_control() noexcept {
  auto* top = control_.load();
  while (top && !control_.compare_exchange_weak(top, static_cast<Envelope*>(top->next.load(std::memory_order_relaxed))))
    ;
  if (!top) return nullptr;
  const auto popped = popped_.load(std::memory_order_relaxed) + 1;
  popped_.store(popped, std::memory_order_release);
  if (metrics_) [[unlikely]]
    measure_taken(*top, popped);
  return top;
}

void ActorCell::abandon_queue() noexcept {
  while (auto* popped = pop_control()) EnvelopePtr(popped)->abandon(*this);
  while (auto* popped = pop()) {
    EnvelopePtr envelope(popped);
    if (envelope->kind() == Envelope::Kind::tell) count_dropped();
    dead_letter(*this, DeadLetterReason::dropped_at_stop, *envelope);
    envelope->abandon(*this);
  }
}

// Returns false when a coroutine took over the mailbox.
bool ActorCell::process(Envelope* raw) noexcept {
  EnvelopePtr envelope(raw);
  if (phase() == Phase::dead) {
    dead_letter(*this, DeadLetterReason::dropped_at_stop, *envelope);
    envelope->abandon(*this);
    return true;
  }
  current_ = std::move(envelope);
  if (current_->kind() != Envelope::Kind::stop) mark_handling(current_->describe());
  switch (current_->kind()) {
    case Envelope::Kind::start:
      stage_ = Stage::starting;
      log(spdlog::level::debug, "Starting {}", *this);
      return invoke([this] { return object_->cokka_on_start(); });
    case Envelope::Kind::stop:
      return begin_closing(Stage::stopping, nullptr);
    case Envelope::Kind::guarded:
      // A cancelled timer's message, an unwatched actor's Terminated: dropped here, also when queued before.
      if (!current_->accept(*this)) {
        dead_letter(*this, DeadLetterReason::stale, *current_);
        current_.reset();
        return true;
      }
      [[fallthrough]];
    case Envelope::Kind::ask:
    case Envelope::Kind::tell:
      if (metrics_) [[unlikely]]
        measure_handling_begins();
      if (current_->kind() != Envelope::Kind::guarded && interceptors_on_) [[unlikely]] {
        handling_intercepted_ = true;
        intercept_handle(*this, *current_);
      }
      stage_ = Stage::handling;
      return invoke([this] { return current_->run(*object_); });
  }
  return true;
}

template <class Invoke>
bool ActorCell::invoke(Invoke&& run) noexcept {
  HandlerResult result;
  std::exception_ptr error;
  try {
    result = run();
  } catch (...) {
    error = std::current_exception();
  }
  // Settled outside the catch block: ending the catch drops this thread's hold on the exception object, which
  // must happen before the asker gets it (otherwise this thread may destroy it after the asker read it, a
  // race ThreadSanitizer reports because libstdc++'s exception refcount is not instrumented).
  if (error) return settle(std::move(error), Message{});
  if (result.pending) {
    // Once the system shuts down, the coroutine handler of a queued message is not started (a hook's coroutine
    // runs to its first suspension, see spawn).
    if (stage_ == Stage::handling && system_->shutting_down.load()) {
      result.pending.reset();
      drop_at_shutdown();
      return true;
    }
    spawn(std::move(*result.pending));
    return false;
  }
  return settle(nullptr, std::move(result.reply));
}

void CoroutineDone::operator()(std::exception_ptr error, Message reply) noexcept {
  const auto cell = std::move(cell_);
  cell->coroutine_done(std::move(error), std::move(reply));
}

CoroutineDone::~CoroutineDone() {
  if (cell_) cell_->coroutine_destroyed();
}

// On the strand, inside an entry (the completion runs through the coroutine's ActorExecutor).
void ActorCell::coroutine_done(std::exception_ptr error, Message reply) noexcept {
  coroutine_running_.store(false, std::memory_order_relaxed);
  CurrentScope scope(this);
  if (!settle(std::move(error), std::move(reply))) return;
  // A trampoline: a coroutine that finished inline, inside the drain that spawned it, would otherwise start the
  // next message's coroutine one level deeper, and so on for every queued message (a stack overflow after a
  // few thousand asks to a handler whose awaited operations complete inline).
  if (draining_slot() == this)
    post_drain(false);
  else
    drain();
}

void ActorCell::coroutine_destroyed() noexcept {
  Entry entry(*this);
  if (!entry) return release_object_after_close();  // the System is gone; the object waited for this frame
  // Otherwise only the shutdown's destruction, on the strand, is news; an io_context destroyed meanwhile runs
  // nothing any more.
  if (!strand_->running_in_this_thread() || !discards(epoch_)) return;
  coroutine_running_.store(false, std::memory_order_relaxed);  // the frame is gone (close() relies on it)
  // Not from here: this runs inside the destruction of the coroutine's frames.
  on_strand(false, [](ActorCell& cell) { cell.finish_destroyed_coroutine(); });
}

// The ask a destroyed coroutine handler answered fails with ActorDeadError; a destroyed hook ends as if it
// had returned, without the failure rules (the actor is being stopped by the shutdown anyway).
void ActorCell::finish_destroyed_coroutine() noexcept {
  log(spdlog::level::debug, "{}: the shutdown destroyed its coroutine without resuming it", *this);
  switch (stage_) {
    case Stage::starting:
      stage_ = Stage::idle;
      close_unstarted();
      break;
    case Stage::handling:
      drop_at_shutdown();
      break;
    case Stage::stopping:
    case Stage::failing:
      die();
      break;
    case Stage::restarting:  // its on_failure, before a restart the shutdown will not make
      close_unstarted();
      break;
    case Stage::idle:
      break;
  }
  drain();
}

// The asker learns that the shutdown ended its coroutine handler (the failure rules do not apply to a tell).
void ActorCell::drop_at_shutdown() noexcept {
  stage_ = Stage::idle;
  end_interception(system_->shutdown_error);
  current_->complete(system_->shutdown_error, Message{});
  current_.reset();
}

// The on_handled calls that close the on_handle calls of current_, if they ran.
void ActorCell::end_interception(const std::exception_ptr& failure) noexcept {
  if (!handling_intercepted_) return;
  handling_intercepted_ = false;
  intercept_handled(*this, *current_, failure);
}

void ActorCell::spawn(PendingCoroutine coroutine) noexcept {
  coroutine_running_.store(true, std::memory_order_relaxed);
  const auto epoch = ++epoch_;  // of this coroutine, and of the work it submits to its executor
  coroutine.spawn(asio::any_io_executor(ActorExecutor(shared_from_this(), epoch)), cancel_.slot(),
                  CoroutineDone(shared_from_this()));
  // Once the system shuts down, a coroutine that starts (a queued message, on_stop) runs to its first
  // suspension and is destroyed there.
  if (system_->shutting_down.load() && coroutine_running_.load(std::memory_order_relaxed)) destroy_coroutine();
}

// The coroutine's epoch ends, the awaited operation ends (cancelled), and the executor destroys the
// resumption (see StrandCall). Once per coroutine: the emission may destroy the frames at once, and the
// cancellation handlers the awaited operations left in the slot (until the next spawn replaces them) point
// into those frames.
void ActorCell::destroy_coroutine() noexcept {
  if (discards(epoch_)) return;
  discard_below_.store(epoch_ + 1, std::memory_order_release);
  cancel_.emit(asio::cancellation_type::terminal);
}

// Applies the failure rules to the outcome of the current handler or hook. Returns false when that started
// another coroutine (on_stop / on_failure) which now owns the mailbox.
bool ActorCell::settle(std::exception_ptr error, Message reply) noexcept {
  switch (stage_) {
    case Stage::starting:
      stage_ = Stage::idle;
      if (!error) {
        failure_ = nullptr;  // a restarted incarnation is up: a later clean stop is clean
        if (supervision_) supervision_->restarted_instance = false;
        current_.reset();
        return true;
      }
      failure_ = error;
      current_.reset();
      // A restarted incarnation failing in on_start is one more failure of the actor; the first one's is fatal.
      if (supervision_ && supervision_->restarted_instance) {
        if (!system_->shutting_down.load() && supervision_->allow_restart(system_->timers->now())) {
          log(spdlog::level::warn, "{} failed in on_start after a restart and restarts again ({} of {}): {}", *this,
              supervision_->restart_count(), supervision_->policy().max_restarts, ExceptionText{error});
          object_.reset();
          return restart();
        }
        log(spdlog::level::err, "{} failed in on_start after a restart and gives up ({} restarts within its window): {}",
            *this, supervision_->restart_count(), ExceptionText{error});
      } else {
        log(spdlog::level::err, "{} failed in on_start and was stopped: {}", *this, ExceptionText{error});
      }
      close_unstarted();
      return true;
    case Stage::handling: {
      stage_ = Stage::idle;
      if (metrics_) [[unlikely]]
        measure_handled(error != nullptr);
      end_interception(error);
      if (error && current_->kind() != Envelope::Kind::ask) return begin_failure(std::move(error));
      if (error)
        log(spdlog::level::info, "{} returned an exception to the asker of a {}: {}", *this,
            current_->describe(), ExceptionText{error});
      if (current_->kind() == Envelope::Kind::guarded) current_->handled(*this);
      const bool restart_after_ask = error && supervision_ && supervision_->restarts() &&
                                     supervision_->policy().restart_on_ask_failure;
      if (restart_after_ask) {  // the asker gets the failure, and so does the restart
        current_->complete(error, std::move(reply));
        return begin_failure(std::move(error));
      }
      current_->complete(std::move(error), std::move(reply));
      current_.reset();
      return true;
    }
    case Stage::restarting:
      if (error) log(spdlog::level::err, "{} failed in on_failure before its restart: {}", *this, ExceptionText{error});
      return restart();
    case Stage::stopping:
    case Stage::failing:
      if (error)
        log(spdlog::level::err, "{} failed in {}: {}", *this,
            stage_ == Stage::stopping ? "on_stop" : "on_failure", ExceptionText{error});
      die();
      return true;
    case Stage::idle:
      break;
  }
  return true;
}

// The handler of current_ failed the actor: it restarts when its policy allows, else it stops (on_failure runs
// either way).
bool ActorCell::begin_failure(std::exception_ptr failure) noexcept {
  failure_ = failure;
  if (supervision_ && supervision_->restarts()) {
    if (!system_->shutting_down.load() && supervision_->allow_restart(system_->timers->now())) {
      log(spdlog::level::warn, "{} failed handling a {} and restarts ({} of {} within its window): {}", *this,
          current_->describe(), supervision_->restart_count(), supervision_->policy().max_restarts,
          ExceptionText{failure});
      stage_ = Stage::restarting;
      mark_handling("on_failure");
      return invoke([this, failure = std::move(failure)] { return object_->cokka_on_failure(failure); });
    }
    log(spdlog::level::err, "{} failed handling a {} and gives up after {} restarts within its window: {}", *this,
        current_->describe(), supervision_->restart_count(), ExceptionText{failure});
  } else {
    log(spdlog::level::err, "{} failed handling a {} and was stopped: {}", *this, current_->describe(),
        ExceptionText{failure});
  }
  return begin_closing(Stage::failing, std::move(failure));
}

// After the failed incarnation's on_failure (or its failed on_start): it ends, and the next one is built after the
// backoff. The mailbox waits meanwhile (this keeps `scheduled_`): false.
bool ActorCell::restart() noexcept {
  stage_ = Stage::idle;
  timers_.reset();
  supervision_->end_watches();
  // The old incarnation's work (children, continuations, timers of its own) ends with it.
  discard_below_.store(++epoch_, std::memory_order_release);
  replace_object(nullptr);
  current_.reset();
  supervision_->restarted_instance = true;
  restart_pending_.store(true, std::memory_order_relaxed);
  mark_handling("restarting");
  if (system_->shutting_down.load()) {  // the System ends it: no new incarnation
    restart_pending_.store(false, std::memory_order_relaxed);
    close_unstarted();
    return true;
  }
  if (metrics_) [[unlikely]]
    metrics_->restarts.fetch_add(1, std::memory_order_relaxed);
  const auto delay = supervision_->backoff();
  if (delay <= Clock::duration::zero()) {
    on_strand(false, [](ActorCell& cell) { cell.finish_restart(); });
  } else {
    auto& timers = *system_->timers;
    timers.schedule(new RestartTimer(shared_from_this()), timers.now() + delay);
  }
  return false;
}

// Under the registry's lock, which a get_by_class holds while it looks at the object; destroyed outside it (a
// destructor may use the registry).
void ActorCell::replace_object(std::unique_ptr<ActorBase> next) noexcept {
  std::unique_lock lock(system_->registry.mutex_);
  auto previous = std::exchange(object_, std::move(next));
  lock.unlock();
}

void ActorCell::resume_after_backoff() noexcept {
  Entry entry(*this);
  if (entry) on_strand(false, [](ActorCell& cell) { cell.finish_restart(); });
}

void ActorCell::finish_restart() noexcept {
  if (!restart_pending_.exchange(false, std::memory_order_relaxed)) return;  // the shutdown ended it meanwhile
  try {
    auto previous = std::exchange(constructing_cell_slot(), this);
    struct Restore {
      ActorCell* previous;
      ~Restore() { constructing_cell_slot() = previous; }
    } restore{previous};
    replace_object(supervision_->build());
  } catch (...) {
    failure_ = std::current_exception();
    if (!system_->shutting_down.load() && supervision_->allow_restart(system_->timers->now())) {
      log(spdlog::level::warn, "{}'s constructor failed in a restart, which is tried again ({} of {}): {}", *this,
          supervision_->restart_count(), supervision_->policy().max_restarts, ExceptionText{failure_});
      restart();
      return;
    }
    log(spdlog::level::err, "{}'s constructor failed in a restart, which it gives up: {}", *this,
        ExceptionText{failure_});
    close_unstarted();
    return drain();
  }
  log(spdlog::level::debug, "Restarted {}", *this);
  start_.reset(new StartEnvelope());
  pushed_.fetch_add(1, std::memory_order_relaxed);
  drain();
}

// ~System meets an actor waiting for its restart: it ends there, with its last failure.
void ActorCell::abort_restart() noexcept {
  if (!restart_pending_.exchange(false, std::memory_order_relaxed)) return;
  close_unstarted();
  drain();
}

// on_start did not finish: the actor dies without on_stop.
void ActorCell::close_unstarted() noexcept {
  phase_.store(Phase::closing, std::memory_order_release);  // before unregistering: no register_ref after it
  system_->registry.unregister_ref(ActorRef<>(shared_from_this()));
  die();
}

bool ActorCell::begin_closing(Stage stage, std::exception_ptr failure) noexcept {
  phase_.store(Phase::closing, std::memory_order_release);
  system_->registry.unregister_ref(ActorRef<>(shared_from_this()));
  stage_ = stage;
  mark_handling(stage == Stage::stopping ? "on_stop" : "on_failure");
  if (stage == Stage::stopping) return invoke([this] { return object_->cokka_on_stop(); });
  return invoke([this, failure = std::move(failure)] { return object_->cokka_on_failure(failure); });
}

void ActorCell::die() noexcept {
  phase_.store(Phase::dead);
  discard_below_.store(all_epochs, std::memory_order_release);  // work of the actor's executors ends with it
  mark_handling(nullptr);
  stage_ = Stage::idle;
  timers_.reset();
  if (supervision_) supervision_->end_watches();
  object_.reset();
  log(spdlog::level::debug, "Stopped {}", *this);  // before the stop futures resolve
  death_watchers_.notify(failure_);
  if (auto finished = std::move(current_)) finished->abandon(*this);  // a stop pill resolves true
  abandon_queue();
}

void ActorCell::destroy_coroutine_soon(bool if_seen_running) {
  Entry entry(*this);
  if (!entry || phase() == Phase::dead) return;
  if (if_seen_running && !coroutine_running_.load(std::memory_order_relaxed) &&
      !restart_pending_.load(std::memory_order_relaxed))
    return;
  on_strand(true, [](ActorCell& cell) {
    if (cell.restart_pending_.load(std::memory_order_relaxed))
      cell.abort_restart();
    else if (cell.coroutine_running_.load(std::memory_order_relaxed))
      cell.destroy_coroutine();
  });
}

void ActorCell::close() noexcept {
  gate_.close();
  // No thread runs this actor's code now, and none will: what the strand owned is this thread's.
  discard_below_.store(all_epochs, std::memory_order_release);
  for (auto counted = tracked_work_.exchange(0); counted > 0; --counted) context_->get_executor().on_work_finished();
  if (phase() != Phase::dead) {
    phase_.store(Phase::dead);
    system_->registry.unregister_ref(ActorRef<>(shared_from_this()));
    log(spdlog::level::debug, "Stopped {} without running its hooks: its io_context no longer runs them", *this);
  }
  if (current_ && stage_ == Stage::handling) end_interception(system_->shutdown_error);  // here, on this thread
  if (auto unfinished = std::move(current_)) {
    if (stage_ == Stage::handling)
      unfinished->complete(system_->shutdown_error, Message{});
    else
      unfinished->abandon(*this);  // a stop pill resolves true
  }
  stage_ = Stage::idle;
  mark_handling(nullptr);
  start_.reset();
  timers_.reset();
  restart_pending_.store(false, std::memory_order_relaxed);
  if (supervision_) supervision_->end_watches();
  if (coroutine_running_.load(std::memory_order_relaxed))
    release_object_after_close();  // the frame, suspended in a context nobody runs, still refers to the object
  else
    object_.reset();
  death_watchers_.notify(failure_);
  // The mailbox is close()'s now, even where a drain, pump request or coroutine queued in a stopped io_context
  // still owns it: refused an entry when they run, they leave it alone.
  scheduled_.store(true);
  discard_after_close();
  strand_.reset();
}

// close() and the destruction of the coroutine frame it found suspended, in either order: the second destroys.
void ActorCell::release_object_after_close() noexcept {
  if (object_handed_over_.exchange(true)) object_.reset();
}

ActorCell::Activity ActorCell::activity() const noexcept {
  Activity activity;
  // The depth at one instant: popped_ read between two equal reads of pushed_ (every push popped_ counts was
  // counted before, so then pushed >= popped). Reading popped_ and then pushed_ once would add the pushes made
  // meanwhile: a bounded mailbox churned by many senders could show more user messages than its capacity. When
  // pushes never pause, the last try's pushed_ read before popped_ is kept: it may show less than the mailbox
  // held, never more.
  std::uint64_t pushed = 0;
  std::uint64_t popped = 0;
  for (int tries = 0; tries < 8; ++tries) {
    pushed = pushed_.load(std::memory_order_relaxed);
    popped = popped_.load(std::memory_order_acquire);
    if (pushed_.load(std::memory_order_relaxed) == pushed) break;
  }
  activity.mailbox_depth = pushed > popped ? static_cast<std::size_t>(pushed - popped) : 0;
  activity.enqueued = pushed;
  activity.handling = handling_.load(std::memory_order_acquire);
  if (activity.handling) {
    auto began = turn_began_.load(std::memory_order_relaxed);
    activity.handling_for =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(std::max<std::int64_t>(coarse_now() - began, 0)));
  }
  activity.awaiting = awaiting_.load(std::memory_order_acquire);
  // A wait for room is marked by the low bit of its op's address (see RoomWaitOp).
  activity.awaiting_room = (reinterpret_cast<std::uintptr_t>(await_op_.load(std::memory_order_relaxed)) & 1) != 0;
  if (bound_) {
    activity.capacity = bound_->capacity();
    activity.waiting_senders = bound_->waiting();
  }
  activity.dropped = dropped_.load(std::memory_order_relaxed);
  return activity;
}

// One wait is remembered: parallel waits in one handler show the latest until it ends.
void ActorCell::begin_await(const void* op, const ActorCell* producer) noexcept {
  await_op_.store(op, std::memory_order_relaxed);
  awaiting_.store(producer, std::memory_order_release);
}

void ActorCell::end_await(const void* op) noexcept {
  const void* expected = op;
  if (await_op_.compare_exchange_strong(expected, nullptr, std::memory_order_relaxed))
    awaiting_.store(nullptr, std::memory_order_release);
}

}  // namespace cokka::detail
