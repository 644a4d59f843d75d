#include "quant/ternary.h"

#include <algorithm>
#include <cmath>

namespace trit::quant {

float absmean_scale(const float* w, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::fabs(double(w[i]));
  const float mean = n > 0 ? float(sum / double(n)) : 0.0f;
  return std::max(mean, kAbsmeanMinScale);
}

void ternarize(const float* w, float scale, int8_t* codes, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float r = std::nearbyint(w[i] / scale);  // default rounding mode: ties to even
    if (std::isnan(r)) {
      codes[i] = 0;  // a NaN weight carries no sign; 0 is the only code that does no harm
      continue;
    }
    codes[i] = int8_t(r > 1.0f ? 1 : r < -1.0f ? -1 : int(r));
  }
}

void ternary_to_float(const int8_t* codes, float scale, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = float(codes[i]) * scale;
}

}  // namespace trit::quant
