// Child processes for the tests (nats-server and the peer of the NATS tests, Chromium for the live view's), and
// free loopback ports.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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

  /// Everything it writes to its output until it closes it (it ends) or `limit` passes: what came until then.
  /// Reads the descriptor directly: do not mix with read_line.
  std::string read_all(std::chrono::milliseconds limit) {
    std::string all;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    const int fd = output_ ? ::fileno(output_) : -1;
    while (fd >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd ready{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) break;
      char block[4096];
      const auto size = ::read(fd, block, sizeof block);
      if (size <= 0) break;
      all.append(block, static_cast<std::size_t>(size));
    }
    return all;
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

}  // namespace test
