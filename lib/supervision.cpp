#include "supervision.hpp"

#include "cokka/detail/death_wait.hpp"
#include "cokka/detail/envelopes.hpp"
#include "cokka/promise.hpp"
#include "cokka/supervision.hpp"
#include "log.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

namespace cokka::detail {

namespace {
std::atomic<std::size_t> watch_records{0};
}  // namespace

std::size_t live_watch_records() noexcept { return watch_records.load(); }

/// A watch one actor holds on another: owned by the watcher's Supervision, linked into the target's
/// DeathWatchers. When the target ends, on_death (under the target's lock) queues a Terminated to the watcher;
/// the record itself goes when that Terminated is delivered, or when the watch ends (unwatch, the watcher's death
/// or restart).
class WatchRecord final : public DeathWatcher {
public:
  WatchRecord(std::weak_ptr<ActorCell> watcher, ActorRef<> target, std::uint64_t generation) noexcept
      : watcher_(std::move(watcher)), target_(std::move(target)), generation_(generation) {
    ++watch_records;
  }
  WatchRecord(const WatchRecord&) = delete;
  WatchRecord& operator=(const WatchRecord&) = delete;
  ~WatchRecord() { --watch_records; }

  void on_death(const std::exception_ptr& failure) noexcept override;

  const ActorRef<>& target() const noexcept { return target_; }
  std::uint64_t generation() const noexcept { return generation_; }
  /// Unlinks it from the target (after which on_death is not running for it).
  void end() noexcept { target_.cell()->death_watchers().remove(*this); }

private:
  std::weak_ptr<ActorCell> watcher_;  // the record lives in the watcher; a dying watcher may be mid-destruction
  ActorRef<> target_;
  std::uint64_t generation_;
};

/// cokka::Terminated as it travels: delivered only while the watch it reports is still held.
class TerminatedEnvelope final : public Envelope {
public:
  TerminatedEnvelope(ActorRef<> target, std::exception_ptr failure, std::uint64_t generation) noexcept
      : Envelope(Kind::guarded, true), target_(target.cell().get()), generation_(generation),
        message_(Terminated{std::move(target), std::move(failure)}) {}

  bool accept(ActorCell& cell) noexcept override {
    auto* supervision = cell.supervision_if_any();
    return supervision && supervision->accept_terminated(target_, generation_);
  }
  HandlerResult run(ActorBase& actor) override { return receive(actor, message_); }
  const char* describe() const noexcept override { return message_.type_name().c_str(); }

private:
  const ActorCell* target_;  // identity only
  std::uint64_t generation_;
  Message message_;
};

void WatchRecord::on_death(const std::exception_ptr& failure) noexcept {
  auto watcher = watcher_.lock();
  if (!watcher) return;
  try {
    try_enqueue(*watcher, new TerminatedEnvelope(target_, failure, generation_));
  } catch (...) {  // out of memory: the watcher learns nothing, as for a dropped message
  }
}

// ---------------------------------------------------------------- Supervision

Supervision::Supervision(ActorCell& cell) : cell_(cell) {}

Supervision::~Supervision() { end_watches(); }

void Supervision::set_restart(const RestartPolicy& policy, ActorFactory factory) {
  policy_ = policy;
  factory_ = std::move(factory);
}

// A window opens at the first restart and counts the restarts until `within` has passed; the next restart then
// opens a new one. Two numbers, however long a failure storm lasts (a sliding window would keep a time per
// restart: measured 8 bytes a restart, unbounded with a generous policy).
bool Supervision::allow_restart(Clock::time_point now) {
  if (restarts_in_window_ == 0 || now - window_opened_ > policy_.within) {
    window_opened_ = now;
    restarts_in_window_ = 0;
  }
  if (restarts_in_window_ >= policy_.max_restarts) return false;
  ++restarts_in_window_;
  return true;
}

// backoff_min doubled per restart within the window, capped by backoff_max, spread by the jitter.
Clock::duration Supervision::backoff() {
  if (policy_.backoff_min <= Clock::duration::zero()) return Clock::duration::zero();
  const int doublings = std::min<int>(restart_count() - 1, 30);
  auto delay = std::min(policy_.backoff_min * (std::int64_t{1} << doublings), policy_.backoff_max);
  const double jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  if (jitter > 0) {
    std::uniform_real_distribution<double> spread(1.0 - jitter, 1.0 + jitter);
    delay = std::chrono::duration_cast<Clock::duration>(delay * spread(random_));
  }
  return delay;
}

void Supervision::watch(const ActorRef<>& target) {
  const auto* key = target.cell().get();
  if (watches_.contains(key)) return;  // one watch, one Terminated
  auto record = std::make_unique<WatchRecord>(cell_.weak_from_this(), target, ++generations_);
  auto& held = *watches_.emplace(key, std::move(record)).first->second;
  std::exception_ptr failure;
  if (!target.cell()->death_watchers().add(held, failure)) held.on_death(failure);  // ended already: at once
}

bool Supervision::unwatch(const ActorRef<>& target) {
  auto found = watches_.find(target.cell().get());
  if (found == watches_.end()) return false;
  found->second->end();
  watches_.erase(found);
  return true;
}

bool Supervision::accept_terminated(const ActorCell* target, std::uint64_t generation) {
  auto found = watches_.find(target);
  if (found == watches_.end() || found->second->generation() != generation) return false;
  watches_.erase(found);
  return true;
}

void Supervision::end_watches() noexcept {
  for (auto& [target, record] : watches_) record->end();
  watches_.clear();
}

void refuse_off_strand(const ActorCell& cell, const char* member) {
  throw InvalidState("cokka: " + cell.description() + "." + member +
                     "() used outside the actor's handlers; it belongs to the actor's own state: send the actor a "
                     "message that makes it call " + member + "()");
}

void watch(ActorCell& watcher, const ActorRef<>& target) {
  if (!target.valid()) throw InvalidState("cokka: watch() of an empty ActorRef");
  watcher.supervision().watch(target);
}

bool unwatch(ActorCell& watcher, const ActorRef<>& target) {
  auto* supervision = watcher.supervision_if_any();
  return target.valid() && supervision && supervision->unwatch(target);
}

namespace {

/// A blocking wait_stopped's watcher, on its waiting thread's stack. on_death moves the promise off that stack
/// before setting it: the waiter may return, and free the watcher, while set_value is still finishing.
struct StoppedPromise final : DeathWatcher {
  void on_death(const std::exception_ptr& failure) noexcept override {
    auto setter = std::move(promise);
    setter.set_value(failure);
  }
  Promise<std::exception_ptr> promise;
};

}  // namespace

std::exception_ptr wait_stopped(ActorCell& cell, std::optional<std::chrono::steady_clock::duration> timeout) {
  StoppedPromise watcher;
  auto stopped = watcher.promise.get_future();  // before add(): from then on on_death may take the promise
  std::exception_ptr failure;
  if (!cell.death_watchers().add(watcher, failure)) return failure;
  try {
    return timeout ? stopped.get(*timeout) : stopped.get();
  } catch (...) {
    cell.death_watchers().remove(watcher);  // after it, on_death no longer runs for the watcher on the stack
    throw;
  }
}

}  // namespace cokka::detail
