// nats-server instances on free loopback ports for the NATS tests.
#pragma once

#include "../process.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace test {

/// A nats-server on 127.0.0.1, killed (by its PID) at the end. Optionally a cluster member: `routes` are the
/// cluster ports of the other members.
class NatsServer {
public:
  explicit NatsServer(int cluster_port = 0, std::vector<int> routes = {})
      : cluster_port_(cluster_port), routes_(std::move(routes)) {
    for (int attempt = 0; attempt < 5 && !process_; ++attempt) {
      port_ = free_port();
      start();
    }
    if (!process_) throw std::runtime_error("NatsServer: nats-server did not start (is it installed?)");
  }

  int port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return process_ ? process_->pid() : -1; }

  /// Kills it now (SIGKILL: clients see their connection drop).
  void kill() { process_.reset(); }

  /// Starts it again on the same port; false when it does not accept connections within 10 s.
  bool start() {
    std::vector<std::string> args{"nats-server", "-a", "127.0.0.1", "-p", std::to_string(port_)};
    if (cluster_port_) {
      args.insert(args.end(), {"--cluster_name", "cokka-test", "--cluster",
                               "nats://127.0.0.1:" + std::to_string(cluster_port_)});
      std::string routes;
      for (int route : routes_) routes += (routes.empty() ? "" : ",") + ("nats://127.0.0.1:" + std::to_string(route));
      if (!routes.empty()) args.insert(args.end(), {"--routes", routes});
    }
    process_ = std::make_unique<Process>(args);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!process_->running()) break;  // the port was taken meanwhile
      if (accepts(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    process_.reset();
    return false;
  }

private:
  int port_ = 0;
  int cluster_port_;
  std::vector<int> routes_;
  std::unique_ptr<Process> process_;
};

}  // namespace test
