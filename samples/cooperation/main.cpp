// cooperation: two actors that work through each other (Pykka's Adder and Bookkeeper, with each actor
// playing both parts in turn). Inside a coroutine method an actor co_awaits the other's reply: while it
// waits, its thread is free to run the other actor, so this works even on a single thread.
#include <cokka/cokka.hpp>
#include <cokka/proxy.hpp>

#include <asio/awaitable.hpp>
#include <asio/use_awaitable.hpp>

#include <iostream>
#include <string>

struct Peer : cokka::Actor<Peer> {
  explicit Peer(std::string name) : name(std::move(name)) {}

  int add_one(int i) {
    std::cout << "  " << name << " is increasing " << i << '\n';
    return i + 1;
  }

  // Counts from `from` up to `target`, leaving every addition to the partner. Defined after COKKA_REFLECT,
  // which it needs to call the partner through a proxy.
  asio::awaitable<int> count_to(int from, int target);

  std::string name;
  // The partner is kept as a ref: a Proxy<Peer> cannot be a member of Peer, which is not complete yet here.
  // Making a proxy from a ref is cheap and runs nothing on the actor.
  cokka::ActorRef<Peer> partner;
};
COKKA_REFLECT(Peer, methods(add_one, count_to), fields(partner));

asio::awaitable<int> Peer::count_to(int from, int target) {
  auto adder = partner.proxy();
  int i = from;
  while (i < target) {
    // Name the future first, then co_await it: g++ 12 destroys some temporaries written inside a co_await
    // expression twice (see the Asio field notes), and a named step reads better anyway.
    auto reply = adder.add_one(i);
    i = co_await reply.async_wait(asio::use_awaitable);  // the thread is released until the reply arrives
    std::cout << "  " << name << " got " << i << " back\n";
  }
  co_return i;
}

int main() {
  // One thread for both actors: a blocking get() inside count_to could never see its reply (cokka refuses
  // it with BlockingCallInActor), while co_await lets the partner run on that same thread meanwhile.
  cokka::System system(cokka::threads{1});
  auto alice_ref = system.start<Peer>("alice");
  auto bob_ref = system.start<Peer>("bob");
  auto alice = alice_ref.proxy();
  auto bob = bob_ref.proxy();
  alice.partner.set(bob_ref).get();
  bob.partner.set(alice_ref).get();

  // One after the other, never both at once: an actor inside count_to takes no other message until the
  // method returns, so if each were counting and waiting for the other's add_one, both would wait forever.
  // samples/deadlock shows that trap and how to find it.
  std::cout << "alice counts to 3, bob adds:\n";
  int n = alice.count_to(0, 3).get();
  std::cout << "bob counts on to 6, alice adds:\n";
  n = bob.count_to(n, 6).get();
  std::cout << "reached " << n << " together\n";
}
