// AVX2 SiLU with ggml's exp (kernels/ggml_order.h ggml_expf): the same operations per element as
// the scalar emulation, 8 at a time, so the results are the same bits (tests/kernels/). A prompt's
// FFN activation is n_ff x tokens x layers values (106 M for 2B4T at pp512), and one scalar expf
// each was 5% of the prompt's time.
#include <immintrin.h>

#include "kernels/ggml_order.h"
#include "kernels/kernels_avx2.h"

namespace trit::avx2 {

void silu_ggml(float* x, int64_t n) {
  const __m256 r = _mm256_set1_ps(0x1.8p23f), one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 e_in = _mm256_sub_ps(_mm256_setzero_ps(), v);
    // ggml_expf: n = round(e_in / ln 2), b = e_in - n ln 2 in two parts, a degree-5 polynomial.
    const __m256 z = _mm256_fmadd_ps(e_in, _mm256_set1_ps(0x1.715476p+0f), r);
    const __m256 nf = _mm256_sub_ps(z, r);
    const __m256 b = _mm256_fnmadd_ps(nf, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                      _mm256_fnmadd_ps(nf, _mm256_set1_ps(0x1.62e4p-1f), e_in));
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 j = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                        _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
        u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, one));
    // 2^n as a normal float is exact for |n| <= 126; NaN and the rest take the scalar path.
    const __m256 big = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), nf), _mm256_set1_ps(126.0f), _CMP_NLE_UQ);
    if (_mm256_movemask_ps(big) != 0) {
      for (int k = 0; k < 8; ++k) x[i + k] = x[i + k] / (1.0f + ggml_expf(0.0f - x[i + k]));
      continue;
    }
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(nf), _mm256_set1_epi32(127)), 23);
    const __m256 e = _mm256_mul_ps(j, _mm256_castsi256_ps(bits));
    _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, e)));
  }
  for (; i < n; ++i) x[i] = x[i] / (1.0f + ggml_expf(0.0f - x[i]));
}

}  // namespace trit::avx2
