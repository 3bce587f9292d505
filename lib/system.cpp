#include "cokka/system.hpp"

#include "cokka/detail/envelopes.hpp"
#include "log.hpp"
#include "system_state.hpp"

#include <asio/post.hpp>
#include <asio/strand.hpp>

#include <algorithm>

namespace cokka {

namespace detail {

SystemState::SystemState(System& system, asio::io_context* borrowed, unsigned thread_count)
    : owner(system),
      owned_context(borrowed ? nullptr : std::make_unique<asio::io_context>(static_cast<int>(thread_count))),
      context(borrowed ? *borrowed : *owned_context) {
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

/// Waits until `stopped` is ready, cancelling the actor's running coroutine now and then so that a handler
/// awaiting a timer or another actor cannot hold the shutdown. False when nobody runs the borrowed
/// io_context any more, so waiting cannot help.
bool wait_for_stop(detail::SystemState& state, detail::ActorCell& cell, const Future<bool>& stopped) {
  const bool pump = !state.owned_context && state.context.get_executor().running_in_this_thread();
  while (!stopped.ready()) {
    if (!state.owned_context && state.context.stopped()) return false;
    cell.cancel_coroutine();
    if (pump) {
      // ~System runs inside a handler of the borrowed context: run the actors' work from here.
      state.context.poll();
      continue;
    }
    try {
      stopped.get(20ms);
    } catch (const Timeout&) {
    }
  }
  return true;
}

}  // namespace

System::System() : System(threads{std::max(1u, std::thread::hardware_concurrency())}) {}

System::System(threads count) : state_(std::make_unique<detail::SystemState>(*this, nullptr, std::max(1u, count.count))) {}

System::System(asio::io_context& context) : state_(std::make_unique<detail::SystemState>(*this, &context, 0)) {}

System::~System() {
  auto& state = *state_;
  state.shutting_down = true;
  bool can_wait = true;

  // 1. Registered actors, last started first, each through its poison pill (on_stop runs).
  while (can_wait) {
    auto refs = state.registry.get_all();
    if (refs.empty()) break;
    for (auto ref = refs.rbegin(); ref != refs.rend() && can_wait; ++ref)
      can_wait = wait_for_stop(state, *ref->cell(), ref->stop_async());
  }
  // 2. Actors that are not registered but not dead either (stopping, or unregistered by hand).
  for (auto& cell : state.tracked_cells()) {
    if (!can_wait) break;
    if (cell->phase() != detail::ActorCell::Phase::dead)
      can_wait = wait_for_stop(state, *cell, ActorRef<>(cell).stop_async());
  }
  // 3. Our threads: let run() return by itself if only our work was left, else stop the context.
  if (state.owned_context) {
    state.work.reset();
    for (auto waited = 0ms; state.running_threads > 0 && waited < 200ms; waited += 1ms)
      std::this_thread::sleep_for(1ms);
    state.context.stop();
    for (auto& thread : state.threads) thread.join();
  }
  // 4. Whatever could not be stopped through its mailbox dies here; strands go before their io_context.
  const bool nothing_runs = state.owned_context || state.context.stopped();
  for (auto& cell : state.tracked_cells()) {
    if (!cell->close_now(nothing_runs))
      detail::log(spdlog::level::err, "cokka::System: {} could not be stopped: its io_context is not running",
                  cell->description());
    cell->detach_strand();
  }
}

Registry& System::registry() noexcept { return state_->registry; }

asio::io_context& System::context() noexcept { return state_->context; }

unsigned System::thread_count() const noexcept { return static_cast<unsigned>(state_->threads.size()); }

System::ConstructionScope::ConstructionScope(detail::ActorCell& cell) noexcept
    : previous_(std::exchange(detail::constructing_cell_slot(), &cell)) {}

System::ConstructionScope::~ConstructionScope() { detail::constructing_cell_slot() = previous_; }

std::shared_ptr<detail::ActorCell> System::new_cell(const std::string& type_name) {
  if (state_->shutting_down) throw InvalidState("cokka::System::start: the system is shutting down");
  auto cell = std::make_shared<detail::ActorCell>(*state_, asio::make_strand(state_->context), type_name);
  state_->track(cell);
  return cell;
}

void System::launch(const std::shared_ptr<detail::ActorCell>& cell, std::unique_ptr<detail::ActorBase> object) {
  cell->adopt(std::move(object));
  state_->registry.register_ref(ActorRef<>(cell));
  detail::log(spdlog::level::debug, "Registered {}", cell->description());
  cell->enqueue(new detail::StartEnvelope);
}

}  // namespace cokka
