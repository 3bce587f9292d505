// replies: how an actor answers. The handler's return value is the reply; a handler with nothing to say
// still lets the asker know it has finished (ask<void>); an exception it throws travels to the asker; and
// an actor can stop itself, after the messages it sent itself first.
#include <cokka/cokka.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

struct Deposit {
  int amount;
};
struct Withdraw {
  int amount;
};
struct PrintStatement {};
struct Close {};

struct Account : cokka::Actor<Account> {
  // Messages of different types want different replies, so the handler returns the type-erased
  // cokka::Message: any value becomes the reply, and an empty Message is a "void" reply.
  cokka::Message on_receive(cokka::Message& msg) {
    if (const auto* deposit = msg.get_if<Deposit>()) {
      balance_ += deposit->amount;
      return balance_;  // ask<int> receives it
    }
    if (const auto* withdraw = msg.get_if<Withdraw>()) {
      // Throwing while handling an ask fails that asker's future; the account itself carries on.
      if (withdraw->amount > balance_)
        throw std::invalid_argument("cannot withdraw " + std::to_string(withdraw->amount) + " from a balance of " +
                                    std::to_string(balance_));
      balance_ -= withdraw->amount;
      return balance_;
    }
    if (msg.is<PrintStatement>()) {
      std::cout << "  account: statement, balance " << balance_ << '\n';
      return {};  // nothing to reply; an asker's get() still returns only after this line was printed
    }
    if (msg.is<Close>()) {
      self().tell(PrintStatement{});  // queued now, so it is handled...
      stop();                         // ...before this stop, which queues behind it
      return {};
    }
    throw std::invalid_argument("Account: unexpected message " + msg.type_name());
  }

  void on_stop() { std::cout << "  account: closed\n"; }

  int balance_ = 0;
};

int main() {
  cokka::System system;
  auto account = system.start<Account>();

  // 1. The return value is the reply.
  std::cout << "deposit 100 -> balance " << account.ask<int>(Deposit{100}).get() << '\n';

  // 2. A void reply carries no value, but get() waits until the handler has run.
  account.ask<void>(PrintStatement{}).get();
  std::cout << "the statement was printed before this line\n";

  // 3. The handler's exception reaches the asker with its type and text; the actor lives on.
  try {
    account.ask<int>(Withdraw{500}).get();
  } catch (const std::invalid_argument& e) {
    std::cout << "withdraw 500 failed: " << e.what() << '\n';
  }
  std::cout << "withdraw 30 -> balance " << account.ask<int>(Withdraw{30}).get() << '\n';

  // Asking for the wrong reply type fails too, with a message naming both types.
  try {
    account.ask<std::string>(Deposit{0}).get();
  } catch (const cokka::BadReplyType& e) {
    std::cout << "BadReplyType: " << e.what() << '\n';
  }

  // 4. The actor stops itself. The asker of Close gets its (void) reply at once; the statement the actor
  // told itself and its on_stop follow, and only then is a later message refused.
  account.ask<void>(Close{}).get();
  try {
    account.ask<int>(Deposit{1}).get();
  } catch (const cokka::ActorDeadError&) {
    std::cout << "deposit after Close: refused with cokka::ActorDeadError\n";
  }
}
