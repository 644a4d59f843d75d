#include "quant/q8_0.h"

#include <cmath>

namespace trit::quant {
namespace {

// max |x| over one block, with ggml's MAX macro (a NaN propagates, as there).
float block_amax(const float* xb) {
  float amax = 0.0f;
  for (int64_t j = 0; j < kQK8_0; ++j) {
    const float a = std::fabs(xb[j]);
    amax = amax > a ? amax : a;
  }
  return amax;
}

}  // namespace

void quantize_row_q8_0_ref(const float* x, Q8_0Block* y, int64_t n) {
  const int64_t nb = n / kQK8_0;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * kQK8_0;
    const float amax = block_amax(xb);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;  // all-zero block: d = 0, every q = 0
    y[b].d = fp32_to_fp16(d);
    for (int64_t j = 0; j < kQK8_0; ++j) y[b].qs[j] = int8_t(std::round(xb[j] * id));
  }
}

void quantize_row_q8_0_act(const float* x, Q8_0Block* y, int64_t n) {
  const int64_t nb = n / kQK8_0;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * kQK8_0;
    const float amax = block_amax(xb);
    y[b].d = fp32_to_fp16(amax / 127.0f);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    // nearbyint in the default rounding mode: nearest, ties to even (as _mm256_round_ps does there).
    for (int64_t j = 0; j < kQK8_0; ++j) y[b].qs[j] = int8_t(std::nearbyint(xb[j] * id));
  }
}

void dequantize_row_q8_0(const Q8_0Block* x, float* y, int64_t n) {
  const int64_t nb = n / kQK8_0;
  for (int64_t b = 0; b < nb; ++b) {
    const float d = fp16_to_fp32(x[b].d);
    for (int64_t j = 0; j < kQK8_0; ++j) y[b * kQK8_0 + j] = float(x[b].qs[j]) * d;
  }
}

float vec_dot_q8_0_q8_0(int64_t n, const Q8_0Block* x, const Q8_0Block* y) {
  const int64_t nb = n / kQK8_0;
  float sum = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    int32_t sumi = 0;
    for (int64_t j = 0; j < kQK8_0; ++j) sumi += int32_t(x[b].qs[j]) * int32_t(y[b].qs[j]);
    sum += float(sumi) * (fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d));
  }
  return sum;
}

}  // namespace trit::quant
