#include "quant/bf16.h"

namespace trit::quant {

void quantize_row_bf16_ref(const float* x, bf16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_bf16(x[i]);
}

void dequantize_row_bf16(const bf16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_fp32(x[i]);
}

float vec_dot_bf16(int64_t n, const bf16_t* x, const bf16_t* y) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += double(bf16_to_fp32(x[i]) * bf16_to_fp32(y[i]));
  return float(sum);
}

}  // namespace trit::quant
