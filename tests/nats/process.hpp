// Child processes for the NATS tests: nats-server instances on free loopback ports, and the peer executable.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace test {

/// A loopback TCP port nobody listens on right now (the kernel picks it). Another process may take it before the
/// caller binds it: NatsServer retries with a new one.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("free_port: no loopback port");
  ::close(fd);
  return ntohs(address.sin_port);
}

/// True when something accepts TCP connections on 127.0.0.1:`port`.
inline bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

/// A child process, killed (SIGKILL) and reaped by its destructor unless it already ended. With `capture`, its
/// standard output is readable line by line; its standard error goes to the test's.
class Process {
public:
  explicit Process(std::vector<std::string> args, bool capture = false) {
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int out[2] = {-1, -1};
    if (capture) {
      if (::pipe(out) != 0) throw std::runtime_error("Process: pipe failed");
      posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
      posix_spawn_file_actions_addclose(&actions, out[0]);
    } else {
      posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    }
    int error = posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (capture) {
      ::close(out[1]);
      output_ = ::fdopen(out[0], "r");
    }
    if (error != 0) throw std::runtime_error("Process: cannot start " + args[0]);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    kill();
    if (output_) std::fclose(output_);
  }

  pid_t pid() const { return pid_; }

  /// The next line of its output without the newline; empty at the end of it.
  std::string read_line() {
    char line[512];
    if (!output_ || !std::fgets(line, sizeof line, output_)) return {};
    std::string text(line);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }

  /// True while it runs.
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid_ = -1;
    }
    return pid_ > 0;
  }

  /// Waits up to `limit` for it to end by itself; its exit status (128 + signal), or -1 when it still runs.
  int wait(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return running() ? -1 : exit_status_;
  }

  /// SIGKILL and reap (no-op when it already ended).
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

private:
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::FILE* output_ = nullptr;
};

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
