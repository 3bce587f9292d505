#include "cokka/detail/cell.hpp"

#include "cell_executor.hpp"
#include "foreign_queue.hpp"
#include "cokka/detail/actor_model.hpp"
#include "cokka/detail/envelopes.hpp"
#include "log.hpp"
#include "system_state.hpp"

#include <asio/defer.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include <ctime>
#include <random>
#include <thread>

namespace cokka::detail {

namespace {

/// Messages handled per turn before the drain yields its thread to other strands.
constexpr int drain_batch = 256;

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

void make_urn(std::array<char, 45>& urn) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uint64_t high = random(), low = random();
  high = (high & ~0xF000ull) | 0x4000ull;                 // version 4
  low = (low & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant
  static constexpr char digits[] = "0123456789abcdef";
  static constexpr char prefix[] = "urn:uuid:";
  std::size_t at = 0;
  for (char c : std::string_view(prefix)) urn[at++] = c;
  for (int nibble = 0; nibble < 32; ++nibble) {
    if (nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20) urn[at++] = '-';
    std::uint64_t word = nibble < 16 ? high : low;
    urn[at++] = digits[(word >> (60 - 4 * (nibble % 16))) & 0xF];
  }
}

}  // namespace

// ---------------------------------------------------------------- envelopes

HandlerResult Envelope::run(ActorBase&) { return {}; }
void Envelope::complete(std::exception_ptr, Message) noexcept {}
void Envelope::abandon(const ActorCell&) noexcept {}
void Envelope::reject(const ActorCell&) noexcept {}
const char* Envelope::describe() const noexcept { return "envelope"; }

HandlerResult TellEnvelope::run(ActorBase& actor) { return receive(actor, message_); }

HandlerResult receive(ActorBase& actor, Message& message) { return actor.cokka_on_receive(message); }

std::exception_ptr not_found_error(const ActorCell& cell) {
  return std::make_exception_ptr(ActorDeadError(cell.description() + " not found"));
}

std::exception_ptr stopped_before_handling_error(const ActorCell& cell) {
  return std::make_exception_ptr(ActorDeadError(cell.description() + " stopped before handling the message"));
}

std::exception_ptr bad_reply_error(const std::string& wanted, const Message& reply) {
  return std::make_exception_ptr(
      BadReplyType("cokka: ask<" + wanted + "> got a reply of type " + reply.type_name()));
}

bool try_enqueue(ActorCell& cell, Envelope* envelope, bool run_here) noexcept {
  auto phase = cell.phase();
  if (phase == ActorCell::Phase::dead || (phase == ActorCell::Phase::closing && envelope->kind() != Envelope::Kind::stop)) {
    std::unique_ptr<Envelope> rejected(envelope);
    rejected->reject(cell);
    return false;
  }
  cell.enqueue(envelope, run_here);
  return true;
}

void log_unexpected_message(const ActorBase& actor, const Message& message) {
  auto* cell = ActorCell::current();
  (void)actor;
  log(spdlog::level::warn, "Unexpected message received by {}: a {}", cell ? cell->description() : std::string("an actor"),
      message.type_name());
}

ActorBase::ActorBase() noexcept : cell_(ActorCell::constructing()) {}

// ---------------------------------------------------------------- cell

ActorCell::ActorCell(SystemState& system, Strand strand, const std::string& type_name)
    : system_(&system), type_name_(&type_name), strand_(std::move(strand)) {
  make_urn(urn_);
}

ActorCell::~ActorCell() { abandon_queue(); }

ActorCell*& current_cell_slot() noexcept {
  thread_local ActorCell* current = nullptr;
  return current;
}

ActorCell* ActorCell::current() noexcept { return current_cell_slot(); }
ActorCell*& constructing_cell_slot() noexcept {
  thread_local ActorCell* constructing = nullptr;
  return constructing;
}

ActorCell* ActorCell::constructing() noexcept { return constructing_cell_slot(); }

std::string ActorCell::description() const { return type_name() + " (" + std::string(urn()) + ")"; }

System& ActorCell::system() const noexcept { return system_->owner; }

const ActorCell::Strand& ActorCell::strand() const {
  if (!strand_) throw InvalidState("cokka: " + description() + " belongs to a System that no longer exists");
  return *strand_;
}

void ActorCell::adopt(std::unique_ptr<ActorBase> object) noexcept { object_ = std::move(object); }

void ActorCell::schedule_start() noexcept {
  start_ = std::make_unique<StartEnvelope>();
  pushed_.fetch_add(1, std::memory_order_relaxed);  // counted as queued, for debug dumps
  schedule();                                       // scheduled_ is still ours since construction
}

void ActorCell::abandon_construction() noexcept {
  phase_.store(Phase::dead);  // seq_cst: pairs with posting_ (detach_strand)
  abandon_queue();  // scheduled_ is still ours since construction
  release();
}

void ActorCell::enqueue(Envelope* envelope, bool run_here) noexcept {
  pushed_.fetch_add(1, std::memory_order_relaxed);  // before the push, so that a reader never sees popped > pushed
  queue_.push(envelope);
  // The flag is read before it is swapped: while a drain is scheduled (the flag is set), a sender does not
  // write its cache line. Nothing is lost: a drain giving the flag up re-reads the queue afterwards, and the
  // push, this load, release()'s store and its queue read are all seq_cst (so one of the two sees the other).
  if (!scheduled_.load() && !scheduled_.exchange(true)) schedule(run_here);
}

// The caller owns `scheduled_`.
void ActorCell::schedule(bool run_here) noexcept {
  // A sender may be here while ~System finishes: detach_strand waits for posting_ to drop to 0, and the
  // seq_cst increment and phase load pair with the seq_cst store of Phase::dead (a Dekker handshake), so
  // either this post sees the actor dead or the strand stays until the post is done.
  posting_.fetch_add(1);
  if (phase_.load() == Phase::dead) {
    posting_.fetch_sub(1);
    abandon_queue();
    release();
    return;
  }
  if (!strand_->get_inner_executor().running_in_this_thread())
    system_->foreign->push(shared_from_this());
  else if (run_here)
    asio::dispatch(*strand_, [self = shared_from_this()] { self->drain(); });
  else
    asio::defer(*strand_, [self = shared_from_this()] { self->drain(); });
  posting_.fetch_sub(1);
}

ForeignQueue::~ForeignQueue() {
  for (auto* list : {taken_, requests_.load()})
    for (auto* request = list; request;) delete std::exchange(request, request->next);
}

void ForeignQueue::push(std::shared_ptr<ActorCell> cell) noexcept {
  // Out of memory here ends the program, as it would in the asio::post this replaces (also noexcept).
  auto* request = new Request{requests_.load(std::memory_order_relaxed), std::move(cell)};  // NOLINT(bugprone-unhandled-exception-at-new)
  while (!requests_.compare_exchange_weak(request->next, request)) {
  }
  // The pump clears the flag only after it has taken every request, then looks again (all seq_cst): either it
  // sees this push, or this exchange sees the flag cleared and posts the next pump.
  if (!pump_posted_.exchange(true)) post_pump();
}

void ForeignQueue::post_pump() noexcept {
  asio::post(context_, [self = shared_from_this()] { self->pump(); });
}

// One pump at a time (pump_posted_ stays set while it runs), so `taken_` has one consumer.
void ForeignQueue::pump() noexcept {
  for (int scheduled = 0; scheduled < pump_batch; ++scheduled) {
    if (!taken_) {
      for (auto* request = requests_.exchange(nullptr); request;) {  // the stack holds the latest first
        auto* next = request->next;
        request->next = taken_;
        taken_ = request;
        request = next;
      }
      if (!taken_) break;
    }
    std::unique_ptr<Request> request(std::exchange(taken_, taken_->next));
    request->cell->schedule();  // on an io thread now: a continuation of this pump
  }
  if (taken_) return post_pump();  // the drains queued so far run first (a burst is not queued all at once)
  pump_posted_.store(false);
  if (requests_.load() && !pump_posted_.exchange(true)) post_pump();
}

// Gives up `scheduled_`, then takes it back if a push slipped in meanwhile (its pusher saw the flag set).
void ActorCell::release() noexcept {
  // The queue's consumer side may not be read once scheduled_ is false: a sender may own it by then.
  const auto* mark = queue_.mark();
  scheduled_.store(false);
  if (queue_.pushed_since(mark) && !scheduled_.exchange(true)) schedule();
}

void ActorCell::drain() noexcept {
  CurrentScope scope(this);
  turn_began_.store(coarse_now(), std::memory_order_relaxed);
  if (start_) {
    popped_.store(popped_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    if (!process(start_.release())) return;  // a coroutine on_start owns the mailbox until it finishes
  }
  for (int handled = 0; handled < drain_batch; ++handled) {
    auto* envelope = pop();
    if (!envelope) {
      mark_handling(nullptr);
      return release();
    }
    if (!process(envelope)) return;  // a coroutine owns the mailbox until it finishes
  }
  mark_handling(nullptr);
  if (phase() == Phase::dead) {
    abandon_queue();
    return release();
  }
  asio::defer(*strand_, [self = shared_from_this()] { self->drain(); });
}

// Only the mailbox's one consumer calls this (the drain, or whoever owns `scheduled_` or a dead cell).
Envelope* ActorCell::pop() noexcept {
  auto* node = queue_.pop();
  if (node) popped_.store(popped_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  return static_cast<Envelope*>(node);
}

void ActorCell::abandon_queue() noexcept {
  while (auto* popped = pop()) {
    std::unique_ptr<Envelope> envelope(popped);
    envelope->abandon(*this);
  }
}

// Returns false when a coroutine took over the mailbox.
bool ActorCell::process(Envelope* raw) noexcept {
  std::unique_ptr<Envelope> envelope(raw);
  if (phase() == Phase::dead) {
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
    case Envelope::Kind::ask:
    case Envelope::Kind::tell:
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

void ActorCell::coroutine_done(std::exception_ptr error, Message reply) noexcept {
  coroutine_running_.store(false, std::memory_order_relaxed);
  CurrentScope scope(this);
  if (settle(std::move(error), std::move(reply))) drain();
}

void ActorCell::coroutine_destroyed() noexcept {
  if (!strand_ || !strand_->running_in_this_thread() || !discards(spawned_)) return;
  // Not from here: this runs inside the destruction of the coroutine's frames.
  asio::defer(*strand_, [self = shared_from_this()] { self->finish_destroyed_coroutine(); });
}

// The ask a destroyed coroutine handler answered fails with ActorDeadError; a destroyed hook ends as if it
// had returned, without the failure rules (the actor is being stopped by the shutdown anyway).
void ActorCell::finish_destroyed_coroutine() noexcept {
  coroutine_running_.store(false, std::memory_order_relaxed);
  CurrentScope scope(this);
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
    case Stage::idle:
      break;
  }
  drain();
}

// The asker learns that the shutdown ended its coroutine handler (the failure rules do not apply to a tell).
void ActorCell::drop_at_shutdown() noexcept {
  stage_ = Stage::idle;
  current_->complete(system_->shutdown_error, Message{});
  current_.reset();
}

void ActorCell::spawn(PendingCoroutine coroutine) noexcept {
  coroutine_running_.store(true, std::memory_order_relaxed);
  coroutine.spawn(asio::any_io_executor(CellExecutor<Strand>(*strand_, this, ++spawned_)), cancel_.slot(),
                  CoroutineDone(shared_from_this()));
  // Once the system shuts down, a coroutine that starts (a queued message, on_stop) runs to its first
  // suspension and is destroyed there.
  if (system_->shutting_down.load() && coroutine_running_.load(std::memory_order_relaxed)) destroy_coroutine();
}

// The awaited operation ends (cancelled), and the coroutine's executor destroys the resumption. Once per
// coroutine: the emission may destroy the frames at once, and the cancellation handlers the awaited operations
// left in the slot (until the next spawn replaces them) point into those frames.
void ActorCell::destroy_coroutine() noexcept {
  if (discard_through_.load(std::memory_order_relaxed) == spawned_) return;
  discard_through_.store(spawned_, std::memory_order_release);
  cancel_.emit(asio::cancellation_type::terminal);
}

// Applies the failure rules to the outcome of the current handler or hook. Returns false when that started
// another coroutine (on_stop / on_failure) which now owns the mailbox.
bool ActorCell::settle(std::exception_ptr error, Message reply) noexcept {
  switch (stage_) {
    case Stage::starting:
      stage_ = Stage::idle;
      if (error) {
        log(spdlog::level::err, "{} failed in on_start and was stopped: {}", *this, ExceptionText{error});
        close_unstarted();
      } else {
        current_.reset();
      }
      return true;
    case Stage::handling:
      stage_ = Stage::idle;
      if (error && current_->kind() == Envelope::Kind::tell) {
        log(spdlog::level::err, "{} failed handling a {} and was stopped: {}", *this, current_->describe(),
            ExceptionText{error});
        return begin_closing(Stage::failing, std::move(error));
      }
      if (error)
        log(spdlog::level::info, "{} returned an exception to the asker of a {}: {}", *this,
            current_->describe(), ExceptionText{error});
      current_->complete(std::move(error), std::move(reply));
      current_.reset();
      return true;
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
  phase_.store(Phase::dead);  // seq_cst: pairs with posting_ (detach_strand)
  mark_handling(nullptr);
  stage_ = Stage::idle;
  object_.reset();
  log(spdlog::level::debug, "Stopped {}", *this);  // before the stop futures resolve
  if (auto finished = std::move(current_)) finished->abandon(*this);  // a stop pill resolves true
  abandon_queue();
}

void ActorCell::destroy_coroutine_soon(bool if_seen_running) {
  if (phase() == Phase::dead || !strand_) return;
  if (if_seen_running && !coroutine_running_.load(std::memory_order_relaxed)) return;
  asio::dispatch(*strand_, [self = shared_from_this()] {
    if (self->coroutine_running_.load(std::memory_order_relaxed)) self->destroy_coroutine();
  });
}

bool ActorCell::close_now(bool nothing_runs) noexcept {
  const bool owned = !scheduled_.exchange(true);
  // Not ours: a drain may be running, or (when nothing runs) a sender is inside schedule(); on a dead actor
  // that sender abandons the mailbox itself, and a second consumer would corrupt the queue.
  if (!owned && (!nothing_runs || phase() == Phase::dead)) return phase() == Phase::dead;
  if (phase() != Phase::dead) {
    phase_.store(Phase::dead);  // seq_cst: pairs with posting_ (detach_strand)  // before unregistering: no register_ref after it
    system_->registry.unregister_ref(ActorRef<>(shared_from_this()));
    object_.reset();
    log(spdlog::level::debug, "Stopped {} without running its hooks: its io_context is not running", *this);
    if (auto finished = std::move(current_)) finished->abandon(*this);
  }
  abandon_queue();
  if (owned) release();  // otherwise the pending drain still owns the mailbox; it will find the actor dead
  return true;
}

void ActorCell::detach_strand() noexcept {
  while (posting_.load() != 0) std::this_thread::yield();  // a sender is posting to the strand (see schedule)
  strand_.reset();
}

ActorCell::Activity ActorCell::activity() const noexcept {
  Activity activity;
  // popped_ first (acquire): every push it counts happened before, so pushed_ is at least as large.
  const auto popped = popped_.load(std::memory_order_acquire);
  const auto pushed = pushed_.load(std::memory_order_relaxed);
  activity.mailbox_depth = pushed > popped ? static_cast<std::size_t>(pushed - popped) : 0;
  activity.enqueued = pushed;
  activity.handling = handling_.load(std::memory_order_acquire);
  if (activity.handling) {
    auto began = turn_began_.load(std::memory_order_relaxed);
    activity.handling_for =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(std::max<std::int64_t>(coarse_now() - began, 0)));
  }
  activity.awaiting = awaiting_.load(std::memory_order_acquire);
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
