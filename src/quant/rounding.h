// Rounding helpers shared by the formats, each matching one idiom of the references.
#pragma once

#include <cstdint>
#include <cstring>

namespace trit::quant {

// Round to nearest, ties to even, by letting a float addition of 1.5 * 2^23 do the rounding.
// Matches ggml's nearest_int (ggml-quants.c), used by the K-quants; valid for |x| <= 2^22.
inline int nearest_int(float x) {
  const float shifted = x + 12582912.f;  // 1.5 * 2^23: the integer lands in the low mantissa bits
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

// QK_K in ggml: the super-block length of the K-quants and of TQ1_0 / TQ2_0.
inline constexpr int64_t kQK_K = 256;

}  // namespace trit::quant
