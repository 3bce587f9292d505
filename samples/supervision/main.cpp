// supervision: a flaky worker (one job in ten throws) restarts under a RestartPolicy instead of dying; a watcher
// is told once the worker has ended for good; the client sees every request answered or failed, none lost.
#include <cokka/cokka.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

struct Job {
  int n;
};
struct Poison {};

struct Worker : cokka::Actor<Worker> {
  explicit Worker(std::string greeting) : greeting_(std::move(greeting)) {}  // copied again for each restart

  void on_start() { std::cout << "worker: started\n"; }
  void on_failure(std::exception_ptr) { std::cout << "worker: failed after " << done_ << " jobs\n"; }

  std::string on_receive(cokka::Message& msg) {
    if (msg.is<Poison>()) throw std::runtime_error("poisoned");
    const int n = msg.as<Job>().n;
    if (n % 10 == 7) throw std::runtime_error("job " + std::to_string(n) + " is cursed");
    ++done_;  // state of this incarnation only: a restart begins at 0 again
    return greeting_ + " #" + std::to_string(n);
  }

  std::string greeting_;
  int done_ = 0;
};

struct Watcher : cokka::Actor<Watcher> {
  void on_receive(cokka::Message& msg) {
    if (auto* worker = msg.get_if<cokka::ActorRef<Worker>>()) return watch(*worker);
    if (auto* ended = msg.get_if<cokka::Terminated>()) {
      try {
        if (ended->failure) std::rethrow_exception(ended->failure);
        std::cout << "watcher: worker stopped cleanly\n";
      } catch (const std::exception& e) {
        std::cout << "watcher: worker ended for good: " << e.what() << '\n';
      }
    }
  }
};

int main() {
  cokka::System system;
  // An ask's failure normally fails only that ask (Pykka's rule); restart_on_ask_failure restarts the worker too.
  auto worker = system.start<Worker>(
      cokka::ActorOptions{.name = "worker",
                          .restart = cokka::RestartPolicy{.max_restarts = 5, .within = 10s, .backoff_min = 1ms,
                                                          .backoff_max = 100ms, .restart_on_ask_failure = true}},
      std::string("done"));
  auto watcher = system.start<Watcher>();
  watcher.ask<void>(worker).get();  // the watch is in place

  int answered = 0, failed = 0;
  for (int n = 0; n < 30; ++n) {
    try {
      worker.ask<std::string>(Job{n}).get(5s);
      ++answered;
    } catch (const std::runtime_error& e) {
      std::cout << "client: job " << n << " failed: " << e.what() << '\n';
      ++failed;
    }
  }
  std::cout << "client: " << answered << " answered, " << failed << " failed, " << 30 - answered - failed
            << " lost\n";

  // Three restarts so far; the policy allows five within 10 s, so the third poison ends the worker for good.
  for (int i = 0; i < 3; ++i) worker.tell(Poison{});
  worker.wait_stopped(5s);
  watcher.ask<void>(0).get();  // the Terminated was handled before this
  std::cout << "registry still knows the name: " << std::boolalpha
            << system.registry().get_by_name("worker").has_value() << '\n';
}
