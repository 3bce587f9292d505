// Heap allocations, counted and made to fail: this executable replaces the global operator new (so it is one
// executable of its own). Allocation counts are deterministic, so budgets here are real tests, not timings.
#include "support.hpp"

#include <cokka/cokka.hpp>

#include <asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>

using namespace std::chrono_literals;

namespace {

/// Allocations of exactly this many bytes fail while it is not 0 (any thread).
std::atomic<std::size_t> failing_size{0};

}  // namespace

// malloc and free behind new and delete: g++ -O1 cannot see that they pair up.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  if (size != 0 && size == failing_size.load(std::memory_order_relaxed)) throw std::bad_alloc();
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }

namespace {

/// A reply too large for a Message's inline storage, of a size nothing else allocates.
struct Large {
  std::array<char, 1337> bytes{};
};
static_assert(std::is_nothrow_move_constructible_v<Large>);

struct LargeReplier : cokka::Actor<LargeReplier> {
  asio::awaitable<Large> on_receive(cokka::Message&) { co_return Large{}; }
};

/// Fails allocations of `size` bytes while in scope.
class FailingAllocations {
public:
  explicit FailingAllocations(std::size_t size) noexcept { failing_size = size; }
  FailingAllocations(const FailingAllocations&) = delete;
  FailingAllocations& operator=(const FailingAllocations&) = delete;
  ~FailingAllocations() { failing_size = 0; }
};

}  // namespace

// Issue 24, finding 4: boxing a coroutine handler's reply ran inside co_spawn's completion handler, where a
// bad_alloc escaped io_context::run (std::terminate); a plain handler's same reply reached the asker.
TEST_CASE("a coroutine handler's large reply whose boxing runs out of memory fails the ask with bad_alloc") {
  cokka::System system(cokka::threads{2});
  auto actor = system.start<LargeReplier>();
  CHECK(actor.ask<Large>(0).get(5s).bytes.size() == 1337);
  {
    FailingAllocations failing(sizeof(Large));
    auto reply = actor.ask<Large>(0);
    CHECK_THROWS_AS(reply.get(5s), std::bad_alloc);
  }
  CHECK(actor.is_alive());
  CHECK(actor.ask<Large>(0).get(5s).bytes.size() == 1337);
}
