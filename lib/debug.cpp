#include "cokka/debug.hpp"

#include "cokka/detail/async_wait.hpp"
#include "cokka/executor.hpp"
#include "cokka/logging.hpp"
#include "system_state.hpp"

#include <typeinfo>
#include <unordered_map>

namespace cokka::detail {

std::shared_ptr<ActorCell> awaiting_actor(const asio::any_io_executor& executor) noexcept {
  // Asio 1.22's any_executor::target<T>() casts without checking the type: check it first, or a plain
  // io_context coroutine awaiting a future would be taken for an actor.
  if (executor.target_type() != typeid(ActorExecutor)) return nullptr;
  return executor.target<ActorExecutor>()->cell();
}

}  // namespace cokka::detail

namespace cokka::debug {

std::vector<ActorSnapshot> snapshot(System& system) {
  using detail::ActorCell;
  const auto cells = detail::SystemAccess::state(system).tracked_cells();
  // An awaited actor is known only by address; it is reported when it is one of these (still referenced) cells.
  std::unordered_map<const ActorCell*, const std::shared_ptr<ActorCell>*> by_address;
  for (const auto& cell : cells) by_address.emplace(cell.get(), &cell);

  std::vector<ActorSnapshot> actors;
  actors.reserve(cells.size());
  for (const auto& cell : cells) {
    const auto phase = cell->phase();
    if (phase == ActorCell::Phase::dead) continue;
    const auto activity = cell->activity();
    if (activity.enqueued == 0) continue;  // System::start is still constructing it
    ActorSnapshot& actor = actors.emplace_back();
    actor.actor = ActorRef<>(cell);
    actor.type = cell->type_name();
    actor.urn = cell->urn();
    actor.stopping = phase == ActorCell::Phase::closing;
    actor.mailbox_depth = activity.mailbox_depth;
    if (activity.handling) {
      actor.handling = activity.handling;
      actor.handling_for = activity.handling_for;
    }
    if (auto found = by_address.find(activity.awaiting); activity.awaiting && found != by_address.end())
      actor.awaiting = ActorRef<>(*found->second);
    actor.awaiting_room = activity.awaiting_room;
    actor.mailbox_capacity = activity.capacity;
    actor.waiting_senders = activity.waiting_senders;
    actor.dropped = activity.dropped;
  }
  return actors;
}

void dump(System& system) {
  const auto actors = snapshot(system);
  auto target = logger();
  for (const auto& actor : actors) target->log(spdlog::level::critical, "{}", to_string(actor));
  target->flush();  // a dump often precedes an abort or a kill
}

std::string to_string(const ActorSnapshot& actor) {
  std::string text = actor.type + " (" + actor.urn + ")";
  if (actor.stopping) text += " stopping";
  if (actor.handling.empty()) {
    text += ": idle";
  } else {
    text += fmt::format(": handling {} for {} ms", actor.handling, actor.handling_for.count());
  }
  if (actor.awaiting) text += (actor.awaiting_room ? ", waiting for room in " : ", awaiting ") + to_string(*actor.awaiting);
  text += fmt::format("; mailbox {}", actor.mailbox_depth);
  if (actor.mailbox_capacity > 0) text += fmt::format(" of {}", actor.mailbox_capacity);
  if (actor.waiting_senders > 0) text += fmt::format(", {} senders waiting for room", actor.waiting_senders);
  if (actor.dropped > 0) text += fmt::format(", {} dropped", actor.dropped);
  return text;
}

}  // namespace cokka::debug
