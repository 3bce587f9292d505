#pragma once

#include <atomic>

namespace cokka::detail {

/// Intrusive link for MpscQueue.
struct MpscNode {
  std::atomic<MpscNode*> next{nullptr};
};

/// Unbounded intrusive multi-producer single-consumer queue (Vyukov). `push` is wait-free and may be called
/// from any thread; `pop` and `mark` only by the one consumer (the actor's drain). `pop` may return nullptr
/// while a push is half done; the pushing thread then schedules another drain, so nothing is lost.
class MpscQueue {
public:
  MpscQueue() noexcept : head_(&stub_), tail_(&stub_) {}
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;

  void push(MpscNode* node) noexcept {
    node->next.store(nullptr, std::memory_order_relaxed);
    MpscNode* previous = head_.exchange(node, std::memory_order_seq_cst);
    previous->next.store(node, std::memory_order_release);
  }

  MpscNode* pop() noexcept {
    MpscNode* tail = tail_;
    MpscNode* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (!next) return nullptr;
      tail_ = tail = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next) {
      tail_ = next;
      return tail;
    }
    if (tail != head_.load(std::memory_order_seq_cst)) return nullptr;  // a push is half done
    push(&stub_);
    next = tail->next.load(std::memory_order_acquire);
    if (next) {
      tail_ = next;
      return tail;
    }
    return nullptr;
  }

  /// For the consumer about to give the queue up after `pop` returned nullptr: a mark that `pushed_since`
  /// compares with afterwards. Only the mark is read later: `tail_` belongs to whoever consumes next.
  const MpscNode* mark() const noexcept { return tail_; }

  /// True when something was pushed, or is half pushed, that was not popped when `mark()` was taken. Any
  /// thread. (head_ only returns to the mark through a pop, i.e. a later consumer, which then owns the items.)
  bool pushed_since(const MpscNode* mark) const noexcept { return head_.load(std::memory_order_seq_cst) != mark; }

private:
  std::atomic<MpscNode*> head_;
  MpscNode* tail_;  // consumer only
  MpscNode stub_;
};

}  // namespace cokka::detail
