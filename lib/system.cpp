#include "cokka/system.hpp"

#include "cokka/detail/envelopes.hpp"
#include "log.hpp"
#include "supervision.hpp"
#include "system_state.hpp"

#include <asio/bind_executor.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

namespace cokka {

namespace detail {

SystemState::SystemState(System& system, asio::io_context* borrowed, unsigned thread_count, const TestMode* test)
    : owner(system),
      driven_by_owner(test != nullptr),
      drain_batch(test ? 1 : 256),
      picker(test ? test->picker : nullptr),
      owned_context(borrowed ? nullptr : std::make_unique<asio::io_context>(static_cast<int>(thread_count))),
      context(borrowed ? *borrowed : *owned_context),
      foreign(std::make_shared<ForeignQueue>(context)),
      timers(std::make_shared<TimerService>(context, test != nullptr)) {
  if (borrowed) return;
  work.emplace(context.get_executor());
  running_threads = thread_count;
  threads.reserve(thread_count);
  for (unsigned i = 0; i < thread_count; ++i)
    threads.emplace_back([this] {
      context.run();
      --running_threads;
    });
}

void SystemState::track(const std::shared_ptr<ActorCell>& cell) {
  std::lock_guard lock(cells_mutex_);
  if (cells_.size() >= prune_at_) {
    std::erase_if(cells_, [](const std::weak_ptr<ActorCell>& weak) { return weak.expired(); });
    prune_at_ = std::max<std::size_t>(64, cells_.size() * 2);
  }
  cells_.push_back(cell);
  tracked_any_ = true;
}

void SystemState::add_interceptor(std::shared_ptr<Interceptor> interceptor) {
  if (!interceptor) throw InvalidState("cokka::System::add_interceptor: the interceptor is null");
  std::lock_guard lock(cells_mutex_);
  if (tracked_any_)
    throw InvalidState("cokka::System::add_interceptor: an actor was started already; add interceptors right "
                       "after constructing the System, before the first start");
  interceptors_.push_back(std::move(interceptor));
}

std::vector<std::shared_ptr<ActorCell>> SystemState::tracked_cells() {
  std::lock_guard lock(cells_mutex_);
  std::vector<std::shared_ptr<ActorCell>> alive;
  alive.reserve(cells_.size());
  for (auto& weak : cells_)
    if (auto cell = weak.lock()) alive.push_back(std::move(cell));
  return alive;
}

}  // namespace detail

namespace {

using namespace std::chrono_literals;

/// Stops actors one after the other, in the given order, each once the previous one is dead (Pykka's LIFO
/// stop_all). The completion of one stop sends the next from the io thread that completed it, so a long
/// chain costs no round trip through the destroying thread per actor (100,000 actors in well under 1 s).
class StopChain : public std::enable_shared_from_this<StopChain> {
public:
  StopChain(asio::io_context& context, std::vector<ActorRef<>> order)
      : context_(context), order_(std::move(order)) {}

  Future<void> start() {
    auto done = done_.get_future();
    next();
    return done;
  }

private:
  void next() {
    for (; at_ < order_.size(); pass_dead_actor()) {
      auto& cell = *order_[at_].cell();
      auto stopped = detail::send_stop(cell, /*run_here=*/true);
      // A coroutine handler that was not waiting when ~System began (so escaped its sweep) is destroyed now.
      cell.destroy_coroutine_soon(false);
      if (!stopped.ready()) {
        auto resume = asio::bind_executor(context_, [self = shared_from_this()](std::exception_ptr, bool) {
          self->pass_dead_actor();
          self->next();
        });
        stopped.async_wait(std::move(resume));
        return;
      }
    }
    done_.set_value();
  }

  // The dead actor's ref goes now, on an io thread, rather than all of them at once on the destroying thread.
  void pass_dead_actor() { order_[at_++] = ActorRef<>(); }

  asio::io_context& context_;
  std::vector<ActorRef<>> order_;
  std::size_t at_ = 0;  // one step at a time: each next() happens after the previous one
  Promise<void> done_;
};

/// Tells whether some thread runs an io_context: a posted probe has run since it was (re)armed.
class RunProbe {
public:
  explicit RunProbe(asio::io_context& context) : context_(context) { arm(); }

  /// True when the probe ran since the last call (which arms it again).
  bool ran_since_last_check() {
    if (!ran_->load()) return false;
    arm();
    return true;
  }

private:
  void arm() {
    ran_ = std::make_shared<std::atomic<bool>>(false);
    asio::post(context_, [ran = ran_] { ran->store(true); });
  }

  asio::io_context& context_;
  std::shared_ptr<std::atomic<bool>> ran_;
};

/// How long ~System waits for somebody to run a borrowed io_context before it looks into why.
constexpr auto unrun_grace = 500ms;

/// Stops `order` through a StopChain and waits for it. False when the borrowed io_context is stopped, so waiting
/// cannot help.
///
/// A borrowed io_context that nobody seems to run (it ran no probe for unrun_grace) is polled from here, but only
/// when no actor's code ever ran on it: then the caller never ran it, and polling cannot overlap a handler of a
/// thread that is merely busy (a single-threaded io_context's handlers must never run concurrently). Once actors
/// ran on it, a silent context is a busy one: ~System waits, and logs why every few seconds.
bool stop_in_order(detail::SystemState& state, std::vector<ActorRef<>> order) {
  auto chain = std::make_shared<StopChain>(state.context, std::move(order));
  auto done = chain->start();
  const bool borrowed = !state.owned_context;
  // ~System runs inside a handler of the borrowed context, or a TestSystem's thread drives it: run the actors'
  // work from here.
  bool pump = borrowed && (state.driven_by_owner || state.context.get_executor().running_in_this_thread());
  std::optional<RunProbe> probe;
  if (borrowed && !pump) probe.emplace(state.context);
  auto next_probe_check = std::chrono::steady_clock::now() + unrun_grace;
  auto waited = 0ms;
  while (!done.ready()) {
    if (borrowed && state.context.stopped()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (probe && !pump && now >= next_probe_check) {
      next_probe_check = now + unrun_grace;
      waited += unrun_grace;
      if (probe->ran_since_last_check()) {
        waited = 0ms;
      } else if (!state.ran.load()) {
        pump = true;
        detail::log(spdlog::level::warn,
                    "cokka::System::~System: nobody runs its io_context; running the actors' work from the "
                    "destructor (run the io_context, or stop it, while the System is destroyed)");
      } else if (waited % 5s == 0ms) {
        detail::log(spdlog::level::warn,
                    "cokka::System::~System: waiting {} s for the threads of its io_context to stop the actors: "
                    "none of them ran its work meanwhile (a handler that does not return? run the io_context, or "
                    "stop it, while the System is destroyed)",
                    std::chrono::duration_cast<std::chrono::seconds>(waited).count());
      }
    }
    if (pump) {
      state.context.poll();
      // Running out of work stops an io_context; the caller, who never ran this one, may run it later.
      if (probe && state.context.stopped()) state.context.restart();
      continue;
    }
    try {
      done.get(20ms);
    } catch (const Timeout&) {
    }
  }
  return true;
}

// A System on a borrowed io_context starts no thread: asking for some is a mistake, not a hint.
unsigned borrowed_thread_count(const SystemOptions& options) {
  if (options.threads != 0)
    throw InvalidState("cokka::System(io_context&, SystemOptions): options.threads must be 0, since the caller's "
                       "threads run a borrowed io_context (use System(SystemOptions) for threads of its own)");
  return 0;
}

}  // namespace

System::System() : System(SystemOptions{}) {}

System::System(threads count) : state_(std::make_unique<detail::SystemState>(*this, nullptr, std::max(1u, count.count))) {}

System::System(asio::io_context& context) : state_(std::make_unique<detail::SystemState>(*this, &context, 0)) {}

System::System(const SystemOptions& options)
    : System(threads{options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency())}) {
  if (options.metrics) state_->metrics = std::make_unique<detail::MetricsRegistry>(options.metrics_sample);
}

System::System(asio::io_context& context, const SystemOptions& options)
    : state_(std::make_unique<detail::SystemState>(*this, &context, borrowed_thread_count(options))) {
  if (options.metrics) state_->metrics = std::make_unique<detail::MetricsRegistry>(options.metrics_sample);
}

System::System(asio::io_context& context, const detail::TestMode& mode)
    : state_(std::make_unique<detail::SystemState>(*this, &context, 0, &mode)) {}

System::~System() {
  auto& state = *state_;
  state.shutdown_error = std::make_exception_ptr(
      ActorDeadError("cokka: the actor was stopped by its System's shutdown before its coroutine handler finished"));
  state.shutting_down = true;
  bool can_wait = state.owned_context || !state.context.stopped();

  // 0. Coroutine handlers waiting for timers or replies are destroyed now, all at once, so that the io threads
  // do it in parallel; the stops below would otherwise meet them one by one. From now on, coroutine handlers
  // of queued messages are not started, and coroutine hooks are destroyed at their first suspension (see
  // ActorCell). The io threads sweep the actors themselves, one sweep each: an idle strand runs the
  // destruction right there, without a trip through the scheduler's queue.
  if (can_wait) {
    auto cells = std::make_shared<const std::vector<std::shared_ptr<detail::ActorCell>>>(state.tracked_cells());
    const std::size_t sweeps = std::max<std::size_t>(1, state.threads.size());
    for (std::size_t sweep = 0; sweep < sweeps; ++sweep)
      asio::post(state.context, [cells, sweep, sweeps] {
        for (std::size_t at = sweep; at < cells->size(); at += sweeps)  // last started first, as they stop
          (*cells)[cells->size() - 1 - at]->destroy_coroutine_soon(true);
      });
  }

  // 1. Registered actors, last started first, each through its poison pill (on_stop runs).
  while (can_wait) {
    auto refs = state.registry.get_all();
    if (refs.empty()) break;
    std::reverse(refs.begin(), refs.end());
    can_wait = stop_in_order(state, std::move(refs));
  }
  // 2. Actors that are not registered but not dead either (stopping, or unregistered by hand).
  if (can_wait) {
    std::vector<ActorRef<>> stragglers;
    for (auto& cell : state.tracked_cells())
      if (cell->phase() != detail::ActorCell::Phase::dead) stragglers.emplace_back(std::move(cell));
    stop_in_order(state, std::move(stragglers));
  }
  // 3. Our threads: let run() return by itself if only our work was left, else stop the context.
  if (state.owned_context) {
    state.work.reset();
    for (auto waited = 0ms; state.running_threads > 0 && waited < 200ms; waited += 1ms)
      std::this_thread::sleep_for(1ms);
    state.context.stop();
    for (auto& thread : state.threads) thread.join();
  }
  // 4. Every actor's gate closes: threads still inside an actor's code (a stopped borrowed context's threads
  // finishing their handler) are waited for, and nothing of the actors reaches this System or its strands
  // afterwards. What could not stop through its mailbox dies here, without hooks.
  for (auto& cell : state.tracked_cells()) cell->close();
  // 5. Timers still pending (tell_after to actors gone meanwhile, sleeps of coroutines outside the actors) end:
  // sleeps complete with operation_aborted.
  state.timers->close();
}

Registry& System::registry() noexcept { return state_->registry; }

asio::io_context& System::context() noexcept { return state_->context; }

Clock::time_point System::now() const noexcept { return state_->timers->now(); }

void System::add_interceptor(std::shared_ptr<Interceptor> interceptor) {
  state_->add_interceptor(std::move(interceptor));
}

metrics::Snapshot System::metrics() const {
  if (!state_->metrics)
    throw InvalidState("cokka::System::metrics: metrics are off; start the System with "
                       "cokka::SystemOptions{.metrics = true}");
  auto snapshot = state_->metrics->snapshot();
  for (const auto& cell : state_->tracked_cells()) {
    if (cell->phase() == detail::ActorCell::Phase::dead) continue;
    const auto type = std::lower_bound(snapshot.actors.begin(), snapshot.actors.end(), cell->type_name(),
                                       [](const auto& figures, const std::string& name) { return figures.actor < name; });
    if (type == snapshot.actors.end() || type->actor != cell->type_name()) continue;  // started meanwhile
    const auto depth = cell->activity().mailbox_depth;
    ++type->actors;
    type->mailbox_depth += depth;
    type->sent += depth;  // queued, not taken yet
    type->mailbox_depth_max = std::max<std::uint64_t>(type->mailbox_depth_max, depth);
  }
  return snapshot;
}

bool System::metrics_enabled() const noexcept { return state_->metrics != nullptr; }

unsigned System::thread_count() const noexcept { return static_cast<unsigned>(state_->threads.size()); }

System::ConstructionScope::ConstructionScope(detail::ActorCell& cell) noexcept
    : cell_(cell), previous_(std::exchange(detail::constructing_cell_slot(), &cell)),
      uncaught_(std::uncaught_exceptions()) {}

System::ConstructionScope::~ConstructionScope() {
  detail::constructing_cell_slot() = previous_;
  if (std::uncaught_exceptions() > uncaught_) cell_.abandon_construction();  // the constructor threw
}

std::shared_ptr<detail::ActorCell> System::new_cell(const std::string& type_name, const ActorOptions& options) {
  if (state_->shutting_down) throw InvalidState("cokka::System::start: the system is shutting down");
  auto cell = std::make_shared<detail::ActorCell>(*state_, state_->context, type_name);
  if (state_->metrics) cell->measure(state_->metrics->for_type(type_name));
  // Before the constructor, which may hand self() to other threads that send at once.
  if (options.mailbox.capacity > 0) cell->bound_mailbox(options.mailbox);
  if (!options.name.empty()) state_->registry.claim_name(options.name, *cell);
  state_->track(cell);
  // After track(): from there on add_interceptor refuses, so the list read here is the final one.
  if (state_->intercepted()) cell->intercept();
  return cell;
}

void System::launch(const std::shared_ptr<detail::ActorCell>& cell, std::unique_ptr<detail::ActorBase> object,
                    const ActorOptions& options, detail::ActorFactory factory) {
  cell->adopt(std::move(object));
  if (options.restart) cell->supervision().set_restart(*options.restart, std::move(factory));
  state_->registry.register_ref(ActorRef<>(cell));
  cell->schedule_start();
}

}  // namespace cokka
