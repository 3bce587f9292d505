#pragma once

#include <array>
#include <cstdint>
#include <random>

namespace cokka::detail {

/// 32-bit words of entropy behind each thread's urn generator: 2^256 possible streams, so urns of actors in
/// different processes (or threads) do not repeat by a shared seed.
inline constexpr int urn_seed_words = 8;

/// A generator for urns seeded with urn_seed_words draws from `entropy` (a std::random_device in cokka).
template <class Entropy>
std::mt19937_64 make_urn_engine(Entropy& entropy) {
  std::array<std::uint32_t, urn_seed_words> words{};
  for (auto& word : words) word = static_cast<std::uint32_t>(entropy());
  std::seed_seq seed(words.begin(), words.end());
  return std::mt19937_64(seed);
}

/// Writes `urn:uuid:<uuid4>` (45 characters) from this thread's generator.
void make_urn(std::array<char, 45>& urn);

}  // namespace cokka::detail
