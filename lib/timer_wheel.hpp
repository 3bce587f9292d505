#pragma once

#include "cokka/detail/timer_node.hpp"

#include <array>
#include <cstdint>
#include <optional>

namespace cokka::detail {

/// An intrusive list of timer nodes (the wheel's slots, and what a turn collects), through wheel_prev/wheel_next.
class TimerList {
public:
  void push_back(TimerNode* node) noexcept;
  void remove(TimerNode* node) noexcept;
  TimerNode* pop_front() noexcept;
  bool empty() const noexcept { return head_ == nullptr; }
  /// Appends `other`'s nodes, leaving it empty.
  void splice(TimerList& other) noexcept;

private:
  TimerNode* head_ = nullptr;
  TimerNode* tail_ = nullptr;
};

/// A hierarchical timing wheel (as in the classic Unix kernels): six levels of 64 slots, level l holding the
/// nodes due within 64^(l+1) ticks, cascaded one level down when their slot comes up. Insert and remove are
/// O(1) at any distance (a far-future timeout that is reset on every message never costs more than a near
/// one), a turn costs O(slots passed), and idle stretches are skipped with per-level occupancy bitmaps.
/// Deadlines beyond 64^6 ticks (795 days at 1 ms) are clamped there.
///
/// Not thread-safe: TimerService guards it with its mutex.
class TimerWheel {
public:
  static constexpr int levels = 6;
  static constexpr int slot_bits = 6;
  static constexpr std::uint64_t slots = 1u << slot_bits;
  static constexpr std::uint64_t range = std::uint64_t{1} << (levels * slot_bits);

  /// `now`: the first tick to be processed.
  explicit TimerWheel(std::uint64_t now = 0) noexcept : base_(now) {}
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  /// Links `node` to fire at tick `node->deadline` (at the next turn when that passed already).
  void insert(TimerNode* node) noexcept;
  /// Unlinks a linked node.
  void remove(TimerNode* node) noexcept;
  /// Moves every node due at or before `tick` to `due`, in deadline order, and processes the ticks up to it.
  void advance(std::uint64_t tick, TimerList& due) noexcept;
  /// The earliest tick at which advance() has something to do (fire, or cascade a non-empty slot), or nothing
  /// when the wheel is empty. Never later than the earliest deadline.
  std::optional<std::uint64_t> next_tick() const noexcept;
  /// Moves every node to `out` (for closing).
  void take_all(TimerList& out) noexcept;
  /// The next tick to be processed.
  std::uint64_t base() const noexcept { return base_; }
  std::size_t size() const noexcept { return size_; }

private:
  void place(TimerNode* node) noexcept;
  void cascade(int level) noexcept;

  std::uint64_t base_;
  std::size_t size_ = 0;
  std::array<std::array<TimerList, slots>, levels> slots_{};
  std::array<std::uint64_t, levels> occupied_{};  // bit i: slot i of the level is not empty
};

}  // namespace cokka::detail
