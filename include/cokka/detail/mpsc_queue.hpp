#pragma once

#include <atomic>

namespace cokka::detail {

/// Intrusive link for MpscQueue.
struct MpscNode {
  std::atomic<MpscNode*> next{nullptr};
};

/// Unbounded intrusive multi-producer single-consumer queue (Vyukov). `push` is wait-free and may be called
/// from any thread; `pop` and `empty` only by the one consumer (the actor's drain). `pop` may return nullptr
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

  /// True when nothing was pushed that has not been popped (a half-done push counts as not empty).
  bool empty() const noexcept {
    MpscNode* head = head_.load(std::memory_order_seq_cst);
    return head == tail_ && head == &stub_;
  }

private:
  std::atomic<MpscNode*> head_;
  MpscNode* tail_;  // consumer only
  MpscNode stub_;
};

}  // namespace cokka::detail
