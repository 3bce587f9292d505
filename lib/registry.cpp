#include "cokka/registry.hpp"

#include "log.hpp"

#include <algorithm>
#include <string>

namespace cokka {

std::vector<ActorRef<>> Registry::get_all() const {
  return select([](const detail::ActorBase&) { return true; });
}

std::vector<ActorRef<>> Registry::select(Predicate predicate) const {
  std::vector<ActorRef<>> refs;
  std::lock_guard lock(mutex_);
  refs.reserve(size_);
  // A cell is unregistered before its object is destroyed, and a restart swaps the object under mutex_: a
  // registered cell's object is alive, or null between two incarnations (then it is not listed).
  for (auto* cell = first_; cell; cell = cell->registry_next_)
    if (const auto* object = cell->object(); object && predicate(*object)) refs.emplace_back(cell->registry_hold_);
  return refs;
}

std::vector<ActorRef<>> Registry::get_by_class_name(std::string_view name) const {
  std::vector<ActorRef<>> refs;
  std::lock_guard lock(mutex_);
  for (auto* cell = first_; cell; cell = cell->registry_next_)
    if (cell->type_name() == name) refs.emplace_back(cell->registry_hold_);
  return refs;
}

std::optional<ActorRef<>> Registry::get_by_urn(std::string_view urn) const {
  std::lock_guard lock(mutex_);
  for (auto* cell = first_; cell; cell = cell->registry_next_)
    if (cell->urn() == urn) return ActorRef<>(cell->registry_hold_);
  return std::nullopt;
}

std::optional<ActorRef<>> Registry::get_by_name(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto found = names_.find(std::string(name));
  if (found == names_.end() || !found->second->registered_) return std::nullopt;
  return ActorRef<>(found->second->registry_hold_);
}

void Registry::claim_name(const std::string& name, detail::ActorCell& cell) {
  std::lock_guard lock(mutex_);
  auto [at, added] = names_.try_emplace(name, &cell);
  if (!added)
    throw InvalidState("cokka::System::start: the name \"" + name + "\" belongs to " + at->second->description() +
                       ", which is alive; names are unique among a System's live actors");
  cell.registry_name_ = &at->first;
}

void Registry::release_name(detail::ActorCell& cell) noexcept {
  std::lock_guard lock(mutex_);
  release_name_locked(cell);
}

void Registry::release_name_locked(detail::ActorCell& cell) noexcept {
  if (!cell.registry_name_) return;
  names_.erase(*std::exchange(cell.registry_name_, nullptr));
}

std::vector<Future<bool>> Registry::stop_all_async() {
  auto refs = get_all();
  std::vector<Future<bool>> stops;
  stops.reserve(refs.size());
  std::for_each(refs.rbegin(), refs.rend(), [&](const ActorRef<>& ref) { stops.push_back(ref.stop_async()); });
  return stops;
}

std::vector<bool> Registry::stop_all() {
  auto refs = get_all();
  std::vector<bool> stopped;
  stopped.reserve(refs.size());
  std::for_each(refs.rbegin(), refs.rend(), [&](const ActorRef<>& ref) { stopped.push_back(ref.stop()); });
  return stopped;
}

std::vector<bool> Registry::stop_all(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto refs = get_all();
  std::vector<bool> stopped;
  stopped.reserve(refs.size());
  for (auto ref = refs.rbegin(); ref != refs.rend(); ++ref) {
    auto left = std::max(deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
    try {
      stopped.push_back(ref->stop_async().get(left));
    } catch (const Timeout&) {
      throw Timeout("cokka::Registry::stop_all: " + std::to_string(refs.size() - stopped.size()) + " of " +
                    std::to_string(refs.size()) + " actors not stopped within " + std::to_string(timeout.count()) +
                    " ms (" + to_string(*ref) + " was still stopping)");
    }
  }
  return stopped;
}

bool Registry::register_ref(const ActorRef<>& ref) {
  auto* cell = ref.cell().get();
  if (!cell) return false;
  {
    std::lock_guard lock(mutex_);
    if (cell->registered_ || !cell->is_alive() || !cell->object()) return false;
    cell->registry_prev_ = last_;
    cell->registry_next_ = nullptr;
    (last_ ? last_->registry_next_ : first_) = cell;
    last_ = cell;
    cell->registry_hold_ = ref.cell();
    cell->registered_ = true;
    ++size_;
  }
  detail::log(spdlog::level::debug, "Registered {}", *cell);
  return true;
}

bool Registry::unregister_ref(const ActorRef<>& ref) {
  auto* cell = ref.cell().get();
  if (!cell) return false;
  std::shared_ptr<detail::ActorCell> hold;  // released after the lock: it may be the last owner
  {
    std::lock_guard lock(mutex_);
    if (!cell->registered_) return false;
    (cell->registry_prev_ ? cell->registry_prev_->registry_next_ : first_) = cell->registry_next_;
    (cell->registry_next_ ? cell->registry_next_->registry_prev_ : last_) = cell->registry_prev_;
    cell->registry_prev_ = cell->registry_next_ = nullptr;
    cell->registered_ = false;
    release_name_locked(*cell);
    hold = std::move(cell->registry_hold_);
    --size_;
  }
  detail::log(spdlog::level::debug, "Unregistered {}", *cell);
  return true;
}

std::size_t Registry::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

}  // namespace cokka
