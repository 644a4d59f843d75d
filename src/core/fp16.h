// IEEE half and bfloat16 conversions, bit-exact with ggml (round to nearest even; ggml's
// GGML_FP32_TO_FP16 is _cvtss_sh(x, 0) on F16C machines and the same rounding in software).
#pragma once

#include <cstdint>
#include <cstring>

namespace trit {

using fp16_t = uint16_t;
using bf16_t = uint16_t;

inline uint32_t float_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bits_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

float fp16_to_fp32(fp16_t h);
fp16_t fp32_to_fp16(float f);

// bf16: ggml rounds to nearest even and quiets NaNs (ggml_compute_fp32_to_bf16).
inline float bf16_to_fp32(bf16_t h) { return bits_float(uint32_t(h) << 16); }
inline bf16_t fp32_to_bf16(float f) {
  uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return bf16_t((u >> 16) | 64);  // NaN: force quiet
  return bf16_t((u + (0x7fffu + ((u >> 16) & 1))) >> 16);
}

}  // namespace trit
