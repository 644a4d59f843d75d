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
// keeping each group's running sum in y between blocks: one front-to-back stream on AMD, four
// side by side elsewhere (one_token below), with the block's activations (2 KiB) in L1
// throughout. It asks for one line a page ahead as the stream enters the page, and for each line
// 4 KiB ahead as it reads it (core/prefetch.h: 1B F16 decode
// 0.924 -> 1.035 of the paired ceiling at 1 thread, 0.858 -> 0.919 at 2). Walking a group's
// columns end to end instead re-read each activation from L2 once per group, and a 1 GB stream at
// 1 thread ran at 80-89% of a plain read's speed against 92-108% block by block (Zen 5,
// alternating runs).
//
// A prompt runs tiles of up to 16 tokens, one block at a time over a chunk of 32 groups (512 KiB
// of one block column, in L2 while every tile passes), the tile's activations of the block packed
// column-major once for the chunk: a column's 16 broadcasts then read one line from one pointer.
// Each pass over a block converts its columns once for 16 tokens, and, with one chain a pass, its
// 16 accumulators fit in registers. Before (tiles of 4 tokens reading the token rows in place,
// each group's columns end to end), on a 2-vCPU Intel Xeon (Emerald Rapids class): 2048 x 2048
// x 512 tokens 44 -> 51 GMAC/s at 1 thread, 86 -> 100 at 2 (medians, builds alternating), and
// 1B F16 pp512 0.85x -> 1.26x llama.cpp at 2 threads.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>
#include <utility>

#include "core/prefetch.h"
#include "kernels/kernels_vnni.h"
#include "kernels/repack.h"
#include "kernels/x16_vnni.h"

namespace trit::vnni {
namespace {

constexpr int kChains = 8;  // per row and token, in each column block (above)
constexpr int64_t kColBytes = kInterleaveRows * 2;
// Prompt tiles: up to kPromptTile tokens per pass over a block, whose activations are laid out
// column-major for it (pack_tokens); kPromptChunkGroups row groups per chunk, whose blocks of one
// span (16 KiB a group) stay in L2 while all the token tiles pass over them.
constexpr int kPromptTile = 16;
constexpr int64_t kPromptChunkGroups = 32;

const float* token_activations(const MatmulArgs& a, int64_t t) {
  return reinterpret_cast<const float*>(a.xq + t * a.xq_stride);
}

// acc[k] += column i of 16 rows (at p) times token k's activation of that column, xt[i * T + k].
template <int T>
__attribute__((always_inline)) inline void column_fma(const uint8_t* p, int64_t i, const float* xt, __m512 (&acc)[T]) {
  const __m512 wv = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i * kColBytes)));
  for (int k = 0; k < T; ++k) acc[k] = _mm512_fmadd_ps(wv, _mm512_set1_ps(xt[i * T + k]), acc[k]);
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
inline void chain_sums(const uint8_t* p, int64_t width, const float* xt, __m512 (&out)[T]) {
  __m512 acc[kCount][T];
  for (int c = 0; c < kCount; ++c)
    for (int k = 0; k < T; ++k) acc[c][k] = _mm512_setzero_ps();
  const int64_t whole = width / kChains * kChains;
  for (int64_t i = kFirst; i < whole; i += kChains)
    for (int c = 0; c < kCount; ++c) column_fma<T>(p, i + c, xt, acc[c]);
  if constexpr (kFirst == 0)
    for (int64_t i = whole; i < width; ++i) column_fma<T>(p, i, xt, acc[0]);
  for (int k = 0; k < T; ++k) out[k] = pairwise_sum<0, kCount>(acc, k);
}

// Chains summed side by side in one pass over a block for T tokens: all 8 for one token; for
// more, as many as keep the accumulators (chains x T) within 16 registers.
constexpr int chains_per_pass(int T) { return T == 1 ? kChains : T <= 4 ? 4 : T <= 8 ? 2 : 1; }

// A prompt tile's sums of one column block of 16 rows (its `width` columns at p) against T tokens
// (their activations of the block's columns at xt, column-major), in the order above: one pass
// over the block per chains_per_pass(T) chains (the block, 16 KiB at most, stays in L1), each
// pass converting its columns. Each chain still sums its columns in the same order, and the
// passes' sums are added pairwise as the chains' are.
template <int T>
inline void block_sums(const uint8_t* p, int64_t width, const float* xt, __m512 (&out)[T]) {
  constexpr int kPerPass = chains_per_pass(T), kPasses = kChains / kPerPass;
  __m512 pass[kPasses][T];
  [&]<int... q>(std::integer_sequence<int, q...>) {
    (chain_sums<T, q * kPerPass, kPerPass>(p, width, xt, pass[q]), ...);
  }(std::make_integer_sequence<int, kPasses>{});
  for (int k = 0; k < T; ++k) out[k] = pairwise_sum<0, kPasses>(pass, k);
}

// 16 x 16 floats transposed in registers: r[k] (16 columns of token k) -> r[i] (16 tokens of
// column i).
inline void transpose16(__m512 (&r)[16]) {
  __m512 t[16];
  for (int k = 0; k < 16; k += 2) {
    t[k] = _mm512_unpacklo_ps(r[k], r[k + 1]);
    t[k + 1] = _mm512_unpackhi_ps(r[k], r[k + 1]);
  }
  for (int k = 0; k < 16; k += 4)
    for (int j = 0; j < 2; ++j) {
      r[k + 2 * j] = _mm512_shuffle_ps(t[k + j], t[k + j + 2], 0x44);
      r[k + 2 * j + 1] = _mm512_shuffle_ps(t[k + j], t[k + j + 2], 0xee);
    }
  for (int k = 0; k < 16; k += 8)
    for (int j = 0; j < 4; ++j) {
      t[k + j] = _mm512_shuffle_f32x4(r[k + j], r[k + j + 4], 0x88);
      t[k + j + 4] = _mm512_shuffle_f32x4(r[k + j], r[k + j + 4], 0xdd);
    }
  for (int j = 0; j < 8; ++j) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
    r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
  }
}

// Tokens [t0, t0 + T)'s activations of columns [col0, col0 + width), column-major: xt[i * T + k]
// is token t0 + k's column col0 + i. Then a column's T broadcasts read one line (T = 16), from
// one pointer, where T token rows would take T registers and, rows a multiple of 4 KiB apart,
// compete for a few L1 sets.
template <int T>
void pack_tokens(const MatmulArgs& a, int64_t t0, int64_t col0, int64_t width, float* xt) {
  const float* x[T];
  for (int k = 0; k < T; ++k) x[k] = token_activations(a, t0 + k) + col0;
  int64_t i = 0;
  if constexpr (T == 16)
    for (; i + 16 <= width; i += 16) {
      __m512 r[16];
      for (int k = 0; k < 16; ++k) r[k] = _mm512_loadu_ps(x[k] + i);
      transpose16(r);
      for (int j = 0; j < 16; ++j) _mm512_storeu_ps(xt + (i + j) * 16, r[j]);
    }
  for (; i < width; ++i)
    for (int k = 0; k < T; ++k) xt[i * T + k] = x[k][i];
}

// Row groups [gc, gc_end) x tokens [t0, t0 + T) over span kb (one column block): the activations
// packed once for all the groups (one token's row is already in that layout), each group's running
// sums in y between spans.
template <int T>
void prompt_tile(const MatmulArgs& a, const X16Spans& sp, int64_t gc, int64_t gc_end, int64_t kb, int64_t t0,
                 float* packed) {
  const WeightMatrix& w = *a.w;
  const float* xt = packed;
  if constexpr (T == 1) xt = token_activations(a, t0) + sp.first(kb);
  else pack_tokens<T>(a, t0, sp.first(kb), sp.width(kb), packed);
  for (int64_t g = gc; g < gc_end; ++g) {
    __m512 s[T];
    block_sums<T>(w.data + sp.offset(kb, g), sp.width(kb), xt, s);
    for (int k = 0; k < T; ++k) {
      float* y = a.y + (t0 + k) * w.rows + g * kInterleaveRows;
      span_sums_out(y, _mm512_add_ps(span_sums_in(y, kb), s[k]), sp, kb, w.out_scale);
    }
  }
}

// Several tokens, groups [g0, g1): per chunk of groups, span by span, every token tile.
void prompt(const MatmulArgs& a, const X16Spans& sp, int64_t g0, int64_t g1) {
  alignas(64) float xt[kF16ColumnBlock * kPromptTile];
  for (int64_t gc = g0; gc < g1; gc += kPromptChunkGroups) {
    const int64_t gc_end = std::min(g1, gc + kPromptChunkGroups);
    for (int64_t kb = 0; kb < sp.n_spans(); ++kb)
      token_tiles<kPromptTile, 8, 4, 2, 1>(0, a.n_tokens, [&](auto T, int64_t t) {
        prompt_tile<T()>(a, sp, gc, gc_end, kb, t, xt);
      });
  }
}

// One token's sums of one column block for G groups side by side (weights at p[g]), each in the
// order of block_sums<1>: the G streams advance together, column by column, each asking for one
// line a page ahead and each line 4 KiB ahead (core/prefetch.h). Each group runs its 8 chains side
// by side: with 4, a chain's FMA latency alone took as long as the block's conversions, and a late
// weight line held up the walk. Decode's matmul sequence from memory, 4 and 8 chains in one
// process, alternating tokens between read passes (30 each, Zen 5): 2B4T TQ2_0 (the F16 head)
// 0.958 -> 0.974 of the read speed at 1 thread, 0.913 -> 0.918 at 2; a 1B F16 model 0.909-0.957
// -> 0.943-0.999 at 1 thread, 0.892 -> 0.907 at 2.
template <int G>
inline void one_token_block_sums(const uint8_t* const (&p)[G], int64_t width, const float* x, __m512 (&out)[G]) {
  __m512 acc[kChains][G];
  for (int c = 0; c < kChains; ++c)
    for (int g = 0; g < G; ++g) acc[c][g] = _mm512_setzero_ps();
  const int64_t whole = width / kChains * kChains;
  for (int64_t i = 0; i < whole; i += kChains) {
    for (int g = 0; g < G; ++g) prefetch_stream_ahead(p[g] + i * kColBytes, kChains * kColBytes);
    for (int c = 0; c < kChains; ++c) {
      const __m512 xb = _mm512_set1_ps(x[i + c]);
      for (int g = 0; g < G; ++g) {
        if (c % 2 == 0) prefetch_line_ahead(p[g] + (i + c) * kColBytes);
        const __m512 wv = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p[g] + (i + c) * kColBytes)));
        acc[c][g] = _mm512_fmadd_ps(wv, xb, acc[c][g]);
      }
    }
  }
  for (int64_t i = whole; i < width; ++i)
    for (int g = 0; g < G; ++g) {
      const __m512 wv = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p[g] + i * kColBytes)));
      acc[0][g] = _mm512_fmadd_ps(wv, _mm512_set1_ps(x[i]), acc[0][g]);
    }
  __m512 t[kChains][1];
  for (int g = 0; g < G; ++g) {
    for (int c = 0; c < kChains; ++c) t[c][0] = acc[c][g];
    out[g] = pairwise_sum<0, kChains>(t, 0);
  }
}

// One token, groups [g0, g1), block by block in memory order, the running sums in y. Where
// one_token_reads_streams() (core/prefetch.h), the groups are cut into kStreams parts walked side
// by side, column by column (one_token_block_sums).
template <int kStreams>
void one_token_streams(const MatmulArgs& a, const X16Spans& sp, int64_t g0, int64_t g1) {
  const WeightMatrix& w = *a.w;
  const float* x = token_activations(a, 0);
  for (int64_t kb = 0; kb < sp.n_spans(); ++kb) {
    auto run = [&]<int kSide>(const int64_t (&g)[kSide]) {
      const uint8_t* p[kSide];
      __m512 s[kSide];
      for (int k = 0; k < kSide; ++k) p[k] = w.data + sp.offset(kb, g[k]);
      one_token_block_sums<kSide>(p, sp.width(kb), x + sp.first(kb), s);
      for (int k = 0; k < kSide; ++k) {
        float* y = a.y + g[k] * kInterleaveRows;
        span_sums_out(y, _mm512_add_ps(span_sums_in(y, kb), s[k]), sp, kb, w.out_scale);
      }
    };
    for_each_side_by_side<kStreams>(a, g0, g1, run);
  }
}

// Four streams: their 4 x 8 chains are more than the 32 registers, so GCC keeps them in L1 and
// each FMA loads and stores its chain; the loads wait on memory anyway. On the Intel Xeon (builds
// alternating, paired fraction of the 8-stream ceiling, 1 / 2 threads, 6 runs each) against two
// streams, whose 16 chains stay in registers: 1B F16 0.894 / 0.864 -> 0.983 / 0.957, 2B4T TQ2_0
// (its 657 MB head) 0.887 / 0.847 -> 0.939 / 0.874. Three streams (24 chains in registers) and
// eight measured no better than four, and so did four with each pair of groups walked in turn
// over chunks of 32-128 columns, its chains in registers within a chunk.
void one_token(const MatmulArgs& a, const X16Spans& sp, int64_t g0, int64_t g1) {
  if (one_token_reads_streams()) return one_token_streams<kF16OneTokenStreams>(a, sp, g0, g1);
  one_token_streams<1>(a, sp, g0, g1);
}

}  // namespace

void x16_rows_f16_f16(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const X16Spans sp = x16_spans(*a.w);
  if (a.n_tokens == 1) return one_token(a, sp, r0 / kInterleaveRows, r1 / kInterleaveRows);
  prompt(a, sp, r0 / kInterleaveRows, r1 / kInterleaveRows);
}

}  // namespace trit::vnni
