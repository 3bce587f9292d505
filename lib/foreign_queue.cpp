#include "foreign_queue.hpp"

#include "cokka/detail/cell.hpp"

#include <asio/post.hpp>

#include <utility>

namespace cokka::detail {

ForeignQueue::~ForeignQueue() {
  for (auto* list : {taken_, requests_.load()})
    for (auto* request = list; request;) delete std::exchange(request, request->next);
}

void ForeignQueue::push(std::shared_ptr<ActorCell> cell) noexcept {
  // Out of memory here ends the program, as it would in the asio::post this replaces (also noexcept).
  auto* request = new Request{requests_.load(std::memory_order_relaxed), std::move(cell)};
  while (!requests_.compare_exchange_weak(request->next, request)) {
  }
  // The pump clears the flag only after it has taken every request, then looks again (all seq_cst): either it
  // sees this push, or this exchange sees the flag cleared and posts the next pump.
  if (!pump_posted_.exchange(true)) post_pump();
}

void ForeignQueue::post_pump() noexcept {
  asio::post(context_, [self = shared_from_this()] { self->pump(); });
}

// One pump at a time (pump_posted_ stays set while it runs), so `taken_` has one consumer.
void ForeignQueue::pump() noexcept {
  for (int scheduled = 0; scheduled < pump_batch; ++scheduled) {
    if (!taken_) {
      for (auto* request = requests_.exchange(nullptr); request;) {  // the stack holds the latest first
        auto* next = request->next;
        request->next = taken_;
        taken_ = request;
        request = next;
      }
      if (!taken_) break;
    }
    std::unique_ptr<Request> request(std::exchange(taken_, taken_->next));
    request->cell->schedule_from_pump();  // on an io thread now: a continuation of this pump
  }
  if (taken_) return post_pump();  // the drains queued so far run first (a burst is not queued all at once)
  pump_posted_.store(false);
  if (requests_.load() && !pump_posted_.exchange(true)) post_pump();
}

}  // namespace cokka::detail
