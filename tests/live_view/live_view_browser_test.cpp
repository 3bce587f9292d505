// The live view's page in a real browser: headless Chromium loads the page of the deadlock sample, which keeps a
// stall up with `--live-view 0`, and the test reads the rendered DOM (the actors, the cycle drawn and listed in
// red, the panels without data hidden); a second page, from a source with metrics and dead letters, shows those
// panels. Each run saves a
// screenshot under the build tree (tests/live_view/live-view.png, the one docs/live-view.md shows, and
// live-view-metrics.png).
#include "../process.hpp"
#include "support.hpp"

#include <cokka/cokka.hpp>
#include <cokka/live_view.hpp>

#include <doctest/doctest.h>

#include <csignal>
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

TEST_CASE("live view in Chromium: the deadlock sample's stall, its cycle drawn and listed in red") {
  // samples/deadlock --live-view 0: Carol (a one-message mailbox) awaits Dave's reply while Dave waits for room
  // in her mailbox; Alice and Bob, whose ask cycle failed with AskCycle, are idle.
  test::Process sample({COKKA_DEADLOCK_SAMPLE, "--live-view", "0"}, true);
  std::string url;
  for (std::string line = sample.read_line(); !line.empty() && line.find("Ctrl-C") == std::string::npos;
       line = sample.read_line())
    if (line.rfind("live view: ", 0) == 0) url = line.substr(std::string("live view: ").size());
  REQUIRE_MESSAGE(url.rfind("http://127.0.0.1:", 0) == 0, "the sample printed no 'live view: URL' line");
  const std::string screenshot = COKKA_SCREENSHOT_DIR "/live-view.png";
  std::filesystem::remove(screenshot);
  const auto page = render(url, screenshot);
  ::kill(sample.pid(), SIGINT);
  CHECK(sample.wait(20s) == 0);  // Ctrl-C ends it cleanly, stall and all
  CAPTURE(page.dom);
  REQUIRE(page.exit_status == 0);
  // The table: Carol and Dave in the cycle, Alice and Bob not.
  CHECK(count(page.dom, "<tr class=\"actor in-cycle\"") == 2);
  CHECK(count(page.dom, "<tr class=\"actor\"") == 2);
  for (const std::string type : {"Alice", "Bob", "Carol", "Dave"}) {
    CAPTURE(type);
    CHECK(page.dom.find("<td class=\"type\" title=\"" + type + "\">" + type + "</td>") != std::string::npos);
  }
  CHECK(count(page.dom, "<span class=\"state awaiting\">awaiting</span>") == 2);
  CHECK(page.dom.find("<td class=\"awaiting\">room in Carol (") != std::string::npos);  // Dave's wait
  // The graph: two red arrows between the two red nodes, nothing else.
  CHECK(count(page.dom, "<g class=\"node awaiting in-cycle\"") == 2);
  CHECK(count(page.dom, "class=\"edge in-cycle\"") == 2);
  CHECK(count(page.dom, "class=\"edge\"") == 0);
  // The cycle listed by name, back to where it started.
  const std::regex cycle("<li class=\"cycle\">(Carol|Dave) \\([0-9a-f]{8}\\) \xe2\x86\x92 (Carol|Dave) \\([0-9a-f]{8}\\) "
                         "\xe2\x86\x92 (Carol|Dave) ");
  std::smatch listed;
  REQUIRE(std::regex_search(page.dom, listed, cycle));
  CHECK(listed[1] != listed[2]);
  CHECK(listed[3] == listed[1]);
  CHECK(page.dom.find("id=\"no-cycles\" hidden") != std::string::npos);
  CHECK(page.dom.find(">4 actors \xc2\xb7 2 awaiting \xc2\xb7 1 cycle<") != std::string::npos);
  // The sample's System has its metrics off and no dead letters: both panels stay hidden.
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
