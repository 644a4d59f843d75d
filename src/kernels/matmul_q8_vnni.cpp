// AVX-512 VNNI Q8_0 / Q4_0 matmuls (avx512f/bw/vl/vnni) on row-major weights (the 16-row layout:
// matmul_q8_x16_vnni.cpp).
//
// One token at a time (decode, and fewer than kTile tokens): q8_tile_avx2.h with vpdpbusd in place
// of maddubs + madd.
//
// Prompts: a register-blocked GEMM over 512-bit registers holding two consecutive 32-element
// blocks. Per (row, token, block pair) the work is one vpdpbusd, one int-to-float conversion, one
// multiply (dx * dy for both blocks) and one FMA, where the 256-bit tile needs a sign, a scalar
// multiply and a broadcast per block as well. What makes that possible:
//   - Weights are used as unsigned bytes with a per-token lane offset, as q8_tile's Q4_0 already
//     does: Q4_0 nibbles q as they are (value q - 8), Q8_0 values x as x + 128 (x ^ 0x80). Each
//     int32 lane starts from -offset * (its 4 activations' sum), so it ends at exactly the dot of
//     its 4 signed products, the same integer q8_tile computes.
//   - Activations are laid out once per call (TokenPair): 64 contiguous int8, the 16 lane offsets,
//     and dy of each block broadcast to its 8 lanes. Weight scales are widened to float once per
//     row chunk.
//   - The low 256 bits of an accumulator take the even blocks and the high 256 bits the odd ones:
//     exactly q8_tile's two FMA chains, with the same operands in the same order. So this variant
//     equals the AVX2 one bit for bit (tests/kernels/ Avx512VnniEqualsAvx2BitForBit).
// Blocking: kRows rows x kTile tokens of accumulators; a chunk of kRowChunk rows stays in L2 while
// every token passes over it, so the weights are read from memory once per call.
// GCC 12's avx512fintrin.h seeds masked builtins with _mm512_undefined_*(), which
// -W(maybe-)uninitialized reports inside the intrinsics themselves (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <vector>

#include "kernels/kernels_vnni.h"
#include "kernels/q8_tile_avx2.h"

namespace trit::vnni {
namespace {

using avx2::loadu;
using quant::kQK8_0;
using quant::Q8_0Block;

constexpr int kRows = 4;            // rows per register tile
constexpr int kTile = 4;            // tokens per register tile (16 accumulators)
constexpr int64_t kRowChunk = 64;   // rows whose weights stay in L2 while every token visits them

// One token's two consecutive blocks 2p, 2p + 1 (the second zero past an odd block count).
struct alignas(64) TokenPair {
  int8_t qs[64];
  int32_t init[16];  // -offset * sum of lane k's 4 activations
  float dy[16];      // dy of block 2p in lanes 0-7, of block 2p + 1 in lanes 8-15
};

template <class W>
void token_pairs(const Q8_0Block* y, int64_t nb, TokenPair* out) {
  const __m256i ones = _mm256_set1_epi8(1);
  for (int64_t b = 0; b < nb; ++b) {
    TokenPair& p = out[b / 2];
    const int h = int(b % 2);
    const __m256i q = loadu(y[b].qs);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p.qs + 32 * h), q);
    const __m256i sums = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, q);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p.init + 8 * h),
                        _mm256_mullo_epi32(sums, _mm256_set1_epi32(-W::kOffset)));
    _mm256_storeu_ps(p.dy + 8 * h, _mm256_set1_ps(_cvtsh_ss(y[b].d)));
  }
  if (nb % 2 != 0) {  // the missing odd block contributes exact zeros
    TokenPair& p = out[nb / 2];
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p.qs + 32), _mm256_setzero_si256());
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p.init + 8), _mm256_setzero_si256());
    _mm256_storeu_ps(p.dy + 8, _mm256_setzero_ps());
  }
}

// The unsigned weight bytes of blocks b, b + 1 of a row (the values of q8_tile's W::values plus
// the offset).
struct Q8_0Pair {
  using Block = quant::Q8_0Block;
  static constexpr int kOffset = 128;
  static __m512i values(const Block* x) {
    const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(loadu(x[0].qs)), loadu(x[1].qs), 1);
    return _mm512_xor_si512(v, _mm512_set1_epi8(char(0x80)));
  }
  static __m256i values_one(const Block& x) { return _mm256_xor_si256(loadu(x.qs), _mm256_set1_epi8(char(0x80))); }
};

struct Q4_0Pair {
  using Block = quant::Q4_0Block;
  static constexpr int kOffset = 8;
  static __m512i values(const Block* x) {
    const __m256i v = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[0].qs))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[1].qs)), 1);
    // 128-bit lanes {q0, q0, q1, q1}; shifted by 0, 4, 0, 4: low then high nibbles of each block.
    const __m512i z = _mm512_shuffle_i64x2(_mm512_castsi256_si512(v), _mm512_castsi256_si512(v), 0x50);
    const __m512i sh = _mm512_setr_epi64(0, 0, 4, 4, 0, 0, 4, 4);
    return _mm512_and_si512(_mm512_srlv_epi64(z, sh), _mm512_set1_epi8(0x0F));
  }
  static __m256i values_one(const Block& x) { return avx2::Q4_0Weights::values(x); }
};

// Lanes 0-7 from a, 8-15 from b (AVX-512F only: no DQ needed).
inline __m512 join(__m256 a, __m256 b) {
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(a)), _mm256_castps_pd(b), 1));
}
inline __m256 high(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }

// Sixteen floats, 64-byte aligned (a vector of __m512 would drop the type's attributes).
struct alignas(64) Lanes16 {
  float v[16];
};

// Rows [r, r + R) x tokens [t, t + T). dxv: per row of the chunk and block pair, dx broadcast as dy.
template <class W, int R, int T>
void gemm_tile(const MatmulArgs& a, int64_t r, int64_t t, int64_t nb, const TokenPair* pairs, int64_t np,
               const Lanes16* dxv) {
  using Block = typename W::Block;
  const WeightMatrix& w = *a.w;
  const Block* x[R];
  for (int i = 0; i < R; ++i) x[i] = reinterpret_cast<const Block*>(w.data + (r + i) * w.row_bytes);
  __m512 acc[R][T];
  for (int i = 0; i < R; ++i)
    for (int k = 0; k < T; ++k) acc[i][k] = _mm512_setzero_ps();
  const int64_t full = nb / 2;
  for (int64_t p = 0; p < full; ++p) {
    __m512i ux[R];
    for (int i = 0; i < R; ++i) ux[i] = W::values(x[i] + 2 * p);
    for (int k = 0; k < T; ++k) {
      const TokenPair& y = pairs[(t + k) * np + p];
      const __m512i q = _mm512_load_si512(y.qs);
      const __m512i init = _mm512_load_si512(y.init);
      const __m512 dy = _mm512_load_ps(y.dy);
      for (int i = 0; i < R; ++i) {
        const __m512i lanes = _mm512_dpbusd_epi32(init, ux[i], q);
        acc[i][k] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_load_ps(dxv[i * np + p].v), dy), _mm512_cvtepi32_ps(lanes), acc[i][k]);
      }
    }
  }
  if (nb % 2 != 0) {  // the last, even-numbered block: the low 256 bits only
    for (int i = 0; i < R; ++i) {
      const __m256i ux = W::values_one(x[i][nb - 1]);
      for (int k = 0; k < T; ++k) {
        const TokenPair& y = pairs[(t + k) * np + full];
        const __m256i lanes = _mm256_dpbusd_epi32(loadu(y.init), ux, loadu(y.qs));
        const __m256 s = _mm256_mul_ps(_mm256_load_ps(dxv[i * np + full].v), _mm256_loadu_ps(y.dy));
        const __m256 lo = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(lanes), _mm512_castps512_ps256(acc[i][k]));
        acc[i][k] = join(lo, high(acc[i][k]));
      }
    }
  }
  for (int i = 0; i < R; ++i)
    for (int k = 0; k < T; ++k) {
      const __m256 even = _mm512_castps512_ps256(acc[i][k]), odd = high(acc[i][k]);
      a.y[(t + k) * w.rows + r + i] = avx2::hsum_f32(_mm256_add_ps(even, odd)) * w.out_scale;
    }
}

// Row tiles of R rows, then single rows, over tokens [t, t + T).
template <class W, int T>
void gemm_rows(const MatmulArgs& a, int64_t rc, int64_t rc_end, int64_t t, int64_t nb, const TokenPair* pairs,
               int64_t np, const Lanes16* dxv) {
  int64_t r = rc;
  for (; r + kRows <= rc_end; r += kRows) gemm_tile<W, kRows, T>(a, r, t, nb, pairs, np, dxv + (r - rc) * np);
  for (; r < rc_end; ++r) gemm_tile<W, 1, T>(a, r, t, nb, pairs, np, dxv + (r - rc) * np);
}

template <class W>
void gemm(const MatmulArgs& a, int64_t r0, int64_t r1) {
  using Block = typename W::Block;
  const WeightMatrix& w = *a.w;
  const int64_t nb = w.cols / kQK8_0, np = (nb + 1) / 2;
  thread_local std::vector<TokenPair> pairs;
  thread_local std::vector<Lanes16> dxv;
  pairs.resize(size_t(a.n_tokens * np));
  for (int64_t t = 0; t < a.n_tokens; ++t)
    token_pairs<W>(reinterpret_cast<const Q8_0Block*>(a.xq + t * a.xq_stride), nb, &pairs[size_t(t * np)]);
  dxv.resize(size_t(kRowChunk * np));
  for (int64_t rc = r0; rc < r1; rc += kRowChunk) {
    const int64_t rc_end = std::min(r1, rc + kRowChunk);
    for (int64_t r = rc; r < rc_end; ++r) {
      const auto* x = reinterpret_cast<const Block*>(w.data + r * w.row_bytes);
      for (int64_t p = 0; p < np; ++p) {
        const float d0 = _cvtsh_ss(x[2 * p].d), d1 = 2 * p + 1 < nb ? _cvtsh_ss(x[2 * p + 1].d) : 0.0f;
        _mm512_store_ps(dxv[size_t((r - rc) * np + p)].v, join(_mm256_set1_ps(d0), _mm256_set1_ps(d1)));
      }
    }
    int64_t t = 0;
    for (; t + kTile <= a.n_tokens; t += kTile) gemm_rows<W, kTile>(a, rc, rc_end, t, nb, pairs.data(), np, dxv.data());
    for (; t < a.n_tokens; ++t) gemm_rows<W, 1>(a, rc, rc_end, t, nb, pairs.data(), np, dxv.data());
  }
}

}  // namespace

void matmul_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) {
  if (a.n_tokens < kTile) return avx2::q8_rows<avx2::Q8_0Weights, true>(a, r0, r1);
  gemm<Q8_0Pair>(a, r0, r1);
}
void matmul_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) {
  if (a.n_tokens < kTile) return avx2::q8_rows<avx2::Q4_0Weights, true>(a, r0, r1);
  gemm<Q4_0Pair>(a, r0, r1);
}

}  // namespace trit::vnni
