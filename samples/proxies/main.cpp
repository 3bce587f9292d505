// proxies: use an actor like a local object. Methods return futures, fields are read and written through
// the proxy, a nested object is reached through a traversable member, and everything still runs one
// message at a time on the actor's strand.
#include <cokka/cokka.hpp>
#include <cokka/proxy.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

// A plain object inside the actor, with its own registration.
struct Playback {
  std::vector<std::string> played;
  std::string play(const std::string& song) {
    played.push_back(song);
    return "playing " + song;
  }
};
COKKA_REFLECT(Playback, methods(play), fields(played));

struct Calculator : cokka::Actor<Calculator> {
  int add(int a, std::optional<int> b = {}) {  // add(a, b), or add a to the last result
    last_result = b ? a + *b : last_result.value_or(0) + a;
    return *last_result;
  }
  int sub(int a) {
    last_result = last_result.value_or(0) - a;
    return *last_result;
  }

  std::optional<int> last_result;
  Playback playback;
};
//! [reflect]
COKKA_REFLECT(Calculator, methods(add, sub), fields(last_result), traversable(playback));
//! [reflect]

int main() {
  cokka::System system;
  auto calc = system.start<Calculator>().proxy();  // cokka::Proxy<Calculator>

  std::cout << "add(1, 3) = " << calc.add(1, 3).get() << '\n';  // Future<int>
  calc.last_result.set(0).get();                                // a field write, done once applied

  calc.sub(5);  // not waited for: calls through one proxy are handled in the order made,
  calc.add(3);  // so the read below sees both
  std::cout << "ordered without get: " << calc.last_result().get().value() << '\n';

  calc.last_result.set(17).get();
  std::cout << "after last_result.set(17), add(1) = " << calc.add(1).get() << '\n';

  std::cout << calc.playback.play("Blue Monday").get() << '\n';  // runs on the calculator's strand
  calc.playback.play.defer("Heroes");                              // a tell: no future to wait for
  std::cout << "played:";
  for (const auto& song : calc.playback.played().get()) std::cout << " [" << song << ']';
  std::cout << '\n';

  std::cout << "registered members of " << cokka::reflect<Calculator>.type_name << ":";
  for (const cokka::MemberInfo& member : cokka::reflect<Calculator>)
    std::cout << ' ' << member.name << " (" << to_string(member.kind) << ')';
  std::cout << '\n';
}
