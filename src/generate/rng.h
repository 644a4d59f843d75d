// The sampler's random numbers: xoshiro256** seeded through splitmix64, and our own uniform double.
// Hand-written instead of std::mt19937 + std::uniform_real_distribution because the standard
// distributions are implementation-defined (libstdc++ and libc++ give different streams), and a
// seed must reproduce the same tokens on every platform. Algorithms: Blackman & Vigna,
// "Scrambled linear pseudorandom number generators" (2018), public-domain reference versions.
#pragma once

#include <cstdint>

namespace trit {

class Rng {
 public:
  explicit Rng(uint64_t seed) { reseed(seed); }

  // splitmix64 expands one 64-bit seed into the 256-bit state; it never yields an all-zero state.
  void reseed(uint64_t seed) {
    for (uint64_t& word : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      word = z ^ (z >> 31);
    }
  }

  // xoshiro256**: next 64 random bits.
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1): the top 53 bits as a double's mantissa, so every value is exact.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace trit
