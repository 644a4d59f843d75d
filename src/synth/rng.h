// A small explicit PRNG (splitmix64) so synthetic weights are identical on every platform and
// standard library (std:: distributions are not).
#pragma once

#include <cstdint>
#include <string_view>

namespace trit::synth {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 24 bits.
  float uniform() { return float(next() >> 40) * (1.0f / 16777216.0f); }
  // Approximately standard normal: Irwin-Hall with 4 uniforms, scaled to unit variance.
  float normal() {
    const uint64_t r = next();
    float s = 0;
    for (int i = 0; i < 4; ++i) s += float((r >> (16 * i)) & 0xffff) * (1.0f / 65536.0f);
    return (s - 2.0f) * 1.7320508f;  // var of the sum is 4/12
  }

 private:
  uint64_t state_;
};

// A seed per tensor from the model seed and the tensor name (FNV-1a), so tensors are independent
// of generation order.
inline uint64_t tensor_seed(uint64_t seed, std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (char c : name) h = (h ^ uint8_t(c)) * 0x100000001b3ull;
  return h;
}

}  // namespace trit::synth
