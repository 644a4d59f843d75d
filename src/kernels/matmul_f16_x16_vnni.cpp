// AVX-512 F16 x F32 matmul on weights in kernels/repack.h's 16-row layout (in the AVX-512 VNNI
// group of kernels: it needs only AVX-512F, which every such CPU has).
//
// A column of 16 rows is 32 contiguous bytes: one conversion gives 16 floats, and one FMA with the
// token's activation broadcast advances 16 rows, with no horizontal sums. Activations are the F16
// variant's (rounded to F16, widened to F32, matmul_q8_avx2.cpp). Per row and token the sum is
// float: in each column block of the layout (kF16ColumnBlock columns), 8 chains over the columns
// (column i of the block in chain i mod 8, the tail in chain 0), added as
// ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
// the blocks' sums added in column order from 0; then times out_scale. The same order for every
// tile size, so a batch and one token at a time give the same bits (the model's determinism
// tests). A different order than the AVX2 kernel's 64 lanes: the results agree with the
// reference within the F16 tolerance (tests/kernels/ kF16DotRelTol), not bit for bit.
//
// One token (decode) walks the layout in memory order, block by block over all its groups,
// keeping each group's running sum in y between blocks: one front-to-back stream, with the
// block's activations (2 KiB) in L1 throughout. It asks for one line a page ahead as the stream
// enters the page, and for each line 4 KiB ahead as it reads it (core/prefetch.h: 1B F16 decode
// 0.924 -> 1.035 of the paired ceiling at 1 thread, 0.858 -> 0.919 at 2). Walking a group's
// columns end to end, as prompt tiles do, re-read each activation from L2 once per group, and a
// 1 GB stream at 1 thread ran at 80-89% of a plain read's speed against 92-108% block by block
// (Zen 5, alternating runs).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>

#include "core/prefetch.h"
#include "kernels/kernels_vnni.h"
#include "kernels/repack.h"
#include "kernels/x16_vnni.h"

namespace trit::vnni {
namespace {

constexpr int kTile = 4;
constexpr int kChains = 8;  // per row and token, in each column block (above)
constexpr int64_t kColBytes = kInterleaveRows * 2;

const float* token_activations(const MatmulArgs& a, int64_t t) {
  return reinterpret_cast<const float*>(a.xq + t * a.xq_stride);
}

// acc[k] += column i of 16 rows (at p) times token k's activation of that column.
template <int T>
__attribute__((always_inline)) inline void column_fma(const uint8_t* p, int64_t i, int64_t col0, const float* const (&x)[T],
                                                     __m512 (&acc)[T]) {
  const __m512 wv = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i * kColBytes)));
  for (int k = 0; k < T; ++k) acc[k] = _mm512_fmadd_ps(wv, _mm512_set1_ps(x[k][col0 + i]), acc[k]);
}

// acc[kLo][k] + ... + acc[kLo + kN - 1][k], added pairwise: ((a0 + a1) + (a2 + a3)) + ... . The
// indices are constants, so the accumulators stay in registers.
template <int kLo, int kN, int kCount, int T>
__attribute__((always_inline)) inline __m512 pairwise_sum(const __m512 (&acc)[kCount][T], int k) {
  if constexpr (kN == 1) return acc[kLo][k];
  else return _mm512_add_ps(pairwise_sum<kLo, kN / 2>(acc, k), pairwise_sum<kLo + kN / 2, kN / 2>(acc, k));
}

// Chains kFirst .. kFirst + kCount - 1 of one column block (chain c: columns i with i mod kChains
// == c; chain 0 also takes the tail), added pairwise: ((c0 + c1) + (c2 + c3)) + ... .
template <int T, int kFirst, int kCount>
inline void chain_sums(const uint8_t* p, int64_t width, int64_t col0, const float* const (&x)[T], __m512 (&out)[T]) {
  __m512 acc[kCount][T];
  for (int c = 0; c < kCount; ++c)
    for (int k = 0; k < T; ++k) acc[c][k] = _mm512_setzero_ps();
  const int64_t whole = width / kChains * kChains;
  for (int64_t i = kFirst; i < whole; i += kChains) {
    if constexpr (T == 1) prefetch_stream_ahead(p + i * kColBytes, kChains * kColBytes);
    for (int c = 0; c < kCount; ++c) {
      if constexpr (T == 1) if (c % 2 == 0) prefetch_line_ahead(p + (i + c) * kColBytes);
      column_fma<T>(p, i + c, col0, x, acc[c]);
    }
  }
  if constexpr (kFirst == 0)
    for (int64_t i = whole; i < width; ++i) column_fma<T>(p, i, col0, x, acc[0]);
  for (int k = 0; k < T; ++k) out[k] = pairwise_sum<0, kCount>(acc, k);
}

// The sums of one column block of 16 rows (its `width` columns at p, the first being column
// `col0` of the matrix) against tokens x[0..T), in the order above. One token runs the 8 chains
// side by side: with 4, a chain's FMA latency alone took as long as the block's conversions, and
// a late weight line held up the walk. Decode's matmul sequence from memory, this kernel with 4
// and with 8 chains in one process, alternating tokens between read passes (30 each, Zen 5):
// 2B4T TQ2_0 (the F16 head) 0.958 -> 0.974 of the read speed at 1 thread, 0.913 -> 0.918 at 2;
// a 1B F16 model 0.909-0.957 -> 0.943-0.999 at 1 thread, 0.892 -> 0.907 at 2. Tiles of several
// tokens, where 8 x T accumulators do not fit in registers, run chains 0-3 over the block and then
// chains 4-7 (the block, 16 KiB at most, is in L1 by then): each column is still converted once,
// and each chain sums its columns in the same order.
template <int T>
inline void block_sums(const uint8_t* p, int64_t width, int64_t col0, const float* const (&x)[T], __m512 (&out)[T]) {
  if constexpr (T == 1) {
    chain_sums<1, 0, kChains>(p, width, col0, x, out);
  } else {
    __m512 lo[T], hi[T];
    chain_sums<T, 0, kChains / 2>(p, width, col0, x, lo);
    chain_sums<T, kChains / 2, kChains / 2>(p, width, col0, x, hi);
    for (int k = 0; k < T; ++k) out[k] = _mm512_add_ps(lo[k], hi[k]);
  }
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
  const X16Spans sp = x16_spans(*a.w);
  if (a.n_tokens == 1) return one_token(a, sp, r0 / kInterleaveRows, r1 / kInterleaveRows);
  for_each_tile<kTile, 2>(a, r0, r1, [&](auto T, int64_t g, int64_t t) { x16_tile<T()>(a, sp, g, t); });
}

}  // namespace trit::vnni
