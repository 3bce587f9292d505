// The samples' `--live-view PORT` flag: with it, a sample opens cokka::LiveView (docs/live-view.md) on
// 127.0.0.1:PORT (0: a free port) and waits for Ctrl-C before it ends; without it, the sample runs as it always did.
#pragma once

#include <cokka/system.hpp>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#if COKKA_SAMPLE_LIVE_VIEW
#include <cokka/live_view.hpp>
#endif

namespace sample {

class LiveViewFlag {
public:
  /// Reads the command line. Exits the program with a usage line when it has anything but `--live-view PORT`, or
  /// when the flag is given to a build without cokka::live_view (it needs nlohmann-json3-dev).
  LiveViewFlag(int argc, char** argv) {
    for (int i = 1; i < argc; i += 2) {
      char* end = nullptr;
      const long port = i + 1 < argc ? std::strtol(argv[i + 1], &end, 10) : -1;
      if (std::string(argv[i]) != "--live-view" || !end || *end != '\0' || port < 0 || port > 65535) {
        std::cerr << "usage: " << argv[0] << " [--live-view PORT]\n";
        std::exit(2);
      }
      port_ = static_cast<std::uint16_t>(port);
    }
#if !COKKA_SAMPLE_LIVE_VIEW
    if (port_) {
      std::cerr << argv[0] << ": this build has no cokka::live_view (it needs nlohmann-json3-dev)\n";
      std::exit(2);
    }
#endif
  }

  /// True when the flag was given.
  explicit operator bool() const { return port_.has_value(); }

  /// With the flag, opens the view of `system` (on the System's io_context) and prints its address.
  void open([[maybe_unused]] cokka::System& system) {
#if COKKA_SAMPLE_LIVE_VIEW
    if (!port_) return;
    auto view = std::make_shared<cokka::LiveView>(system, cokka::LiveViewOptions{.port = *port_});
    std::cout << "live view: " << view->url() << std::endl;
    view_ = std::move(view);
#endif
  }

  /// Says so and waits on this thread for Ctrl-C (SIGINT) or SIGTERM, for a sample whose main thread has
  /// nothing else to do while the view is open.
  static void wait_for_ctrl_c() {
    asio::io_context signals;
    asio::signal_set interrupt(signals, SIGINT, SIGTERM);
    interrupt.async_wait([](const std::error_code&, int) {});
    std::cout << "Ctrl-C ends the program" << std::endl;
    signals.run();
  }

  /// Closes the view, if open.
  void close() { view_.reset(); }

private:
  std::optional<std::uint16_t> port_;
  std::shared_ptr<void> view_;  // a cokka::LiveView; void, so that a build without the component still links
};

}  // namespace sample
