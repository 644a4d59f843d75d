// Shared inputs for the quant tests: seeded random rows in several distributions.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace trit::test {

enum class Dist { kNormal, kUniform, kOutliers, kHeavyTail, kTernary, kHalfIntegers, kZeros, kTiny, kHuge };

inline const char* dist_name(Dist d) {
  switch (d) {
    case Dist::kNormal: return "normal";
    case Dist::kUniform: return "uniform";
    case Dist::kOutliers: return "outliers";
    case Dist::kHeavyTail: return "heavy_tail";
    case Dist::kTernary: return "ternary";
    case Dist::kHalfIntegers: return "half_integers";
    case Dist::kZeros: return "zeros";
    case Dist::kTiny: return "tiny";
    case Dist::kHuge: return "huge";
  }
  return "?";
}

inline constexpr Dist kAllDists[] = {Dist::kNormal,       Dist::kUniform, Dist::kOutliers,
                                     Dist::kHeavyTail,    Dist::kTernary, Dist::kHalfIntegers,
                                     Dist::kZeros,        Dist::kTiny,    Dist::kHuge};

// n values of the distribution; deterministic in (dist, n, seed).
inline std::vector<float> random_row(Dist dist, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed * 7919u + uint32_t(dist) * 104729u + uint32_t(n));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::uniform_int_distribution<int> coin(0, 99);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) {
    switch (dist) {
      case Dist::kNormal: v = normal(rng); break;
      case Dist::kUniform: v = uniform(rng); break;
      case Dist::kOutliers: v = coin(rng) == 0 ? 50.0f * normal(rng) : normal(rng); break;
      case Dist::kHeavyTail: v = normal(rng) / std::max(0.05f, std::fabs(normal(rng))); break;
      case Dist::kTernary: v = 0.37f * float(coin(rng) % 3 - 1); break;
      // Exact halves: with the block max at 127 (q8) these land on rounding ties.
      case Dist::kHalfIntegers: v = float(int(coin(rng)) * 5 % 255 - 127) * 0.5f; break;
      case Dist::kZeros: v = 0.0f; break;
      case Dist::kTiny: v = 1e-20f * normal(rng); break;
      case Dist::kHuge: v = 1e6f * normal(rng); break;
    }
  }
  if (dist == Dist::kHalfIntegers)
    for (size_t i = 0; i < x.size(); i += 32) x[i] = 127.0f;  // pins every 32-block's scale
  return x;
}

inline bool same_bytes(const void* a, const void* b, size_t n) { return std::memcmp(a, b, n) == 0; }

// Index of the first differing float (bitwise), or -1.
inline int64_t first_float_mismatch(const std::vector<float>& a, const std::vector<float>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return int64_t(i);
  return -1;
}

}  // namespace trit::test
