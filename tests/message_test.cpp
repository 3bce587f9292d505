#include <cokka/message.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

TEST_CASE("a message holds a value of any movable type") {
  cokka::Message msg(std::string("hello"));
  CHECK(msg.has_value());
  CHECK(msg.is<std::string>());
  CHECK_FALSE(msg.is<int>());
  CHECK(msg.as<std::string>() == "hello");
  CHECK(msg.get_if<int>() == nullptr);
  REQUIRE(msg.get_if<std::string>() != nullptr);
  CHECK(*msg.get_if<std::string>() == "hello");
  CHECK(msg.type_name() == "std::string");
}

TEST_CASE("as<T> on the wrong type throws BadMessageType naming both types") {
  cokka::Message msg(42);
  try {
    (void)msg.as<std::string>();
    FAIL("no exception");
  } catch (const cokka::BadMessageType& e) {
    std::string what = e.what();
    CHECK(what.find("int") != std::string::npos);
    CHECK(what.find("std::string") != std::string::npos);
  }
}

TEST_CASE("an empty message is void") {
  cokka::Message msg;
  CHECK_FALSE(msg.has_value());
  CHECK(msg.type_name() == "void");
  CHECK_THROWS_AS(msg.as<int>(), cokka::BadMessageType);
}

TEST_CASE("move-only and large values move in and out without copies") {
  cokka::Message small(std::make_unique<int>(7));
  auto taken = std::move(small.as<std::unique_ptr<int>>());
  CHECK(*taken == 7);

  std::vector<int> big_payload(1000, 3);
  struct Big {
    std::vector<int> data;
    char padding[200];
  };
  cokka::Message big(Big{big_payload, {}});
  cokka::Message moved(std::move(big));
  CHECK_FALSE(big.has_value());
  CHECK(moved.as<Big>().data.size() == 1000);
  cokka::Message assigned;
  assigned = std::move(moved);
  CHECK(assigned.as<Big>().data[999] == 3);
}

TEST_CASE("a value whose move may throw is stored on the heap and still moves") {
  struct ThrowingMove {
    ThrowingMove() = default;
    ThrowingMove(const ThrowingMove&) = default;
    ThrowingMove(ThrowingMove&&) noexcept(false) {}
    int value = 5;
  };
  cokka::Message msg(ThrowingMove{});
  cokka::Message other(std::move(msg));
  CHECK(other.is<ThrowingMove>());
}

TEST_CASE("an lvalue is copied, so sender and receiver share nothing") {
  std::string text = "mine";
  cokka::Message msg(text);
  msg.as<std::string>() += " and yours";
  CHECK(text == "mine");
}

TEST_CASE("a C string is held as a std::string, copied up to its null character") {
  cokka::Message literal("Bob");
  CHECK(literal.is<std::string>());
  CHECK(literal.as<std::string>() == "Bob");
  CHECK(literal.type_name() == "std::string");

  char buffer[16] = "Ann";
  const char* pointer = buffer;
  cokka::Message from_pointer(pointer);
  cokka::Message from_array(buffer);
  buffer[0] = 'X';  // the messages hold copies, not the sender's buffer
  CHECK(from_pointer.as<std::string>() == "Ann");
  CHECK(from_array.as<std::string>() == "Ann");

  const char unterminated[3] = {'a', 'b', 'c'};
  CHECK(cokka::Message(unterminated).as<std::string>() == "abc");  // never read past the array

  CHECK(cokka::Message(u8"text").as<std::u8string>() == u8"text");
  CHECK(cokka::Message(L"wide").as<std::wstring>() == L"wide");
}

TEST_CASE("a null char pointer is not a message: InvalidState") {
  const char* nothing = nullptr;
  CHECK_THROWS_WITH_AS(cokka::Message{nothing}, "cokka: a null char pointer is not a string; send a std::string",
                       cokka::InvalidState);
}

TEST_CASE("pointers to bytes stay pointers: signed and unsigned char are not characters") {
  const unsigned char bytes[2] = {1, 2};
  const unsigned char* pointer = bytes;
  cokka::Message msg(pointer);
  CHECK(msg.is<const unsigned char*>());
  CHECK(msg.as<const unsigned char*>() == bytes);
}
