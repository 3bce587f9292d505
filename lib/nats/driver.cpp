#include "driver.hpp"

#include "../log.hpp"

#include <asio/bind_executor.hpp>
#include <asio/defer.hpp>
#include <asio/post.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <future>
#include <vector>

namespace cokka::nats::detail {

Driver::Driver(asio::io_context& io, std::shared_ptr<Link> link, std::shared_ptr<Connection> connection)
    : io_(io), strand_(asio::make_strand(io)), link_(std::move(link)), connection_(std::move(connection)), timer_(strand_) {}

bool Driver::on_io_thread() const noexcept { return io_.get_executor().running_in_this_thread(); }

template <class F>
void Driver::post(F&& f) {
  auto work = [self = shared_from_this(), f = std::forward<F>(f)]() mutable {
    if (!self->stopped_) f(*self);
  };
  // From an io thread (the strand itself, a served ask's reply, an actor sending): after the current handler, on
  // this thread, so that a burst of sends is written once and no other thread has to be woken. From any other
  // thread: queued for the io threads.
  if (on_io_thread())
    asio::defer(strand_, std::move(work));
  else
    asio::post(strand_, std::move(work));
}

void Driver::run() {
  post([](Driver& self) {
    self.running_ = true;
    self.arm_read();
  });
}

void Driver::shutdown() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->socket_.reset();
    self->timer_.cancel();
    std::lock_guard lock(self->timers_mutex_);
    self->due_.clear();
    self->deadlines_.clear();
  });
}

void Driver::post_lost() {
  post([](Driver& self) { self.lost(); });
}

void Driver::post_restored() {
  post([](Driver& self) { self.link_->restored(); });
}

void Driver::call(const std::function<void()>& f) {
  std::promise<void> done;
  auto finished = done.get_future();
  asio::post(strand_, [self = shared_from_this(), &f, &done] {
    try {
      if (self->stopped_) throw InvalidState("cokka::nats: the node is closing");
      f();
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  finished.get();
}

void Driver::post_flush() {
  if (!flush_posted_.exchange(true)) post([](Driver& self) { self.flush(); });
}

// ---- libnats callbacks (connection lock held: record, post, return) ----

natsStatus Driver::on_attach(void** user_data, void* loop, natsConnection*, natsSock socket) noexcept {
  auto* self = static_cast<Driver*>(loop);
  *user_data = self;
  int duplicate = ::fcntl(socket, F_DUPFD_CLOEXEC, 0);
  if (duplicate < 0) return NATS_SYS_ERROR;
  std::uint64_t generation = ++self->attaches_;
  try {
    self->post([generation, duplicate](Driver& driver) { driver.attached(generation, duplicate); });
  } catch (...) {
    ::close(duplicate);
    return NATS_NO_MEMORY;
  }
  return NATS_OK;
}

natsStatus Driver::on_read(void* user_data, bool add) noexcept {
  auto* self = static_cast<Driver*>(user_data);
  std::uint64_t generation = self->attaches_.load();
  try {
    if (add)
      self->post([generation](Driver& driver) {
        if (generation == driver.generation_) driver.arm_read();
      });
    else
      self->post([generation](Driver& driver) { driver.read_removed(generation); });
  } catch (...) {
    return NATS_NO_MEMORY;
  }
  return NATS_OK;
}

natsStatus Driver::on_write(void* user_data, bool add) noexcept {
  auto* self = static_cast<Driver*>(user_data);
  self->connection_->write_wanted = add;
  if (add && !WritingHere::active() && !self->flush_posted_.exchange(true)) {
    try {
      self->post([](Driver& driver) { driver.flush(); });
    } catch (...) {
      self->flush_posted_ = false;
      return NATS_NO_MEMORY;
    }
  }
  return NATS_OK;
}

natsStatus Driver::on_detach(void* user_data) noexcept {
  auto* self = static_cast<Driver*>(user_data);
  try {
    self->post([](Driver& driver) {
      driver.socket_.reset();
      driver.generation_ = 0;
    });
  } catch (...) {
    return NATS_NO_MEMORY;
  }
  return NATS_OK;
}

// ---- strand ----

void Driver::attached(std::uint64_t generation, int descriptor) {
  try {
    socket_.emplace(io_, descriptor);  // closes the previous generation's duplicate
  } catch (const std::exception& e) {
    ::close(descriptor);
    socket_.reset();
    cokka::detail::log(spdlog::level::err, "cokka::nats: cannot watch the NATS socket: {}", e.what());
    return;
  }
  generation_ = generation;
  read_armed_ = write_armed_ = false;
  arm_read();
  if (connection_->write_wanted) arm_write();
}

void Driver::read_removed(std::uint64_t generation) {
  if (generation != generation_) return;
  // libnats stops polling only when the connection dropped or closed, and closes its socket right after.
  socket_.reset();
  generation_ = 0;
  lost();
}

void Driver::lost() {
  link_->drain(io_);  // what arrived before the drop still counts
  link_->lost();
}

void Driver::arm_read() {
  if (read_armed_ || !socket_ || !running_) return;
  read_armed_ = true;
  socket_->async_wait(asio::posix::descriptor_base::wait_read,
                      asio::bind_executor(strand_, [self = shared_from_this(), generation = generation_](std::error_code error) {
                        if (generation != self->generation_) return;  // a wait of a socket we closed
                        self->read_armed_ = false;
                        if (self->stopped_ || error) return;
                        natsConnection_ProcessReadEvent(self->connection_->handle);
                        self->link_->drain(self->io_);
                        if (self->connection_->write_wanted) self->flush();
                        if (generation == self->generation_) self->arm_read();
                      }));
}

void Driver::arm_write() {
  if (write_armed_ || !socket_ || !running_) return;
  write_armed_ = true;
  socket_->async_wait(asio::posix::descriptor_base::wait_write,
                      asio::bind_executor(strand_, [self = shared_from_this(), generation = generation_](std::error_code error) {
                        if (generation != self->generation_) return;
                        self->write_armed_ = false;
                        if (self->stopped_ || error) return;
                        self->flush();
                      }));
}

void Driver::flush() {
  flush_posted_ = false;
  if (!running_ || !socket_) return;
  if (connection_->write()) arm_write();  // the socket took only part of it
}

// ---- timers ----

Timers::Id Driver::start(Clock::time_point when, std::function<void()> fire) {
  std::lock_guard lock(timers_mutex_);
  Id id = ++next_timer_;
  due_.emplace(std::pair(when, id), std::move(fire));
  deadlines_.emplace(id, when);
  if (when < armed_) {
    armed_ = when;
    post([](Driver& self) { self.arm_timer(); });
  }
  return id;
}

void Driver::cancel(Id id) noexcept {
  std::lock_guard lock(timers_mutex_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  due_.erase(std::pair(it->second, id));
  deadlines_.erase(it);
}

void Driver::arm_timer() {
  Clock::time_point next;
  {
    std::lock_guard lock(timers_mutex_);
    next = due_.empty() ? Clock::time_point::max() : due_.begin()->first.first;
    armed_ = next;
  }
  if (next == Clock::time_point::max()) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(next);  // cancels the wait for the previous expiry: its handler sees operation_aborted
  timer_.async_wait(asio::bind_executor(strand_, [self = shared_from_this()](std::error_code error) {
    if (error == asio::error::operation_aborted || self->stopped_) return;
    self->fire_timers();
  }));
}

void Driver::fire_timers() {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(timers_mutex_);
    const auto now = Clock::now();
    while (!due_.empty() && due_.begin()->first.first <= now) {
      auto node = due_.extract(due_.begin());
      deadlines_.erase(node.key().second);
      ready.push_back(std::move(node.mapped()));
    }
  }
  for (auto& fire : ready) fire();
  arm_timer();
}

}  // namespace cokka::nats::detail
