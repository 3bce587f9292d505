#include "urn.hpp"

#include <string_view>

namespace cokka::detail {

void make_urn(std::array<char, 45>& urn) {
  thread_local std::mt19937_64 random = [] {
    std::random_device entropy;
    return make_urn_engine(entropy);
  }();
  std::uint64_t high = random(), low = random();
  high = (high & ~0xF000ull) | 0x4000ull;                       // version 4
  low = (low & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant
  static constexpr char digits[] = "0123456789abcdef";
  static constexpr char prefix[] = "urn:uuid:";
  std::size_t at = 0;
  for (char c : std::string_view(prefix)) urn[at++] = c;
  for (int nibble = 0; nibble < 32; ++nibble) {
    if (nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20) urn[at++] = '-';
    std::uint64_t word = nibble < 16 ? high : low;
    urn[at++] = digits[(word >> (60 - 4 * (nibble % 16))) & 0xF];
  }
}

}  // namespace cokka::detail
