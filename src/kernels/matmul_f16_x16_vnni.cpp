// AVX-512 F16 x F32 matmul on weights in kernels/repack.h's 16-row layout (in the AVX-512 VNNI
// group of kernels: it needs only AVX-512F, which every such CPU has).
//
// A column of 16 rows is 32 contiguous bytes: one conversion gives 16 floats, and one FMA with the
// token's activation broadcast advances 16 rows, with no horizontal sums. Activations are the F16
// variant's (rounded to F16, widened to F32, matmul_q8_avx2.cpp). Sums are float, over columns in
// 4 interleaved chains per row for every tile size: a different order than the AVX2
// kernel's 64 lanes, so the results agree with the reference within the F16 tolerance
// (tests/kernels/ kF16DotRelTol), not bit for bit.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>

#include "kernels/kernels_vnni.h"
#include "kernels/repack.h"
#include "kernels/x16_vnni.h"

namespace trit::vnni {
namespace {

constexpr int kTile = 4;  // x 4 chains: 16 accumulators
constexpr int64_t kColBytes = kInterleaveRows * 2;

template <int T>
void x16_tile(const MatmulArgs& a, int64_t g, int64_t t0) {
  const WeightMatrix& w = *a.w;
  const int64_t n = w.cols;
  const uint8_t* base = group_base(w, g);
  const float* x[T];
  for (int k = 0; k < T; ++k) x[k] = reinterpret_cast<const float*>(a.xq + (t0 + k) * a.xq_stride);
  // Independent FMA chains per token, the same for every tile size: a batch and one token at a
  // time must sum in the same order (the model's determinism tests).
  constexpr int kChains = 4;
  __m512 acc[kChains][T];
  for (int c = 0; c < kChains; ++c)
    for (int k = 0; k < T; ++k) acc[c][k] = _mm512_setzero_ps();
  int64_t col = 0;
  auto step = [&](int64_t i, int c) {
    const __m512 wv = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + i * kColBytes)));
    for (int k = 0; k < T; ++k) acc[c][k] = _mm512_fmadd_ps(wv, _mm512_set1_ps(x[k][i]), acc[c][k]);
  };
  for (; col + kChains <= n; col += kChains)
    for (int c = 0; c < kChains; ++c) step(col + c, c);
  for (; col < n; ++col) step(col, 0);
  const __m512 out_scale = _mm512_set1_ps(w.out_scale);
  for (int k = 0; k < T; ++k) {
    __m512 s = acc[0][k];
    for (int c = 1; c < kChains; ++c) s = _mm512_add_ps(s, acc[c][k]);
    _mm512_storeu_ps(a.y + (t0 + k) * w.rows + g * kInterleaveRows, _mm512_mul_ps(s, out_scale));
  }
}

}  // namespace

void x16_rows_f16_f16(const MatmulArgs& a, int64_t r0, int64_t r1) {
  for_each_tile<kTile, 2>(a, r0, r1, [&](auto T, int64_t g, int64_t t) { x16_tile<T()>(a, g, t); });
}


}  // namespace trit::vnni
