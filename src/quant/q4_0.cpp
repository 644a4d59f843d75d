#include "quant/q4_0.h"

#include <algorithm>
#include <cmath>

namespace trit::quant {

void quantize_row_q4_0_ref(const float* x, Q4_0Block* y, int64_t n) {
  const int64_t nb = n / kQK4_0;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * kQK4_0;
    // The first element of strictly largest magnitude wins, with its sign (ggml's "amax < |v|").
    float amax = 0.0f;
    float max = 0.0f;
    for (int64_t j = 0; j < kQK4_0; ++j) {
      if (amax < std::fabs(xb[j])) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    for (int64_t j = 0; j < kQK4_0 / 2; ++j) {
      // ggml converts x/d + 8.5 to int8 (truncation), i.e. rounds half up on [0, 16.5].
      const int lo = std::min(15, int(int8_t(xb[j] * id + 8.5f)));
      const int hi = std::min(15, int(int8_t(xb[j + kQK4_0 / 2] * id + 8.5f)));
      y[b].qs[j] = uint8_t(uint8_t(lo) | uint8_t(hi << 4));
    }
  }
}

void dequantize_row_q4_0(const Q4_0Block* x, float* y, int64_t n) {
  const int64_t nb = n / kQK4_0;
  for (int64_t b = 0; b < nb; ++b) {
    const float d = fp16_to_fp32(x[b].d);
    float* yb = y + b * kQK4_0;
    for (int64_t j = 0; j < kQK4_0 / 2; ++j) {
      yb[j] = float((x[b].qs[j] & 0x0F) - 8) * d;
      yb[j + kQK4_0 / 2] = float((x[b].qs[j] >> 4) - 8) * d;
    }
  }
}

float vec_dot_q4_0_q8_0(int64_t n, const Q4_0Block* x, const Q8_0Block* y) {
  const int64_t nb = n / kQK4_0;
  float sum = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    int32_t sumi = 0;
    for (int64_t j = 0; j < kQK4_0 / 2; ++j) {
      sumi += ((x[b].qs[j] & 0x0F) - 8) * int32_t(y[b].qs[j]);
      sumi += ((x[b].qs[j] >> 4) - 8) * int32_t(y[b].qs[j + kQK4_0 / 2]);
    }
    sum += float(sumi) * fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d);
  }
  return sum;
}

}  // namespace trit::quant
