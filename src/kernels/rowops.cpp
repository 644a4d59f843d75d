#include "kernels/rowops.h"

#include "kernels/kernels_avx2.h"
#include "kernels/matmul_variants.h"

namespace trit {

void relu2_gate(float* g, const float* u, int64_t n) {
#if TRIT_KERNELS_X86
  if (isa_supported(Isa::kAvx2)) return avx2::relu2_gate(g, u, n);
#endif
  for (int64_t i = 0; i < n; ++i) {
    const float r = g[i] > 0.0f ? g[i] : 0.0f;
    g[i] = r * r * u[i];
  }
}

double sum_squares_f64(const float* x, int64_t n) {
#if TRIT_KERNELS_X86
  if (isa_supported(Isa::kAvx2)) return avx2::sum_squares_f64(x, n);
#endif
  double s[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) s[k] += double(x[i + k] * x[i + k]);
  // The AVX2 kernel's tree: four registers of four lanes, summed register-wise, then lane-wise.
  double r[4];
  for (int k = 0; k < 4; ++k) r[k] = (s[k] + s[k + 4]) + (s[k + 8] + s[k + 12]);
  double sum = (r[0] + r[2]) + (r[1] + r[3]);
  for (; i < n; ++i) sum += double(x[i] * x[i]);
  return sum;
}

}  // namespace trit
