// AVX2 attention over an fp16 KV cache: all of one query's scores, and P·V, each in one call.
//
// Per key the arithmetic is dot_f16's and axpy_f16's exactly (matmul_q8_avx2.cpp): the same lanes,
// the same fused multiply-adds and the same final sums, so the results are the same bits as
// calling those once per key (tests/kernels/ attention_test.cpp). What changes is what is paid once:
// the query is widened to float once instead of once per key, two keys share each query load, and
// P·V keeps 64 output values in registers across all keys instead of loading and storing them for
// every key.
#include "kernels/avx2_common.h"
#include "kernels/kernels_avx2.h"

namespace trit::avx2 {
namespace {

inline __m256 load_f16(const fp16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

// dot_f16(q, k) for keys k0 and k1, with q already widened (qf).
inline void dot2(const float* qf, const fp16_t* q16, const fp16_t* k0, const fp16_t* k1, int64_t n, float* d0,
                 float* d1) {
  __m256 a[4], b[4];
  for (int k = 0; k < 4; ++k) a[k] = b[k] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; ++k) {
      const __m256 qv = _mm256_loadu_ps(qf + i + 8 * k);
      a[k] = _mm256_fmadd_ps(qv, load_f16(k0 + i + 8 * k), a[k]);
      b[k] = _mm256_fmadd_ps(qv, load_f16(k1 + i + 8 * k), b[k]);
    }
  for (; i + 8 <= n; i += 8) {
    const __m256 qv = _mm256_loadu_ps(qf + i);
    a[0] = _mm256_fmadd_ps(qv, load_f16(k0 + i), a[0]);
    b[0] = _mm256_fmadd_ps(qv, load_f16(k1 + i), b[0]);
  }
  float s0 = hsum_f32(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3])));
  float s1 = hsum_f32(_mm256_add_ps(_mm256_add_ps(b[0], b[1]), _mm256_add_ps(b[2], b[3])));
  for (; i < n; ++i) {
    s0 += _cvtsh_ss(q16[i]) * _cvtsh_ss(k0[i]);
    s1 += _cvtsh_ss(q16[i]) * _cvtsh_ss(k1[i]);
  }
  *d0 = s0;
  *d1 = s1;
}

}  // namespace

void qk_scores_f16(const fp16_t* q16, const fp16_t* k, int64_t kv_stride, int64_t n_kv, int64_t n, float scale,
                   float* scores) {
  constexpr int64_t kMaxDim = 512;
  alignas(32) float qf[kMaxDim];
  if (n > kMaxDim) {  // unusual head sizes: one key at a time
    for (int64_t j = 0; j < n_kv; ++j) scores[j] = dot_f16(q16, k + j * kv_stride, n) * scale;
    return;
  }
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_store_ps(qf + i, load_f16(q16 + i));
  for (; i < n; ++i) qf[i] = _cvtsh_ss(q16[i]);
  int64_t j = 0;
  for (; j + 2 <= n_kv; j += 2) {
    float d0, d1;
    dot2(qf, q16, k + j * kv_stride, k + (j + 1) * kv_stride, n, &d0, &d1);
    scores[j] = d0 * scale;
    scores[j + 1] = d1 * scale;
  }
  if (j < n_kv) scores[j] = dot_f16(q16, k + j * kv_stride, n) * scale;
}

void pv_f16(const fp16_t* p16, const fp16_t* v, int64_t kv_stride, int64_t n_kv, int64_t n, float* out) {
  constexpr int kRegs = 8;  // 64 outputs per pass over the keys
  int64_t d = 0;
  for (; d + 8 * kRegs <= n; d += 8 * kRegs) {
    __m256 acc[kRegs];
    for (int r = 0; r < kRegs; ++r) acc[r] = _mm256_setzero_ps();
    for (int64_t j = 0; j < n_kv; ++j) {
      const __m256 p = _mm256_set1_ps(_cvtsh_ss(p16[j]));
      const fp16_t* vj = v + j * kv_stride + d;
      // out + p * v, a separate multiply and add (axpy_f16's rounding).
      for (int r = 0; r < kRegs; ++r) acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(p, load_f16(vj + 8 * r)));
    }
    for (int r = 0; r < kRegs; ++r) _mm256_storeu_ps(out + d + 8 * r, acc[r]);
  }
  if (d < n) {  // the rest of the head, as axpy_f16 per key
    for (int64_t i = d; i < n; ++i) out[i] = 0.0f;
    for (int64_t j = 0; j < n_kv; ++j) axpy_f16(_cvtsh_ss(p16[j]), v + j * kv_stride + d, out + d, n - d);
  }
}

}  // namespace trit::avx2
