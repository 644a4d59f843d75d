// AVX-512 F16 x F32 matmul on weights in kernels/repack.h's 16-row layout (in the AVX-512 VNNI
// group of kernels: it needs only AVX-512F, which every such CPU has).
//
// A column of 16 rows is 32 contiguous bytes: one conversion gives 16 floats, and one FMA with the
// token's activation broadcast advances 16 rows, with no horizontal sums. Activations are the F16
// variant's (rounded to F16, widened to F32, matmul_q8_avx2.cpp). Per row and token the sum is
// float: in each column block of the layout (kF16ColumnBlock columns), 4 chains over the columns
// (column i of the block in chain i mod 4, the tail in chain 0), added as (c0 + c1) + (c2 + c3);
// the blocks' sums added in column order from 0; then times out_scale. The same order for every
// tile size, so a batch and one token at a time give the same bits (the model's determinism
// tests). A different order than the AVX2 kernel's 64 lanes: the results agree with the
// reference within the F16 tolerance (tests/kernels/ kF16DotRelTol), not bit for bit.
//
// One token (decode) walks the layout in memory order, block by block over all its groups,
// keeping each group's running sum in y between blocks: one front-to-back stream, with the
// block's activations (2 KiB) in L1 throughout. Walking a group's columns end to end, as prompt
// tiles do, re-read each activation from L2 once per group, and a 1 GB stream at 1 thread ran
// at 80-89% of a plain read's speed against 92-108% block by block (Zen 4, alternating runs).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>

#include "kernels/kernels_vnni.h"
#include "kernels/repack.h"
#include "kernels/x16_vnni.h"

namespace trit::vnni {
namespace {

constexpr int kTile = 4;    // x 4 chains: 16 accumulators
constexpr int kChains = 4;  // per row and token, in each column block (above)
constexpr int64_t kColBytes = kInterleaveRows * 2;

const float* token_activations(const MatmulArgs& a, int64_t t) {
  return reinterpret_cast<const float*>(a.xq + t * a.xq_stride);
}

// The sums of one column block of 16 rows (its `width` columns at p, the first being column
// `col0` of the matrix) against tokens x[0..T), in the order above.
template <int T>
inline void block_sums(const uint8_t* p, int64_t width, int64_t col0, const float* const (&x)[T], __m512 (&out)[T]) {
  __m512 acc[kChains][T];
  for (int c = 0; c < kChains; ++c)
    for (int k = 0; k < T; ++k) acc[c][k] = _mm512_setzero_ps();
  auto step = [&](int64_t i, int c) {
    const __m512 wv = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i * kColBytes)));
    for (int k = 0; k < T; ++k) acc[c][k] = _mm512_fmadd_ps(wv, _mm512_set1_ps(x[k][col0 + i]), acc[c][k]);
  };
  int64_t i = 0;
  for (; i + kChains <= width; i += kChains)
    for (int c = 0; c < kChains; ++c) step(i + c, c);
  for (; i < width; ++i) step(i, 0);
  for (int k = 0; k < T; ++k)
    out[k] = _mm512_add_ps(_mm512_add_ps(acc[0][k], acc[1][k]), _mm512_add_ps(acc[2][k], acc[3][k]));
}

// Row group g x tokens [t0, t0 + T): the blocks of one group, the running sums in registers.
template <int T>
void x16_tile(const MatmulArgs& a, const X16Spans& sp, int64_t g, int64_t t0) {
  const WeightMatrix& w = *a.w;
  const float* x[T];
  for (int k = 0; k < T; ++k) x[k] = token_activations(a, t0 + k);
  __m512 run[T];
  for (int k = 0; k < T; ++k) run[k] = _mm512_setzero_ps();
  for (int64_t kb = 0; kb < sp.n_spans(); ++kb) {
    __m512 s[T];
    block_sums<T>(w.data + sp.offset(kb, g), sp.width(kb), sp.first(kb), x, s);
    for (int k = 0; k < T; ++k) run[k] = _mm512_add_ps(run[k], s[k]);
  }
  const __m512 out_scale = _mm512_set1_ps(w.out_scale);
  for (int k = 0; k < T; ++k)
    _mm512_storeu_ps(a.y + (t0 + k) * w.rows + g * kInterleaveRows, _mm512_mul_ps(run[k], out_scale));
}

// One token, groups [g0, g1), walked by for_each_span_group (x16_vnni.h): block by block in
// memory order, the running sums in y.
void one_token(const MatmulArgs& a, const X16Spans& sp, int64_t g0, int64_t g1) {
  const float* x[1] = {token_activations(a, 0)};
  for_each_span_group(*a.w, sp, g0, g1, [&](int64_t kb, int64_t g, const uint8_t* p) {
    __m512 s[1];
    block_sums<1>(p, sp.width(kb), sp.first(kb), x, s);
    float* y = a.y + g * kInterleaveRows;
    span_sums_out(y, _mm512_add_ps(span_sums_in(y, kb), s[0]), sp, kb, a.w->out_scale);
  });
}

}  // namespace

void x16_rows_f16_f16(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const X16Spans sp = x16_spans(TensorType::F16, a.w->rows, a.w->cols);
  if (a.n_tokens == 1) return one_token(a, sp, r0 / kInterleaveRows, r1 / kInterleaveRows);
  for_each_tile<kTile, 2>(a, r0, r1, [&](auto T, int64_t g, int64_t t) { x16_tile<T()>(a, sp, g, t); });
}

}  // namespace trit::vnni
