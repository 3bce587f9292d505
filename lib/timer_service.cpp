#include "cokka/detail/timer_service.hpp"

#include "timer_wheel.hpp"

#include <asio/bind_executor.hpp>
#include <asio/post.hpp>

#include <limits>

namespace cokka::detail {

namespace {
constexpr std::uint64_t nothing_armed = std::numeric_limits<std::uint64_t>::max();
}  // namespace

// Under virtual time the driver counts as armed for tick 0, the earliest there is: schedule() never posts to
// it, so the real-time path keeps its one comparison. Nor is there a driver: an Asio timer would start the
// io_context's reactor, and every poll of the test thread would then ask epoll for events.
TimerService::TimerService(asio::io_context& context, bool virtual_time)
    : virtual_time_(virtual_time),
      wheel_(std::make_unique<TimerWheel>()),
      epoch_(virtual_time ? Clock::time_point() : Clock::now()),
      strand_(asio::make_strand(context)),
      armed_tick_(virtual_time ? 0 : nothing_armed) {
  if (!virtual_time) driver_.emplace(*strand_);
}

TimerService::~TimerService() = default;

// Rounded up: a timer never fires before its time.
std::uint64_t TimerService::tick_of(Clock::time_point at) const noexcept {
  if (at <= epoch_) return 0;
  const auto since = at - epoch_;
  return static_cast<std::uint64_t>((since + tick - Clock::duration(1)) / tick);
}

Clock::time_point TimerService::time_of(std::uint64_t tick_number) const noexcept {
  return epoch_ + tick * static_cast<std::int64_t>(tick_number);
}

void TimerService::schedule(TimerNode* node, Clock::time_point at) noexcept {
  const auto due = tick_of(at);
  std::unique_lock lock(mutex_);
  if (closed_) {
    lock.unlock();
    if (node->transition(TimerNode::State::pending, TimerNode::State::aborted)) return node->abort();
    return node->dispose();
  }
  node->deadline = due;
  wheel_->insert(node);
  // Only an earlier deadline than the driver waits for needs a word to the driver (one post, not one per timer).
  if (node->deadline >= armed_tick_.load(std::memory_order_relaxed)) return;
  armed_tick_.store(node->deadline, std::memory_order_relaxed);
  // Posted under the lock: close() releases the strand once closed_ is set, and no post may follow that.
  asio::post(*strand_, [self = shared_from_this()] { self->arm(); });
}

bool TimerService::cancel(TimerNode* node) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (!node->linked) return false;
    wheel_->remove(node);
  }
  if (node->transition(TimerNode::State::pending, TimerNode::State::cancelled))
    node->cancelled();
  else
    node->dispose();
  return true;
}

std::size_t TimerService::size() const {
  std::lock_guard lock(mutex_);
  return wheel_->size();
}

// On the strand: waits for the tick armed_tick_ names (a wait already under way is replaced: stale).
void TimerService::arm() noexcept {
  Gate::Entry entry(gate_);
  if (!entry) return;
  std::uint64_t target;
  {
    std::lock_guard lock(mutex_);
    target = armed_tick_.load(std::memory_order_relaxed);
  }
  const auto generation = ++wait_generation_;
  if (target == nothing_armed) {
    driver_->cancel();
    return;
  }
  driver_->expires_at(std::chrono::steady_clock::time_point(time_of(target).time_since_epoch()));
  driver_->async_wait(asio::bind_executor(*strand_, [self = shared_from_this(), generation](std::error_code) {
    self->wake(generation);
  }));
}

// On the strand: fires what is due, then waits for the next tick that has work.
void TimerService::wake(std::uint64_t generation) noexcept {
  Gate::Entry entry(gate_);
  if (!entry || generation != wait_generation_) return;
  TimerList due;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    const auto now = Clock::now();
    const auto passed = now < epoch_ ? 0 : static_cast<std::uint64_t>((now - epoch_) / tick);
    wheel_->advance(passed, due);
    armed_tick_.store(wheel_->next_tick().value_or(nothing_armed), std::memory_order_relaxed);
  }
  arm();
  while (auto* node = due.pop_front()) node->fire();
}

bool TimerService::fire_next(Clock::time_point until) noexcept {
  TimerList due;
  {
    std::lock_guard lock(mutex_);
    const auto next = wheel_->next_tick();
    if (closed_ || !next || time_of(*next) > until) return false;
    wheel_->advance(*next, due);
    const auto at = time_of(*next).time_since_epoch().count();
    if (at > virtual_now_.load(std::memory_order_relaxed)) virtual_now_.store(at, std::memory_order_release);
  }
  while (auto* node = due.pop_front()) node->fire();
  return true;
}

void TimerService::advance_to(Clock::time_point at) noexcept {
  std::lock_guard lock(mutex_);
  const auto count = at.time_since_epoch().count();
  if (count > virtual_now_.load(std::memory_order_relaxed)) virtual_now_.store(count, std::memory_order_release);
}

void TimerService::close() noexcept {
  gate_.close();  // the driver is out, and stays out: its timer and strand are this thread's now
  TimerList pending;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    wheel_->take_all(pending);
    armed_tick_.store(nothing_armed, std::memory_order_relaxed);
  }
  driver_.reset();  // cancels its wait: a borrowed io_context's run() need not wait for it
  // A sleep's operation may keep this service alive beyond the io_context (it completes on its own executor);
  // a strand outliving its context's strand service would be freed into a destroyed service.
  strand_.reset();
  while (auto* node = pending.pop_front()) {
    if (node->transition(TimerNode::State::pending, TimerNode::State::aborted))
      node->abort();
    else
      node->dispose();
  }
}

}  // namespace cokka::detail
