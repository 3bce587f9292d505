// COKKA_MESSAGE and the wire envelopes (design.md 18): round trips of every supported field type, decode
// errors that name the field, the registry, and a fuzzed decoder that never crashes. No server needed.
#include "../log_capture.hpp"
#include "envelope.hpp"

#include <cokka/nats.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace codec {

enum class Color : std::uint8_t { red, green, blue };
enum Plain : int { zero, one, two };  // an unscoped enum needs a fixed underlying type

struct Point {
  double x = 0;
  double y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};
COKKA_MESSAGE(Point, "codec.Point/1", x, y);

struct Everything {
  bool flag = false;
  std::int8_t i8 = 0;
  std::int16_t i16 = 0;
  std::int32_t i32 = 0;
  std::int64_t i64 = 0;
  std::uint8_t u8 = 0;
  std::uint16_t u16 = 0;
  std::uint32_t u32 = 0;
  std::uint64_t u64 = 0;
  float f32 = 0;
  double f64 = 0;
  char letter = 0;
  std::string text;
  Color color = Color::red;
  Plain plain = zero;
  std::vector<int> numbers;
  std::vector<std::string> words;
  std::vector<std::byte> bytes;
  std::array<int, 3> triple{};
  std::set<std::string> tags;
  std::optional<int> maybe;
  std::optional<std::string> nothing;
  std::map<std::string, int> counts;
  std::unordered_map<int, std::vector<Point>> paths;
  std::pair<std::string, double> entry;
  std::chrono::milliseconds delay{0};
  Point origin;
  std::vector<Point> points;
  std::optional<Point> target;
  friend bool operator==(const Everything&, const Everything&) = default;
};
COKKA_MESSAGE(Everything, "codec.Everything/1", flag, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, letter, text,
              color, plain, numbers, words, bytes, triple, tags, maybe, nothing, counts, paths, entry, delay, origin,
              points, target);

struct Empty {
  friend bool operator==(const Empty&, const Empty&) = default;
};
COKKA_MESSAGE(Empty, "codec.Empty/1");

struct Small {
  std::uint8_t level = 0;
  std::string name;
};
COKKA_MESSAGE(Small, "codec.Small/1", level, name);

struct Unregistered {
  int x = 0;
};

Everything full() {
  Everything e;
  e.flag = true;
  e.i8 = std::numeric_limits<std::int8_t>::min();
  e.i16 = -12345;
  e.i32 = std::numeric_limits<std::int32_t>::max();
  e.i64 = std::numeric_limits<std::int64_t>::min();
  e.u8 = 255;
  e.u16 = 65535;
  e.u32 = 4000000000u;
  e.u64 = std::numeric_limits<std::uint64_t>::max();
  e.f32 = 1.5f;
  e.f64 = -2.25e300;
  e.letter = 'z';
  e.text = std::string("with a \0 inside", 15);
  e.color = Color::blue;
  e.plain = two;
  e.numbers = {1, -2, 3};
  e.words = {"a", "", "ccc"};
  e.bytes = {std::byte{0}, std::byte{0xff}};
  e.triple = {7, 8, 9};
  e.tags = {"x", "y"};
  e.maybe = 42;
  e.counts = {{"one", 1}, {"two", 2}};
  e.paths = {{1, {{0, 0}, {1, 1}}}, {2, {}}};
  e.entry = {"pi", 3.14};
  e.delay = std::chrono::milliseconds(1500);
  e.origin = {1, 2};
  e.points = {{3, 4}, {5, 6}};
  e.target = Point{7, 8};
  return e;
}

/// Encodes `value` as a request, then decodes it as the receiver does: parse, read the envelope, look the name up.
template <class T>
cokka::Message round_trip(const T& value) {
  cokka::nats::detail::Buffer buffer;
  cokka::nats::detail::encode_request(buffer, value);
  auto handle = cokka::nats::detail::parse(buffer.data(), buffer.size());
  auto request = cokka::nats::detail::read_request(handle.get());
  const auto* codec = cokka::nats::detail::find_codec(request.name);
  REQUIRE(codec != nullptr);
  return codec->decode(*request.body);
}

}  // namespace codec

using namespace codec;

TEST_CASE("every supported field type survives a round trip, nested messages and enums included") {
  Everything sent = full();
  cokka::Message received = round_trip(sent);
  REQUIRE(received.is<Everything>());
  CHECK(received.as<Everything>() == sent);
  CHECK(round_trip(Everything{}).as<Everything>() == Everything{});
  CHECK(round_trip(Empty{}).is<Empty>());
}

TEST_CASE("scalars and strings travel as top-level messages under their built-in names") {
  using cokka::nats::detail::wire_name;
  CHECK(wire_name<std::string>() == "string");
  CHECK(wire_name<bool>() == "bool");
  CHECK(wire_name<int>() == "i32");
  CHECK(wire_name<std::int64_t>() == "i64");
  CHECK(wire_name<std::uint16_t>() == "u16");
  CHECK(wire_name<double>() == "f64");
  CHECK(wire_name<Point>() == "codec.Point/1");
  CHECK(round_trip(std::string("hello")).as<std::string>() == "hello");
  CHECK(round_trip(-7).as<int>() == -7);
  CHECK(round_trip(true).as<bool>());
  CHECK(round_trip(2.5).as<double>() == 2.5);
  // long long is int64 on the wire, and decodes as the registered i64 type.
  CHECK(round_trip(static_cast<long long>(-9)).as<std::int64_t>() == -9);
  // A type-erased Message travels through the registry.
  CHECK(round_trip(cokka::Message(Point{1, 2})).as<Point>() == Point{1, 2});
}

TEST_CASE("a Message of an unregistered type fails at the sender with a sentence naming the fix") {
  cokka::nats::detail::Buffer buffer;
  try {
    cokka::nats::detail::encode_request(buffer, cokka::Message(Unregistered{}));
    FAIL("no exception");
  } catch (const cokka::InvalidState& e) {
    std::string what = e.what();
    CHECK(what.find("codec::Unregistered") != std::string::npos);
    CHECK(what.find("COKKA_MESSAGE") != std::string::npos);
  }
  CHECK_FALSE(cokka::nats::WireMessage<Unregistered>);
  CHECK(cokka::nats::WireMessage<Point>);
  CHECK(cokka::nats::WireMessage<std::string>);
  CHECK_FALSE(cokka::nats::WireMessage<std::vector<int>>);  // containers travel inside a COKKA_MESSAGE
}

TEST_CASE("decode errors say what was expected and in which field") {
  using namespace cokka::nats::detail;
  auto decode_small = [](auto&& write) {
    Buffer buffer;
    Packer packer(buffer);
    write(packer);
    auto handle = parse(buffer.data(), buffer.size());
    Small small;
    unpack(handle.get(), small);
    return small;
  };
  CHECK(decode_small([](Packer& p) {
          p.pack_array(2);
          p.pack_uint64(7);
          p.pack_str(2);
          p.pack_str_body("ab", 2);
        }).level == 7);
  auto error_of = [&](auto&& write) -> std::string {
    try {
      decode_small(write);
    } catch (const DecodeError& e) {
      return e.what();
    }
    return "no error";
  };
  std::string too_big = error_of([](Packer& p) {
    p.pack_array(2);
    p.pack_uint64(300);
    p.pack_str(0);
    p.pack_str_body("", 0);
  });
  CHECK(too_big.find("fits") != std::string::npos);
  CHECK(too_big.find("field level of codec.Small/1") != std::string::npos);
  std::string negative = error_of([](Packer& p) {
    p.pack_array(2);
    p.pack_int64(-1);
    p.pack_str(0);
    p.pack_str_body("", 0);
  });
  CHECK(negative.find("non-negative") != std::string::npos);
  std::string wrong_type = error_of([](Packer& p) {
    p.pack_array(2);
    p.pack_uint64(1);
    p.pack_uint64(2);
  });
  CHECK(wrong_type.find("expected a string, found an integer (field name") != std::string::npos);
  std::string count = error_of([](Packer& p) {
    p.pack_array(1);
    p.pack_uint64(1);
  });
  CHECK(count.find("codec.Small/1 has 2 fields, the message has 1") != std::string::npos);
  CHECK(error_of([](Packer& p) { p.pack_map(0); }).find("expected an array of fields, found a map") != std::string::npos);
}

TEST_CASE("a second type under a registered name is logged as an error and ignored") {
  test::LogCapture log;
  auto impostor = cokka::nats::detail::codec_for<Small>();
  impostor.name = "codec.Point/1";
  CHECK_FALSE(cokka::nats::detail::register_codec(impostor));
  CHECK(log.count(spdlog::level::err, "\"codec.Point/1\" is already registered for codec::Point") == 1);
  CHECK(*cokka::nats::detail::find_codec("codec.Point/1")->type == typeid(Point));
  CHECK(cokka::nats::detail::register_codec(cokka::nats::detail::codec_for<Point>()));  // the same again: fine
}

namespace {

/// Every way the receiver reads bytes, each allowed to fail only with DecodeError (or a reply sink's failure).
struct Sink final : cokka::nats::detail::ReplySink {
  int calls = 0;
  void value(std::string_view, const cokka::nats::detail::Object&) noexcept override { ++calls; }
  void empty() noexcept override { ++calls; }
  void fail(std::exception_ptr) noexcept override { ++calls; }
};

void read_everything(const std::vector<char>& bytes) {
  using namespace cokka::nats::detail;
  Sink sink;
  deliver_reply(bytes.data(), bytes.size(), sink);
  REQUIRE(sink.calls == 1);
  try {
    auto handle = parse(bytes.data(), bytes.size());
    auto request = read_request(handle.get());
    if (const Codec* codec = find_codec(request.name)) codec->decode(*request.body);
    Everything everything;
    unpack(*request.body, everything);
  } catch (const DecodeError&) {
  }
}

}  // namespace

TEST_CASE("the decoder survives random bytes and mutated messages: DecodeError, never a crash") {
  std::mt19937 random(20261205);
  std::vector<char> valid;
  {
    cokka::nats::detail::Buffer buffer;
    cokka::nats::detail::encode_request(buffer, full());
    valid.assign(buffer.data(), buffer.data() + buffer.size());
  }
  auto byte = [&] { return static_cast<char>(random() & 0xff); };
  for (int round = 0; round < 20000; ++round) {
    std::vector<char> bytes;
    switch (round % 4) {
      case 0:  // pure noise
        bytes.resize(random() % 64);
        for (auto& b : bytes) b = byte();
        break;
      case 1:  // a valid message with a few bytes changed
        bytes = valid;
        for (int i = 0; i < 3; ++i) bytes[random() % bytes.size()] = byte();
        break;
      case 2:  // a valid message cut short
        bytes.assign(valid.begin(), valid.begin() + static_cast<long>(random() % valid.size()));
        break;
      default:  // huge announced sizes: array32, map32, str32, bin32 headers with a few bytes after
        bytes = {static_cast<char>("\xdd\xdf\xdb\xc6"[random() % 4]), '\xff', '\xff', '\xff', '\xff', byte(), byte()};
        break;
    }
    read_everything(bytes);
  }
}
