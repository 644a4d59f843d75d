#include "quant/f16.h"

namespace trit::quant {

void quantize_row_f16_ref(const float* x, fp16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void dequantize_row_f16(const fp16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(x[i]);
}

float vec_dot_f16(int64_t n, const fp16_t* x, const fp16_t* y) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += double(fp16_to_fp32(x[i]) * fp16_to_fp32(y[i]));
  return float(sum);
}

}  // namespace trit::quant
