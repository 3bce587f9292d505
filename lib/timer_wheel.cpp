#include "timer_wheel.hpp"

#include <algorithm>
#include <bit>

namespace cokka::detail {

void TimerList::push_back(TimerNode* node) noexcept {
  node->wheel_next = nullptr;
  node->wheel_prev = tail_;
  (tail_ ? tail_->wheel_next : head_) = node;
  tail_ = node;
}

void TimerList::remove(TimerNode* node) noexcept {
  (node->wheel_prev ? node->wheel_prev->wheel_next : head_) = node->wheel_next;
  (node->wheel_next ? node->wheel_next->wheel_prev : tail_) = node->wheel_prev;
  node->wheel_prev = node->wheel_next = nullptr;
}

TimerNode* TimerList::pop_front() noexcept {
  auto* node = head_;
  if (node) remove(node);
  return node;
}

void TimerList::splice(TimerList& other) noexcept {
  if (other.empty()) return;
  if (tail_) {
    tail_->wheel_next = other.head_;
    other.head_->wheel_prev = tail_;
  } else {
    head_ = other.head_;
  }
  tail_ = other.tail_;
  other.head_ = other.tail_ = nullptr;
}

namespace {

constexpr std::uint64_t slot_mask = TimerWheel::slots - 1;

constexpr int shift(int level) noexcept { return level * TimerWheel::slot_bits; }

}  // namespace

void TimerWheel::insert(TimerNode* node) noexcept {
  node->deadline = std::min(node->deadline, base_ + range - 1);
  node->linked = true;
  ++size_;
  place(node);
}

// The level whose span holds the distance to the deadline; its slot is the deadline's digit at that level.
// (A node due at or before base_ goes to base_'s own slot: the next turn fires it.)
void TimerWheel::place(TimerNode* node) noexcept {
  const auto due = std::max(node->deadline, base_);
  const auto distance = due - base_;
  int level = 0;
  while (level + 1 < levels && distance >= (std::uint64_t{1} << shift(level + 1))) ++level;
  const auto slot = (due >> shift(level)) & slot_mask;
  slots_[level][slot].push_back(node);
  occupied_[level] |= std::uint64_t{1} << slot;
  node->wheel_level = static_cast<std::uint8_t>(level);
  node->wheel_slot = static_cast<std::uint8_t>(slot);
}

void TimerWheel::remove(TimerNode* node) noexcept {
  auto& list = slots_[node->wheel_level][node->wheel_slot];
  list.remove(node);
  if (list.empty()) occupied_[node->wheel_level] &= ~(std::uint64_t{1} << node->wheel_slot);
  node->linked = false;
  --size_;
}

// Re-places the nodes of the slot at `level` that base_ has just entered: they move to lower levels.
void TimerWheel::cascade(int level) noexcept {
  const auto slot = (base_ >> shift(level)) & slot_mask;
  TimerList moving;
  moving.splice(slots_[level][slot]);
  occupied_[level] &= ~(std::uint64_t{1} << slot);
  while (auto* node = moving.pop_front()) place(node);
}

void TimerWheel::advance(std::uint64_t tick, TimerList& due) noexcept {
  while (base_ <= tick) {
    // Entering a new 64-tick block: the higher levels' slots that start here move down, highest first.
    if ((base_ & slot_mask) == 0) {
      int top = 1;
      while (top + 1 < levels && ((base_ >> shift(top)) & slot_mask) == 0) ++top;
      for (int level = top; level >= 1; --level) cascade(level);
    }
    const auto slot = base_ & slot_mask;
    if (occupied_[0] & (std::uint64_t{1} << slot)) {
      auto& list = slots_[0][slot];
      while (auto* node = list.pop_front()) {
        node->linked = false;
        --size_;
        due.push_back(node);
      }
      occupied_[0] &= ~(std::uint64_t{1} << slot);
    }
    // On to the next tick with work (a due slot, or a cascade of an occupied slot): the ticks in between would
    // find empty slots, and skipping them skips no cascade that moves a node.
    ++base_;
    const auto next = next_tick();
    if (!next || *next > tick) {
      base_ = tick + 1;
      return;
    }
    base_ = *next;
  }
}

std::optional<std::uint64_t> TimerWheel::next_tick() const noexcept {
  if (size_ == 0) return std::nullopt;
  std::uint64_t earliest = ~std::uint64_t{0};
  const auto slot0 = base_ & slot_mask;
  if (const auto ahead = occupied_[0] & (~std::uint64_t{0} << slot0))
    earliest = base_ - slot0 + static_cast<std::uint64_t>(std::countr_zero(ahead));
  else if (occupied_[0])  // slots before base_'s: the next round of level 0
    earliest = (base_ | slot_mask) + 1 + static_cast<std::uint64_t>(std::countr_zero(occupied_[0]));
  for (int level = 1; level < levels; ++level) {
    if (!occupied_[level]) continue;
    const auto span = std::uint64_t{1} << shift(level);
    const auto block = std::uint64_t{1} << shift(level + 1);
    const auto start = base_ & ~(block - 1);   // where this level's current round began
    const auto current = (base_ >> shift(level)) & slot_mask;
    const bool at_boundary = (base_ & (span - 1)) == 0;  // the current slot is cascaded at base_ itself
    std::uint64_t bits = occupied_[level];
    while (bits) {
      const auto slot = static_cast<std::uint64_t>(std::countr_zero(bits));
      bits &= bits - 1;
      std::uint64_t when;
      if (slot > current || (slot == current && at_boundary))
        when = start + slot * span;
      else
        when = start + block + slot * span;
      earliest = std::min(earliest, when);
    }
  }
  return earliest;
}

void TimerWheel::take_all(TimerList& out) noexcept {
  for (int level = 0; level < levels; ++level) {
    for (auto& list : slots_[level])
      while (auto* node = list.pop_front()) {
        node->linked = false;
        out.push_back(node);
      }
    occupied_[level] = 0;
  }
  size_ = 0;
}

}  // namespace cokka::detail
