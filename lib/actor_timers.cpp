#include "cokka/detail/actor_timers.hpp"

#include "cokka/detail/cell.hpp"
#include "cokka/detail/envelopes.hpp"
#include "cokka/timers.hpp"
#include "message_timer.hpp"
#include "system_state.hpp"

namespace cokka::detail {

std::shared_ptr<TimerService> timer_service(System& system) { return SystemAccess::state(system).timers; }

Cancellation tell_after(ActorCell& cell, Clock::duration delay, Message message) {
  ActorCell::Entry entry(cell);
  if (!entry || !cell.is_alive()) std::rethrow_exception(not_found_error(cell));
  auto* timer = new MessageTimer(cell.shared_from_this(), std::move(message));
  timer->add_ref();  // the Cancellation's
  auto& timers = *cell.system_state().timers;
  timers.schedule(timer, timers.now() + std::max(delay, Clock::duration::zero()));
  return Cancellation(timer);
}

// ---------------------------------------------------------------- message timers

HandlerResult MessageTimer::run(ActorBase& actor) { return receive(actor, message_); }

void MessageTimer::fire() noexcept {
  if (!transition(State::pending, State::fired)) return dispose();
  try_enqueue(*target_, this);  // a dead actor rejects it: the message is dropped
}

bool MessageTimer::accept(ActorCell&) noexcept { return transition(State::fired, State::delivered); }

// Pending in the wheel: it is taken out, through the target's System while that lives (an entry of the target
// keeps the System, and so its TimerService, from going meanwhile). Fired, maybe queued: it is marked, and the
// mailbox drops it at delivery.
bool MessageTimer::cancel() noexcept {
  {
    ActorCell::Entry entry(*target_);
    if (entry && target_->system_state().timers->cancel(this)) return true;
  }
  return transition(State::pending, State::cancelled) || transition(State::fired, State::cancelled);
}

bool KeyedTimer::accept(ActorCell& cell) noexcept {
  return MessageTimer::accept(cell) && cell.timers_if_any() && cell.timers_if_any()->deliverable(*this);
}

void KeyedTimer::handled(ActorCell& cell) {
  if (auto* timers = cell.timers_if_any()) timers->handled(*this);
}

// ---------------------------------------------------------------- an actor's keyed timers

ActorTimers::~ActorTimers() { cancel_all(); }

void ActorTimers::start(TimerKey key, Message message, Repeat repeat, Clock::duration delay, MessageCopy copy) {
  auto found = entries_.find(key);
  if (found != entries_.end()) unschedule(found->second, true);
  auto& entry = found != entries_.end() ? found->second : entries_.try_emplace(key).first->second;
  entry.generation = ++generations_;
  entry.repeat = repeat;
  entry.interval = delay;
  entry.copy = copy;
  const auto due = cell_.system_state().timers->now() + std::max(delay, Clock::duration::zero());
  if (repeat == Repeat::once) {
    entry.prototype = Message();
    schedule(key, entry, std::move(message), due);
  } else {
    entry.prototype = std::move(message);
    schedule(key, entry, copy(entry.prototype), due);
  }
}

void ActorTimers::schedule(const TimerKey& key, Entry& entry, Message message, Clock::time_point at) {
  auto* timer = new KeyedTimer(cell_.shared_from_this(), std::move(message), key, entry.generation);
  // Ours until delivery or unschedule: once fired, the mailbox holds the wheel's reference, and a dying actor
  // frees what its mailbox held before its timers are cancelled.
  timer->add_ref();
  entry.pending = timer;
  entry.scheduled = at;
  cell_.system_state().timers->schedule(timer, at);
}

// A timer still in the wheel is taken out; one that fired already waits in the mailbox, where the generation
// check drops it. `service`: false once the System closed its TimerService (which aborted what it held).
void ActorTimers::unschedule(Entry& entry, bool service) noexcept {
  auto* pending = std::exchange(entry.pending, nullptr);
  if (!pending) return;
  if (service) cell_.system_state().timers->cancel(pending);
  pending->dispose();
}

bool ActorTimers::cancel(const TimerKey& key) {
  auto found = entries_.find(key);
  if (found == entries_.end()) return false;
  unschedule(found->second, true);
  entries_.erase(found);
  return true;
}

// Also from ~ActorTimers, which the cell runs while its System lives (die, close); refused an entry, the
// System's service aborted the pending timers already.
void ActorTimers::cancel_all() noexcept {
  ActorCell::Entry entry(cell_);
  for (auto& [key, timer] : entries_) unschedule(timer, static_cast<bool>(entry));
  entries_.clear();
}

bool ActorTimers::is_active(const TimerKey& key) const { return entries_.contains(key); }

bool ActorTimers::deliverable(KeyedTimer& timer) {
  auto found = entries_.find(timer.key());
  if (found == entries_.end() || found->second.generation != timer.generation()) return false;
  if (found->second.pending == &timer) {  // delivered: nothing left to cancel
    found->second.pending = nullptr;
    timer.dispose();  // ours; the mailbox's reference keeps it through the delivery
  }
  return true;
}

void ActorTimers::handled(const KeyedTimer& timer) {
  auto found = entries_.find(timer.key());
  // The handler may have cancelled or restarted its own key meanwhile: then that timer stands.
  if (found == entries_.end() || found->second.generation != timer.generation()) return;
  auto& entry = found->second;
  const auto now = cell_.system_state().timers->now();
  switch (entry.repeat) {
    case Repeat::once:
      entries_.erase(found);
      return;
    case Repeat::fixed_delay:
      return schedule(timer.key(), entry, entry.copy(entry.prototype), now + entry.interval);
    case Repeat::fixed_rate: {
      auto next = entry.scheduled + entry.interval;
      // Behind by more than a tick: the missed ticks collapse into one message now, the latest grid point
      // passed, and the grid goes on from there.
      if (next < now) next += (now - next) / entry.interval * entry.interval;
      return schedule(timer.key(), entry, entry.copy(entry.prototype), next);
    }
  }
}

}  // namespace cokka::detail

namespace cokka {

Cancellation::Cancellation(const Cancellation& other) noexcept : timer_(other.timer_) {
  if (timer_) timer_->add_ref();
}

Cancellation::~Cancellation() {
  if (timer_) timer_->dispose();
}

bool Cancellation::cancel() noexcept { return timer_ && timer_->cancel(); }

}  // namespace cokka
