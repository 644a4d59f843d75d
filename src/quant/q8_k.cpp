#include "quant/q8_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace trit::quant {

void quantize_row_q8_K_ref(const float* x, Q8KBlock* y, int64_t n) {
  const int64_t nb = n / kQK_K;
  for (int64_t b = 0; b < nb; ++b) {
    const float* xb = x + b * kQK_K;
    float amax = 0.0f;
    float max = 0.0f;
    for (int64_t j = 0; j < kQK_K; ++j) {
      if (std::fabs(xb[j]) > amax) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    if (amax == 0.0f) {
      y[b].d = 0.0f;
      std::memset(y[b].qs, 0, sizeof y[b].qs);
      std::memset(y[b].bsums, 0, sizeof y[b].bsums);
      continue;
    }
    const float iscale = -127.0f / max;
    for (int64_t j = 0; j < kQK_K; ++j) y[b].qs[j] = int8_t(std::min(127, nearest_int(iscale * xb[j])));
    for (int64_t g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int64_t j = 0; j < 16; ++j) sum += y[b].qs[g * 16 + j];
      y[b].bsums[g] = int16_t(sum);
    }
    y[b].d = 1.0f / iscale;
  }
}

void dequantize_row_q8_K(const Q8KBlock* x, float* y, int64_t n) {
  const int64_t nb = n / kQK_K;
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t j = 0; j < kQK_K; ++j) y[b * kQK_K + j] = x[b].d * float(x[b].qs[j]);
}

}  // namespace trit::quant
