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

namespace trit::avx2 {

void relu2_gate(float* g, const float* u, int64_t n) {
  int64_t i = 0;
  // max_ps(g, 0) returns its second operand for NaN and for either zero: 0, as `g > 0 ? g : 0`.
  for (; i + 8 <= n; i += 8) {
    const __m256 r = _mm256_max_ps(_mm256_loadu_ps(g + i), _mm256_setzero_ps());
    _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_mul_ps(r, r), _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) {
    const float r = g[i] > 0.0f ? g[i] : 0.0f;
    g[i] = r * r * u[i];
  }
}

double sum_squares_f64(const float* x, int64_t n) {
  // a[k] lane l: element 16 j + 4 k + l (kernels/rowops.h's partial sum 4 k + l).
  __m256d a[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int h = 0; h < 2; ++h) {
      const __m256 v = _mm256_loadu_ps(x + i + 8 * h);
      const __m256 sq = _mm256_mul_ps(v, v);
      a[2 * h] = _mm256_add_pd(a[2 * h], _mm256_cvtps_pd(_mm256_castps256_ps128(sq)));
      a[2 * h + 1] = _mm256_add_pd(a[2 * h + 1], _mm256_cvtps_pd(_mm256_extractf128_ps(sq, 1)));
    }
  }
  const __m256d r = _mm256_add_pd(_mm256_add_pd(a[0], a[1]), _mm256_add_pd(a[2], a[3]));
  const __m128d t = _mm_add_pd(_mm256_castpd256_pd128(r), _mm256_extractf128_pd(r, 1));
  double sum = _mm_cvtsd_f64(t) + _mm_cvtsd_f64(_mm_unpackhi_pd(t, t));
  for (; i < n; ++i) sum += double(x[i] * x[i]);
  return sum;
}

}  // namespace trit::avx2
