// Q8_0 and Q4_0 weights against Q8_0 activations, shared by the AVX2 (maddubs + madd) and AVX-512
// VNNI (vpdpbusd) files, which produce the same exact int32 lanes and so the same results.
// Include ONLY from files compiled with at least -mavx2 -mfma -mf16c (CMakeLists.txt).
//
// Exactness: per block of 32, signed x signed as |x| x sign(y, x) (u8 x s8; at most 2 * 127 * 128
// per pair, no int16 saturation), int32 lanes exact. The float part follows ggml's x86 kernels
// (8 lanes, FMA per block with d = dx * dy) except for the two chains described at q8_tile: within
// kLaneEpilogueRelTol of quant/'s vec_dot (tests/kernels/), not bit-equal to it.
#pragma once

#include <vector>

#include "core/prefetch.h"
#include "kernels/avx2_common.h"
#include "kernels/matmul_variants.h"
#include "quant/q4_0.h"
#include "quant/q8_0.h"

namespace trit::avx2 {
// Internal linkage: compiled into files with different ISA flags (see avx2_common.h).
namespace {

using quant::Q8_0Block;

// Q8_0: signed values, multiplied as |x| x sign(y, x).
struct Q8_0Weights {
  using Block = quant::Q8_0Block;
  static constexpr int kOffset = 0;
  static __m256i values(const Block& b) { return loadu(b.qs); }
};

// Q4_0: the stored nibbles q (value q - 8) multiply y directly as unsigned bytes, and the lanes
// start from -8 * (their sum of y), precomputed once per token (ActBlock): the same exact lanes
// with three fewer instructions per block.
struct Q4_0Weights {
  using Block = quant::Q4_0Block;
  static constexpr int kOffset = 8;
  static __m256i values(const Block& b) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
    const __m128i m = _mm_set1_epi8(0x0F);
    return _mm256_setr_m128i(_mm_and_si128(v, m), _mm_and_si128(_mm_srli_epi16(v, 4), m));
  }
};

// Per token and block, what every row reuses: dy as float and, for offset formats, the lanes'
// starting value -offset * sum(y) (lane k: y[4k..4k+3]).
struct ActBlock {
  alignas(32) int32_t init[8];
  float d;
};

template <class W>
void act_blocks(const Q8_0Block* y, int64_t nb, ActBlock* out) {
  for (int64_t b = 0; b < nb; ++b) {
    out[b].d = _cvtsh_ss(y[b].d);
    if constexpr (W::kOffset != 0) {
      const __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), loadu(y[b].qs)),
                                             _mm256_set1_epi16(1));
      _mm256_store_si256(reinterpret_cast<__m256i*>(out[b].init),
                         _mm256_mullo_epi32(sums, _mm256_set1_epi32(-W::kOffset)));
    }
  }
}

// Rows [r0, r1) x tokens [t0, t0 + T): one weight decode serves T tokens. Per token: int32 lanes
// of each block (lane k: products 4k..4k+3, exact), converted to float and fused-multiply-added
// with d = dx * dy into 8 float lanes, even blocks into one accumulator and odd blocks into
// another (two FMA chains instead of ggml's one: decode was bound by the FMA latency), then
// hsum_f32(even + odd).
template <class W, bool kVnni, int T>
void q8_tile(const MatmulArgs& a, int64_t r0, int64_t r1, int64_t t0, const ActBlock* side) {
  using Block = typename W::Block;
  const WeightMatrix& w = *a.w;
  const int64_t nb = w.cols / quant::kQK8_0;
  const Q8_0Block* y[T];
  const ActBlock* ys[T];
  for (int k = 0; k < T; ++k) {
    y[k] = reinterpret_cast<const Q8_0Block*>(a.xq + (t0 + k) * a.xq_stride);
    ys[k] = side + k * nb;
  }
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = r0; r < r1; ++r) {
    const auto* x = reinterpret_cast<const Block*>(w.data + r * w.row_bytes);
    __m256 even[T], odd[T];
    for (int k = 0; k < T; ++k) even[k] = odd[k] = _mm256_setzero_ps();
    // Blocks two at a time so that both chains stay in registers.
    auto block = [&](int64_t b, __m256* chain) {
      const __m256i xv = W::values(x[b]);
      // Q8_0: |x| as the unsigned operand and y takes x's sign; Q4_0: the nibbles as they are.
      const __m256i ux = W::kOffset != 0 ? xv : _mm256_sign_epi8(xv, xv);
      const float dx = _cvtsh_ss(x[b].d);
      for (int k = 0; k < T; ++k) {
        const __m256i qy = loadu(y[k][b].qs);
        const __m256i sy = W::kOffset != 0 ? qy : _mm256_sign_epi8(qy, xv);
        const __m256i init = W::kOffset != 0 ? _mm256_load_si256(reinterpret_cast<const __m256i*>(ys[k][b].init))
                                             : _mm256_setzero_si256();
        __m256i lanes;
        if constexpr (kVnni)
          lanes = _mm256_dpbusd_epi32(init, ux, sy);  // the same lanes in one instruction
        else  // |pair| <= 2 * 127 * 128 (Q8_0), 2 * 15 * 128 (Q4_0): no int16 saturation
          lanes = _mm256_add_epi32(init, _mm256_madd_epi16(_mm256_maddubs_epi16(ux, sy), ones));
        chain[k] = _mm256_fmadd_ps(_mm256_set1_ps(dx * ys[k][b].d), _mm256_cvtepi32_ps(lanes), chain[k]);
      }
    };
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
      if constexpr (T == 1) prefetch_stream_ahead(&x[b], 2 * sizeof(Block));
      block(b, even);
      block(b + 1, odd);
    }
    if (b < nb) block(b, even);
    for (int k = 0; k < T; ++k) a.y[(t0 + k) * w.rows + r] = hsum_f32(_mm256_add_ps(even[k], odd[k])) * w.out_scale;
  }
}

template <class W, bool kVnni>
void q8_rows(const MatmulArgs& a, int64_t r0, int64_t r1) {
  constexpr int64_t kRowChunk = 16;  // rows whose weights every token tile reuses
  constexpr int kTokTile = 4;
  const int64_t nb = a.w->cols / quant::kQK8_0;
  thread_local std::vector<ActBlock> side;
  side.resize(size_t(a.n_tokens * nb));
  for (int64_t t = 0; t < a.n_tokens; ++t)
    act_blocks<W>(reinterpret_cast<const Q8_0Block*>(a.xq + t * a.xq_stride), nb, &side[size_t(t * nb)]);
  for (int64_t rc = r0; rc < r1; rc += kRowChunk) {
    const int64_t rc_end = rc + kRowChunk < r1 ? rc + kRowChunk : r1;
    int64_t t = 0;
    for (; t + kTokTile <= a.n_tokens; t += kTokTile) q8_tile<W, kVnni, kTokTile>(a, rc, rc_end, t, &side[size_t(t * nb)]);
    for (; t < a.n_tokens; ++t) q8_tile<W, kVnni, 1>(a, rc, rc_end, t, &side[size_t(t * nb)]);
  }
}

}  // namespace
}  // namespace trit::avx2
