// COKKA_REFLECT and cokka::reflect<T>: registration in any namespace, all section shapes, names and kinds.
#include <cokka/cokka.hpp>
#include <cokka/reflect.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct GlobalThing {
  int x = 0;
  void poke() {}
};
COKKA_REFLECT(GlobalThing, fields(x), methods(poke));  // global namespace, sections in any order

namespace outer::inner {

struct Player {
  void play() {}
  void play(int) {}  // overloads register under one name
  template <class T>
  void seek(T) {}
  bool playing = false;
};
COKKA_REFLECT(Player, methods(play, seek), fields(playing));

struct Jukebox {
  Player player;
  std::vector<int> queue;
  int volume = 3;
  void next() {}
};
COKKA_REFLECT(Jukebox, methods(next), fields(queue, volume), traversable(player));

struct NothingRegistered {};
COKKA_REFLECT(NothingRegistered);

struct EmptySections {
  void f() {}
};
COKKA_REFLECT(EmptySections, methods(), fields(), traversable());

struct Many {
  void m01() {}
  void m02() {}
  void m03() {}
  void m04() {}
  void m05() {}
  void m06() {}
  void m07() {}
  void m08() {}
  void m09() {}
  void m10() {}
  void m11() {}
  void m12() {}
  void m13() {}
  void m14() {}
  void m15() {}
  void m16() {}
  void m17() {}
  void m18() {}
  void m19() {}
  void m20() {}
  int f1 = 0, f2 = 0, f3 = 0;
};
COKKA_REFLECT(Many, methods(m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, m11, m12, m13, m14, m15, m16, m17,
                            m18, m19, m20),
              fields(f1, f2), fields(f3));  // a section may repeat

struct DerivedJukebox : Jukebox {};  // no registration of its own: uses Jukebox's

struct Unregistered {};

}  // namespace outer::inner

namespace ri = outer::inner;
using cokka::MemberInfo;
using cokka::MemberKind;

// Compile time.
static_assert(cokka::Reflected<ri::Jukebox>);
static_assert(cokka::Reflected<ri::DerivedJukebox>);
static_assert(!cokka::Reflected<ri::Unregistered>);
static_assert(!cokka::Reflected<int>);
static_assert(!cokka::Reflected<std::string>);
static_assert(cokka::reflect<ri::Jukebox>.size() == 4);
static_assert(cokka::reflect<ri::Jukebox>.type_name == "Jukebox");
static_assert(cokka::reflect<ri::Jukebox>[0] == MemberInfo{"next", MemberKind::method});
static_assert(cokka::reflect<ri::Jukebox>[3] == MemberInfo{"player", MemberKind::traversable});
static_assert(cokka::reflect<ri::Jukebox>.find("volume")->kind == MemberKind::field);
static_assert(cokka::reflect<ri::Jukebox>.find("missing") == nullptr);
static_assert(cokka::reflect<ri::NothingRegistered>.size() == 0);
static_assert(cokka::reflect<ri::Many>.size() == 23);
static_assert(cokka::reflect<ri::Many>[19].name == "m20");
static_assert(cokka::reflect<ri::Many>[22] == MemberInfo{"f3", MemberKind::field});
static_assert(to_string(MemberKind::traversable) == "traversable");

TEST_SUITE("reflect") {
  TEST_CASE("names and kinds, in the order written") {
    std::vector<std::string> listed;
    for (const MemberInfo& member : cokka::reflect<ri::Jukebox>)
      listed.push_back(std::string(member.name) + ":" + std::string(to_string(member.kind)));
    CHECK(listed == std::vector<std::string>{"next:method", "queue:field", "volume:field", "player:traversable"});
  }

  TEST_CASE("sections in any order, overloads and templates under one name") {
    const auto& global = cokka::reflect<GlobalThing>;
    REQUIRE(global.size() == 2);
    CHECK(global[0] == MemberInfo{"x", MemberKind::field});
    CHECK(global[1] == MemberInfo{"poke", MemberKind::method});
    CHECK(global.type_name == "GlobalThing");

    const auto& player = cokka::reflect<ri::Player>;
    REQUIRE(player.size() == 3);
    CHECK(player[1] == MemberInfo{"seek", MemberKind::method});
  }

  TEST_CASE("empty and omitted sections") {
    CHECK(cokka::reflect<ri::NothingRegistered>.size() == 0);
    CHECK(cokka::reflect<ri::EmptySections>.size() == 0);
    CHECK(cokka::reflect<ri::EmptySections>.begin() == cokka::reflect<ri::EmptySections>.end());
  }

  TEST_CASE("a subclass without its own registration reports its base's") {
    CHECK(cokka::reflect<ri::DerivedJukebox>.type_name == "Jukebox");
    CHECK(cokka::reflect<ri::DerivedJukebox>.size() == 4);
  }
}

namespace {
// A registration inside an anonymous namespace must compile warning-free (-Werror) on g++ and clang.
struct HiddenCounter : cokka::Actor<HiddenCounter> {
  int bump(int by) { return total_ += by; }
  int total_ = 0;
};
COKKA_REFLECT(HiddenCounter, methods(bump));
}  // namespace

TEST_CASE("COKKA_REFLECT works inside an anonymous namespace") {
  static_assert(cokka::reflect<HiddenCounter>.size() == 1);
  cokka::System system(cokka::threads{1});
  auto counter = system.start<HiddenCounter>().proxy();
  counter.bump(2).get();
  CHECK(counter.bump(3).get() == 5);
}
