#pragma once

#include <asio/defer.hpp>

#include <atomic>
#include <thread>
#include <utility>

namespace cokka::detail {

/// The state an operation keeps for hand_off: 2 while the posting thread is inside asio::defer.
struct HandOffState {
  std::atomic<int> holders{0};
};

/// Posts `op`'s completion to `executor` so that it never runs before the posting thread is out of asio::defer.
///
/// Why: the completion often goes to another thread's io_context, whose owner may destroy it as soon as the
/// completion ran (a caller running `run_one()` until its coroutine resumed, then destroying its context). Asio's
/// scheduler makes a posted handler visible, unlocks, and only then signals the sleeping thread: without this the
/// handler could run, and its io_context be destroyed, while the posting thread is still about to signal it.
/// The completion waits (it yields; the window is a few instructions of the poster) until the poster is out.
///
/// `Op` provides `HandOffState hand_off`, `static void run(Op*)` (the completion, owning the op) and
/// `static void discard(Op*)` (the executor destroyed the completion unrun: destroy the op).
template <class Op>
struct HandedOff {
  explicit HandedOff(Op* op) noexcept : op(op) {}
  HandedOff(HandedOff&& other) noexcept : op(std::exchange(other.op, nullptr)) {}
  HandedOff(const HandedOff&) = delete;
  HandedOff& operator=(const HandedOff&) = delete;
  HandedOff& operator=(HandedOff&&) = delete;
  ~HandedOff() {
    if (op && op->hand_off.holders.fetch_sub(1, std::memory_order_acq_rel) == 1) Op::discard(op);
  }
  void operator()() {
    auto* owned = std::exchange(op, nullptr);
    while (owned->hand_off.holders.load(std::memory_order_acquire) != 1) std::this_thread::yield();
    Op::run(owned);
  }
  Op* op;
};

template <class Op, class Executor>
void hand_off(const Executor& executor, Op* op) noexcept {
  op->hand_off.holders.store(2, std::memory_order_relaxed);
  asio::defer(executor, HandedOff<Op>(op));
  // Whoever is second of this thread and an unrun completion's destruction destroys the op.
  if (op->hand_off.holders.fetch_sub(1, std::memory_order_acq_rel) == 1) Op::discard(op);
}

}  // namespace cokka::detail
