#include "cokka/detail/mailbox_bound.hpp"

#include "cokka/detail/cell.hpp"
#include "cokka/detail/envelopes.hpp"

namespace cokka::detail {

MailboxBound::~MailboxBound() {
  // A waiter holds its actor's cell, so none is left when the cell goes; this is the last line of defence.
  while (auto* waiter = first_) {
    unlink(*waiter);
    waiter->envelope.reset();
    waiter->finish(std::make_exception_ptr(ActorDeadError("cokka: the actor ended before its mailbox had room")));
  }
}

void MailboxBound::wait(ActorCell& cell, MailboxWaiter& waiter) noexcept {
  MailboxWaiter* done;
  {
    std::lock_guard lock(mutex_);
    waiter.previous_ = last_;
    (last_ ? last_->next_ : first_) = &waiter;
    last_ = &waiter;
    waiting_.fetch_add(1);  // seq_cst, then the retry below: see the class comment
    done = admit_locked(cell);
  }
  finish_all(cell, done);
}

bool MailboxBound::cancel(MailboxWaiter& waiter) noexcept {
  std::lock_guard lock(mutex_);
  if (first_ != &waiter && !waiter.previous_) return false;  // admitted or ended already (unlink clears the links)
  unlink(waiter);
  return true;
}

void MailboxBound::admit_waiters(ActorCell& cell) noexcept {
  MailboxWaiter* done;
  {
    std::lock_guard lock(mutex_);
    done = admit_locked(cell);
  }
  finish_all(cell, done);
}

// Outside the lock: finishing may hand a reply wait to a future, or post to another executor. A waiter that still
// holds its envelope was refused by a dead actor.
void MailboxBound::finish_all(ActorCell& cell, MailboxWaiter* done) noexcept {
  while (done) {
    auto* waiter = std::exchange(done, done->done_next_);
    waiter->finish(waiter->envelope ? not_found_error(cell) : nullptr);
  }
}

// Hands free places to the oldest waiters, queueing their envelopes under the lock (so in their order). A waiter
// of a dead actor gives its place back and ends with its envelope rejected (kept for the ActorDeadError).
// Returns the waiters to finish, oldest first.
MailboxWaiter* MailboxBound::admit_locked(ActorCell& cell) noexcept {
  MailboxWaiter* done = nullptr;
  MailboxWaiter** tail = &done;
  while (first_ && try_admit(false)) {
    auto& waiter = *first_;
    unlink(waiter);
    if (cell.is_alive()) {
      waiter.envelope->set_counted();
      cell.enqueue(waiter.envelope.release());
    } else {
      used_.fetch_sub(1);
      waiter.envelope->reject(cell);
    }
    waiter.done_next_ = nullptr;
    *tail = &waiter;
    tail = &waiter.done_next_;
  }
  return done;
}

void MailboxBound::unlink(MailboxWaiter& waiter) noexcept {
  (waiter.previous_ ? waiter.previous_->next_ : first_) = waiter.next_;
  (waiter.next_ ? waiter.next_->previous_ : last_) = waiter.previous_;
  waiter.next_ = waiter.previous_ = nullptr;
  waiting_.fetch_sub(1);
}

}  // namespace cokka::detail
