#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace cokka::detail {

/// Lets threads in until it is closed, and lets its closer wait for the threads still inside: the way ~System
/// makes sure no thread touches an actor's strand, a timer service or the System itself once they go
/// (docs/internals.md). An Entry costs two atomic read-modify-writes on the gate's cache line.
class Gate {
public:
  /// A thread's permission to go in; false when the gate is closed (then it must touch nothing behind it).
  class Entry {
  public:
    explicit Entry(const Gate& gate) noexcept : gate_(&gate), open_((gate.state_.fetch_add(1) & closed_bit) == 0) {}
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    ~Entry() { gate_->state_.fetch_sub(1, std::memory_order_release); }
    explicit operator bool() const noexcept { return open_; }

  private:
    const Gate* gate_;
    bool open_;
  };

  /// Refuses every later entry and waits until no thread holds one. Then what the entries guarded belongs to
  /// the calling thread.
  void close() noexcept {
    state_.fetch_or(closed_bit);
    while ((state_.load(std::memory_order_acquire) & ~closed_bit) != 0) std::this_thread::yield();
  }

private:
  static constexpr std::uint32_t closed_bit = 0x8000'0000u;
  mutable std::atomic<std::uint32_t> state_{0};  // threads holding an Entry, plus closed_bit
};

}  // namespace cokka::detail
