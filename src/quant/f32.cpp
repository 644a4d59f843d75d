#include "quant/f32.h"

#include <cstring>

namespace trit::quant {

void quantize_row_f32_ref(const float* x, float* y, int64_t n) {
  if (n > 0) std::memcpy(y, x, size_t(n) * sizeof(float));
}

void dequantize_row_f32(const float* x, float* y, int64_t n) {
  if (n > 0) std::memcpy(y, x, size_t(n) * sizeof(float));
}

float vec_dot_f32(int64_t n, const float* x, const float* y) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += double(x[i] * y[i]);
  return float(sum);
}

}  // namespace trit::quant
