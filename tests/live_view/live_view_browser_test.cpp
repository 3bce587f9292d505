// The live view's page in a real browser: headless Chromium loads the page of a running System with a deadlock
// and the test reads the rendered DOM (the actors, the cycle drawn and listed in red, the panels without data
// hidden); a second page, from a source with metrics and dead letters, shows those panels. Each run saves a
// screenshot under the build tree (tests/live_view/live-view.png, the one docs/live-view.md shows, and
// live-view-metrics.png).
#include "../process.hpp"
#include "support.hpp"

#include <cokka/cokka.hpp>
#include <cokka/live_view.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Rendered {
  std::string dom;
  int exit_status = -1;
};

/// Loads `url` in a fresh headless Chromium profile and returns the DOM once the page has loaded (the page renders
/// its first data while it loads). With `virtual_time`, scripts run that much (virtual) time more, refreshes
/// included. A screenshot goes to `screenshot` unless it is empty.
Rendered render(const std::string& url, const std::string& screenshot = {}, std::chrono::milliseconds virtual_time = {}) {
  std::string profile = (std::filesystem::temp_directory_path() / "cokka-chromium-XXXXXX").string();
  REQUIRE(::mkdtemp(profile.data()) != nullptr);
  std::vector<std::string> args{COKKA_CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                                "--disable-sync", "--log-level=3", "--user-data-dir=" + profile,
                                "--window-size=1280,900", "--dump-dom"};
  if (!screenshot.empty()) args.push_back("--screenshot=" + screenshot);
  if (virtual_time.count() > 0) args.push_back("--virtual-time-budget=" + std::to_string(virtual_time.count()));
  args.push_back(url);
  Rendered rendered;
  {
    test::Process chromium(args, true);
    rendered.dom = chromium.read_all(100s);  // a cold start on a busy 2-core machine can take a while
    rendered.exit_status = chromium.wait(20s);
  }
  std::filesystem::remove_all(profile);
  return rendered;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t found = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++found;
  return found;
}

}  // namespace

TEST_CASE("live view in Chromium: the actors of a deadlocked program, the cycle drawn and listed in red") {
  cokka::System system(cokka::threads{2});
  test::start_deadlock(system);
  cokka::LiveView view(system);
  const std::string screenshot = COKKA_SCREENSHOT_DIR "/live-view.png";
  std::filesystem::remove(screenshot);
  const auto page = render(view.url(), screenshot);
  CAPTURE(page.dom);
  REQUIRE(page.exit_status == 0);
  // The table: Alice and Bob in the cycle, Carol and the two workers not.
  CHECK(count(page.dom, "<tr class=\"actor in-cycle\"") == 2);
  CHECK(count(page.dom, "<tr class=\"actor\"") == 3);
  for (const char* type : {"Alice", "Bob", "Carol", "Worker"}) {
    CAPTURE(type);
    CHECK(page.dom.find("<td class=\"type\" title=\"test::" + std::string(type) + "\">" + type + "</td>") != std::string::npos);
  }
  CHECK(count(page.dom, "<span class=\"state awaiting\">awaiting</span>") == 3);
  CHECK(page.dom.find("<td class=\"awaiting\">room in Alice (") != std::string::npos);  // Bob's wait
  // The graph: two red arrows between the two red nodes, and Carol's ordinary arrow to Alice.
  CHECK(count(page.dom, "<g class=\"node awaiting in-cycle\"") == 2);
  CHECK(count(page.dom, "<g class=\"node awaiting\"") == 1);
  CHECK(count(page.dom, "class=\"edge in-cycle\"") == 2);
  CHECK(count(page.dom, "class=\"edge\"") == 1);
  // The cycle listed by name, back to where it started.
  const std::regex cycle("<li class=\"cycle\">Alice \\([0-9a-f]{8}\\) \xe2\x86\x92 Bob \\([0-9a-f]{8}\\) \xe2\x86\x92 Alice");
  CHECK(std::regex_search(page.dom, cycle));
  CHECK(page.dom.find("id=\"no-cycles\" hidden") != std::string::npos);
  CHECK(page.dom.find(">5 actors \xc2\xb7 3 awaiting \xc2\xb7 1 cycle<") != std::string::npos);
  // The System's metrics are off and it has no dead letters: both panels stay hidden.
  CHECK(page.dom.find("id=\"metrics-panel\" hidden") != std::string::npos);
  CHECK(page.dom.find("id=\"dead-letters-panel\" hidden") != std::string::npos);
  REQUIRE(std::filesystem::exists(screenshot));
  CHECK(std::filesystem::file_size(screenshot) > 10'000);
}

TEST_CASE("live view in Chromium: the metrics and dead-letter panels show what the source has") {
  cokka::System system(cokka::threads{2});
  auto server = cokka::detail::live_view::serve(system.context(), {asio::ip::address_v4::loopback(), 0}, {},
                                                std::make_shared<test::SourceWithMetrics>(system), {.refresh = 200ms});
  // A few refreshes in virtual time, so that the sparklines have more than one point.
  const std::string screenshot = COKKA_SCREENSHOT_DIR "/live-view-metrics.png";
  const auto url = "http://127.0.0.1:" + std::to_string(server->local_endpoint().port()) + "/";
  const auto page = render(url, screenshot, 2000ms);
  server->close();
  CAPTURE(page.dom);
  REQUIRE(page.exit_status == 0);
  CHECK(page.dom.find("id=\"metrics-panel\" hidden") == std::string::npos);
  CHECK(count(page.dom, "<tr class=\"metric\"") == 2);
  CHECK(count(page.dom, "<svg class=\"sparkline throughput\"") == 2);
  CHECK(count(page.dom, "<svg class=\"sparkline depth\"") == 2);
  CHECK(page.dom.find("id=\"dead-letters-panel\" hidden") == std::string::npos);
  CHECK(count(page.dom, "<tr class=\"dead-letter\"") == 2);
  CHECK(page.dom.find("(2 in all)") != std::string::npos);
}
