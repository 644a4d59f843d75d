#include "quant/tq2_0.h"

#include <cmath>

namespace trit::quant {

void quantize_row_tq2_0_ref(const float* x, TQ2_0Block* y, int64_t n) {
  const int64_t nb = n / kQK_K;
  for (int64_t b = 0; b < nb; ++b, x += kQK_K) {
    float amax = 0.0f;
    for (int64_t j = 0; j < kQK_K; ++j) {
      const float a = std::fabs(x[j]);
      amax = amax > a ? amax : a;  // ggml's MAX macro
    }
    const float d = amax;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    for (int g = 0; g < 2; ++g) {
      for (int m = 0; m < 32; ++m) {
        uint8_t byte = 0;
        for (int k = 0; k < 4; ++k) {
          const long code = std::lround(x[g * 128 + m + 32 * k] * id) + 1;
          byte = uint8_t(byte + ((code & 3) << (2 * k)));
        }
        y[b].qs[g * 32 + m] = byte;
      }
    }
  }
}

void unpack_tq2_0(const TQ2_0Block& block, int8_t out[kQK_K]) {
  for (int g = 0; g < 2; ++g)
    for (int k = 0; k < 4; ++k)
      for (int m = 0; m < 32; ++m) out[g * 128 + 32 * k + m] = int8_t(((block.qs[g * 32 + m] >> (2 * k)) & 3) - 1);
}

void dequantize_row_tq2_0(const TQ2_0Block* x, float* y, int64_t n) {
  const int64_t nb = n / kQK_K;
  int8_t q[kQK_K];
  for (int64_t b = 0; b < nb; ++b) {
    const float d = fp16_to_fp32(x[b].d);
    unpack_tq2_0(x[b], q);
    for (int i = 0; i < kQK_K; ++i) y[b * kQK_K + i] = float(q[i]) * d;
  }
}

float vec_dot_tq2_0_q8_K(int64_t n, const TQ2_0Block* x, const Q8KBlock* y) {
  const int64_t nb = n / kQK_K;
  float sum = 0.0f;
  int8_t q[kQK_K];
  for (int64_t b = 0; b < nb; ++b) {
    unpack_tq2_0(x[b], q);
    int32_t sumi = 0;
    for (int i = 0; i < kQK_K; ++i) sumi += int32_t(q[i]) * int32_t(y[b].qs[i]);
    sum += float(sumi) * (y[b].d * fp16_to_fp32(x[b].d));
  }
  return sum;
}

}  // namespace trit::quant
