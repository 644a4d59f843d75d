// AVX-512 VNNI TQ2_0 x Q8_K matmul for prompts (avx512f/bw/vl/vnni).
//
// Same arithmetic as matmul_ternary_avx2.cpp, fewer instructions: weights are unpacked 64 codes per
// 512-bit register (a 32-byte group broadcast to both halves, each half shifted or multiplied its
// own way, so the register holds two consecutive 32-element groups and pairs with 64 contiguous
// activation bytes), and vpdpbusd multiplies 64 unsigned codes by 64 int8 activations and adds
// groups of 4 into 16 int32 lanes in one instruction, where AVX2 needs maddubs + add + madd per 32.
// Folding the two 256-bit halves gives exactly the AVX2 kernel's 8 lanes (lane k: bytes 4k..4k+3
// of every 32-byte group), so the integer dots are the same exact int32 values and the float
// epilogue is the AVX2 kernel's own, in the same order: this variant equals the AVX2 one bit
// for bit (tests/kernels/ checks it), hence TQ2_0 still equals llama.cpp's output.
//
// Blocking: tokens are taken kTokBlock at a time (their activations stay in L2); inside that,
// pairs of rows x kTile tokens share each unpacked weight block and each activation load (12
// accumulators; AVX-512 gives 32 vector registers, so codes, accumulators and temporaries all stay
// in registers).
// GCC 12's avx512fintrin.h seeds masked builtins with _mm512_undefined_*(), which
// -W(maybe-)uninitialized reports inside the intrinsics themselves (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/kernels_avx2.h"
#include "kernels/kernels_vnni.h"
#include "kernels/ternary_unpack_avx2.h"
#include "quant/q8_k.h"

namespace trit::vnni {
namespace {

using avx2::loadu;
using quant::kQK_K;
using quant::Q8KBlock;

constexpr int64_t kRowChunk = 16;   // rows that visit one token block before the next rows
constexpr int64_t kTokBlock = 64;   // tokens whose activations are reused by every row chunk
constexpr int kTile = 6;            // tokens per weight unpack (two rows x 6 tokens: 12 accumulators)

inline __m512i loadu512(const void* p) { return _mm512_loadu_si512(p); }

// 16-bit lanes of the constant `lo` in the low 256 bits and `hi` in the high 256 bits.
inline __m512i halves16(int16_t lo, int16_t hi) {
  return _mm512_inserti64x4(_mm512_set1_epi16(lo), _mm256_set1_epi16(hi), 1);
}

// TQ2_0: byte g*32+m of qs holds element g*128 + 32k + m at bits 2k. z[2g + h] holds elements
// g*128 + 64h .. +63: qs[32g..] broadcast, shifted by 4h (low half) and 4h + 2 (high half).
struct UnpackTq2 {
  using Block = quant::TQ2_0Block;
  static constexpr bool kGgmlLanes = true;  // see avx2::UnpackTq2
  static void codes(const Block& b, __m512i z[4]) {
    const __m512i mask = _mm512_set1_epi8(3);
    const __m512i sh0 = halves16(0, 2), sh1 = halves16(4, 6);
    for (int g = 0; g < 2; ++g) {
      const __m512i v = _mm512_broadcast_i64x4(loadu(b.qs + 32 * g));
      z[2 * g] = _mm512_and_si512(_mm512_srlv_epi16(v, sh0), mask);
      z[2 * g + 1] = _mm512_and_si512(_mm512_srlv_epi16(v, sh1), mask);
    }
  }
};

// sum(code * a) over one 256-element block as the AVX2 kernel's int32x8 lanes, starting from
// `init`. Two chains when a tile has few tokens, so consecutive vpdpbusd do not all wait on each
// other.
template <int T>
inline __m256i block_dot(const __m512i z[4], const int8_t* q, __m256i init) {
  __m512i s = _mm512_zextsi256_si512(init);
  if constexpr (T >= 4) {
    for (int j = 0; j < 4; ++j) s = _mm512_dpbusd_epi32(s, z[j], loadu512(q + 64 * j));
  } else {
    __m512i s1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), z[1], loadu512(q + 64));
    s = _mm512_dpbusd_epi32(s, z[0], loadu512(q));
    s1 = _mm512_dpbusd_epi32(s1, z[3], loadu512(q + 192));
    s = _mm512_dpbusd_epi32(s, z[2], loadu512(q + 128));
    s = _mm512_add_epi32(s, s1);
  }
  return _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
}

// Per token and block: minus the AVX2 kernel's bsums lanes (lane k = bsums[2k] + bsums[2k+1]).
struct Lanes {
  alignas(32) int32_t v[8];
};

void negated_bsum_lanes(const Q8KBlock* y, int64_t nb, Lanes* out) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < nb; ++b)
    _mm256_store_si256(reinterpret_cast<__m256i*>(out[b].v),
                       _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_madd_epi16(loadu(y[b].bsums), ones)));
}

// Rows [r0, r1) x tokens [t0, t0 + T): the unpacked block of one row serves T tokens.
template <class Unpack, int T>
void ternary_tile(const MatmulArgs& a, int64_t r0, int64_t r1, int64_t t0, const Lanes* nbl) {
  using Block = typename Unpack::Block;
  const WeightMatrix& w = *a.w;
  const int64_t nb = w.cols / kQK_K;
  const Q8KBlock* y[T];
  for (int k = 0; k < T; ++k) y[k] = reinterpret_cast<const Q8KBlock*>(a.xq + (t0 + k) * a.xq_stride);
  for (int64_t r = r0; r < r1; ++r) {
    const auto* x = reinterpret_cast<const Block*>(w.data + r * w.row_bytes);
    // The AVX2 kernel's ggml_lane_fma epilogue: 8 float lanes per token, one FMA per block.
    __m256 acc[T];
    for (int k = 0; k < T; ++k) acc[k] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      __m512i c[4];
      Unpack::codes(x[b], c);
      const float dx = _cvtsh_ss(x[b].d);
      for (int k = 0; k < T; ++k) {
        const __m256i lanes = block_dot<T>(c, y[k][b].qs, loadu(nbl[k * nb + b].v));
        acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_set1_ps(y[k][b].d * dx), acc[k]);
      }
    }
    for (int k = 0; k < T; ++k) a.y[(t0 + k) * w.rows + r] = avx2::hsum_f32(acc[k]) * w.out_scale;
  }
}

// Two rows x T tokens: each activation load feeds both rows' vpdpbusd (with one row per tile the
// 64-byte activation loads, not the dot products, set the pace). Per (row, token) the same
// operations in the same order as ternary_tile, so the same bits.
// Kept apart from ternary_tile on purpose: one template over R rows measured 10% slower for
// prompts (GCC 12; pp128 40 vs 45 tok/s at 1 thread).
template <class Unpack, int T>
void ternary_tile_2rows(const MatmulArgs& a, int64_t r0, int64_t r1, int64_t t0, const Lanes* nbl) {
  using Block = typename Unpack::Block;
  const WeightMatrix& w = *a.w;
  const int64_t nb = w.cols / kQK_K;
  const Q8KBlock* y[T];
  for (int k = 0; k < T; ++k) y[k] = reinterpret_cast<const Q8KBlock*>(a.xq + (t0 + k) * a.xq_stride);
  int64_t r = r0;
  for (; r + 2 <= r1; r += 2) {
    const auto* x0 = reinterpret_cast<const Block*>(w.data + r * w.row_bytes);
    const auto* x1 = reinterpret_cast<const Block*>(w.data + (r + 1) * w.row_bytes);
    __m256 acc0[T], acc1[T];
    for (int k = 0; k < T; ++k) acc0[k] = acc1[k] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      __m512i c0[4], c1[4];
      Unpack::codes(x0[b], c0);
      Unpack::codes(x1[b], c1);
      const float dx0 = _cvtsh_ss(x0[b].d), dx1 = _cvtsh_ss(x1[b].d);
      for (int k = 0; k < T; ++k) {
        const __m512i init = _mm512_zextsi256_si512(loadu(nbl[k * nb + b].v));
        __m512i s0 = init, s1 = init;
        for (int j = 0; j < 4; ++j) {
          const __m512i q = loadu512(y[k][b].qs + 64 * j);
          s0 = _mm512_dpbusd_epi32(s0, c0[j], q);
          s1 = _mm512_dpbusd_epi32(s1, c1[j], q);
        }
        const __m256i l0 = _mm256_add_epi32(_mm512_castsi512_si256(s0), _mm512_extracti64x4_epi64(s0, 1));
        const __m256i l1 = _mm256_add_epi32(_mm512_castsi512_si256(s1), _mm512_extracti64x4_epi64(s1, 1));
        acc0[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(l0), _mm256_set1_ps(y[k][b].d * dx0), acc0[k]);
        acc1[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(l1), _mm256_set1_ps(y[k][b].d * dx1), acc1[k]);
      }
    }
    for (int k = 0; k < T; ++k) {
      a.y[(t0 + k) * w.rows + r] = avx2::hsum_f32(acc0[k]) * w.out_scale;
      a.y[(t0 + k) * w.rows + r + 1] = avx2::hsum_f32(acc1[k]) * w.out_scale;
    }
  }
  if (r < r1) ternary_tile<Unpack, T>(a, r, r1, t0, nbl);
}

template <class Unpack>
void ternary_rows(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const int64_t nb = a.w->cols / kQK_K;
  thread_local std::vector<Lanes> nbl;
  for (int64_t tb = 0; tb < a.n_tokens; tb += kTokBlock) {
    const int64_t tb_end = std::min(a.n_tokens, tb + kTokBlock);
    nbl.resize(size_t((tb_end - tb) * nb));
    for (int64_t t = tb; t < tb_end; ++t)
      negated_bsum_lanes(reinterpret_cast<const Q8KBlock*>(a.xq + t * a.xq_stride), nb, &nbl[size_t((t - tb) * nb)]);
    for (int64_t rc = r0; rc < r1; rc += kRowChunk) {
      const int64_t rc_end = std::min(r1, rc + kRowChunk);
      int64_t t = tb;
      for (; t + kTile <= tb_end; t += kTile) ternary_tile_2rows<Unpack, kTile>(a, rc, rc_end, t, &nbl[size_t((t - tb) * nb)]);
      if (t + 4 <= tb_end) {
        ternary_tile_2rows<Unpack, 4>(a, rc, rc_end, t, &nbl[size_t((t - tb) * nb)]);
        t += 4;
      }
      for (; t < tb_end; ++t) ternary_tile<Unpack, 1>(a, rc, rc_end, t, &nbl[size_t((t - tb) * nb)]);
    }
  }
}

}  // namespace

void matmul_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1) {
  // A single token (decode) runs the AVX2 kernel: with one token the unpack is not shared, and the
  // 512-bit version measured slower on DRAM-resident weights (2B4T decode, Zen 5). Same results.
  if (a.n_tokens < 4) return avx2::matmul_rows_tq2_q8k(a, r0, r1);
  ternary_rows<UnpackTq2>(a, r0, r1);
}

}  // namespace trit::vnni
