// AVX2 Q4_0 / Q8_0 matmuls on weights in kernels/repack.h's 16-row layout, the layout the AVX-512
// VNNI kernels read (matmul_q8_x16_vnni.cpp), so that AVX2-only CPUs get its one float epilogue
// per 8 rows instead of one per row.
//
// Each 64-byte chunk holds 4 consecutive values of 16 rows: a 256-bit register holds 8 of those
// rows (half h: rows 8h .. 8h + 7), and one vpmaddubsw against 4 broadcast activation bytes
// advances 8 rows; one vpmaddwd by ones then leaves row i's sum in int32 lane i, so no horizontal
// sum is needed. The float epilogue is the scalar reference's (quant/q4_0.cpp, quant/q8_0.cpp:
// one sequential float sum over blocks, float(sumi) * dx * dy for Q4_0 and float(sumi) * (dx * dy)
// for Q8_0, no FMA), on 8 rows at once: these kernels equal the reference bit for bit, as the
// VNNI ones do (tests/kernels/).
//
// Q4_0: the nibbles q (value q - 8) are the unsigned operand, and each row's sum starts from -8 *
// (the block's activation sum); a block's 8 vpmaddubsw per token add up in int16 (pairs of at
// most 2 * 15 * 128: 8 of them stay within 30720) before one vpmaddwd. Q8_0 is stored + 128
// (x ^ 0x80, for vpdpbusd); here it is flipped back and multiplied as |x| x sign(y, x), as in
// q8_tile_avx2.h, each chunk's pairs widened at once (two would overflow int16).
//
// Per block, 8 rows and token that is 8 vpmaddubsw, 8 adds, one vpmaddwd and 5 float / int
// instructions for Q4_0 (8 x (sign, vpmaddubsw, vpmaddwd, add) + 4 for Q8_0), where the row-major
// kernel (q8_tile_avx2.h) spends about 8 for each of the 8 rows. Tiles of kTile tokens share each half-block's
// unpacked weights; kChunkGroups row groups stay in L2 while the tiles pass. One token walks its
// row groups in kStreams parts side by side where one_token_reads_streams() (core/prefetch.h).
#include <cstring>
#include <vector>

#include "core/fp16.h"
#include "core/prefetch.h"
#include "kernels/avx2_common.h"
#include "kernels/kernels_avx2.h"
#include "kernels/q8_act_side.h"
#include "kernels/repack.h"
#include "quant/q4_0.h"
#include "quant/q8_0.h"

namespace trit::avx2 {
namespace {

using quant::kQK8_0;
using quant::Q8_0Block;

constexpr int kTile = 4;
constexpr int64_t kChunkGroups = 4;
constexpr int kStreams = 4;
constexpr size_t kLinesAheadBytes = 2048;

inline int32_t load_i32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline __m256i bcast4(const int8_t* p) { return _mm256_set1_epi32(load_i32(p)); }

// Half h (rows 8h .. 8h + 7) of one group's block at blk x T tokens: acc[k] += the block's terms.
struct Q4_0X16 {
  static constexpr int kOffset = 8;
  static constexpr int64_t kBlockBytes = kInterleaveRows * int64_t(sizeof(quant::Q4_0Block));
  template <int T>
  __attribute__((always_inline)) static void half(const uint8_t* blk, int h, const Q8_0Block* const (&y)[T],
                                                  const ActSide* const (&s)[T], __m256 (&acc)[T]) {
    const __m256i m = _mm256_set1_epi8(0x0F);
    __m256i s16[T];
    for (int c = 0; c < 4; ++c) {
      // Chunk c: low nibbles are values 4c .. 4c + 3, high nibbles values 16 + 4c .. 16 + 4c + 3.
      const __m256i v = loadu(blk + 2 * kInterleaveRows + 64 * c + 32 * h);
      const __m256i lo = _mm256_and_si256(v, m), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m);
      for (int k = 0; k < T; ++k) {
        const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, bcast4(y[k]->qs + 4 * c)),
                                           _mm256_maddubs_epi16(hi, bcast4(y[k]->qs + 16 + 4 * c)));
        s16[k] = c == 0 ? p : _mm256_add_epi16(s16[k], p);
        __asm__("" : "+x"(s16[k]));  // token by token (matmul_ternary_avx2.cpp add_products)
      }
    }
    const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 16 * h)));
    for (int k = 0; k < T; ++k) {
      const __m256i sumi = _mm256_add_epi32(_mm256_madd_epi16(s16[k], _mm256_set1_epi16(1)), _mm256_set1_epi32(s[k]->init));
      // sum += float(sumi) * dx * dy
      acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(sumi), dx), _mm256_set1_ps(s[k]->dy)));
    }
  }
};

struct Q8_0X16 {
  static constexpr int kOffset = 0;  // signed again here: no offset
  static constexpr int64_t kBlockBytes = kInterleaveRows * int64_t(sizeof(quant::Q8_0Block));
  template <int T>
  __attribute__((always_inline)) static void half(const uint8_t* blk, int h, const Q8_0Block* const (&y)[T],
                                                  const ActSide* const (&s)[T], __m256 (&acc)[T]) {
    __m256i sumi[T];
    for (int g = 0; g < 8; ++g) {
      const __m256i x = _mm256_xor_si256(loadu(blk + 2 * kInterleaveRows + 64 * g + 32 * h), _mm256_set1_epi8(char(0x80)));
      const __m256i ux = _mm256_sign_epi8(x, x);  // |x| (and 128 for -128, right as unsigned)
      for (int k = 0; k < T; ++k) {
        // |pair| <= 2 * 128 * 127: no int16 saturation (Q8_0 activations are within +-127).
        const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(ux, _mm256_sign_epi8(bcast4(y[k]->qs + 4 * g), x)),
                                            _mm256_set1_epi16(1));
        sumi[k] = g == 0 ? p : _mm256_add_epi32(sumi[k], p);
        __asm__("" : "+x"(sumi[k]));
      }
    }
    const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 16 * h)));
    for (int k = 0; k < T; ++k)  // sum += float(sumi) * (dx * dy)
      acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(_mm256_cvtepi32_ps(sumi[k]), _mm256_mul_ps(dx, _mm256_set1_ps(s[k]->dy))));
  }
};

inline const uint8_t* group_base(const WeightMatrix& w, int64_t g) {
  return w.data + g * kInterleaveRows * int64_t(w.row_bytes);
}

// Row group g x tokens [t0, t0 + T), one half (8 rows) at a time.
template <class W, int T>
void x16_tile(const MatmulArgs& a, int64_t g, int64_t t0, const ActSide* side, int64_t nb) {
  const WeightMatrix& w = *a.w;
  const uint8_t* base = group_base(w, g);
  for (int h = 0; h < 2; ++h) {
    __m256 acc[T];
    for (int k = 0; k < T; ++k) acc[k] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const Q8_0Block* y[T];
      const ActSide* s[T];
      for (int k = 0; k < T; ++k) {
        y[k] = reinterpret_cast<const Q8_0Block*>(a.xq + (t0 + k) * a.xq_stride) + b;
        s[k] = side + (t0 + k) * nb + b;
      }
      W::template half<T>(base + b * W::kBlockBytes, h, y, s, acc);
    }
    for (int k = 0; k < T; ++k)
      _mm256_storeu_ps(a.y + (t0 + k) * w.rows + g * kInterleaveRows + 8 * h, _mm256_mul_ps(acc[k], _mm256_set1_ps(w.out_scale)));
  }
}

// One token, row groups [g0, g1): in kStreams parts side by side (the groups left over after them
// one at a time) where one_token_reads_streams(), else in memory order. Each half's sums in
// x16_tile's order, so the same bits.
template <class W>
void one_token(const MatmulArgs& a, int64_t g0, int64_t g1, const ActSide* side, int64_t nb) {
  const WeightMatrix& w = *a.w;
  const Q8_0Block* y0 = reinterpret_cast<const Q8_0Block*>(a.xq);
  const __m256 out_scale = _mm256_set1_ps(w.out_scale);
  auto walk = [&]<int R>(const int64_t (&g)[R]) {
    __m256 acc[R][2][1];
    for (int r = 0; r < R; ++r) acc[r][0][0] = acc[r][1][0] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const Q8_0Block* y[1] = {y0 + b};
      const ActSide* s[1] = {side + b};
      for (int r = 0; r < R; ++r) {
        const uint8_t* blk = group_base(w, g[r]) + b * W::kBlockBytes;
        prefetch_stream_ahead(blk, W::kBlockBytes);
        if (R > 1)
          for (int64_t i = 0; i < W::kBlockBytes; i += 64) prefetch_line_ahead<kLinesAheadBytes>(blk + i);
        W::template half<1>(blk, 0, y, s, acc[r][0]);
        W::template half<1>(blk, 1, y, s, acc[r][1]);
      }
    }
    for (int r = 0; r < R; ++r)
      for (int h = 0; h < 2; ++h) _mm256_storeu_ps(a.y + g[r] * kInterleaveRows + 8 * h, _mm256_mul_ps(acc[r][h][0], out_scale));
  };
  const int64_t per_part = one_token_reads_streams() ? (g1 - g0) / kStreams : 0;
  for (int64_t j = 0; j < per_part; ++j) {
    int64_t g[kStreams];
    for (int k = 0; k < kStreams; ++k) g[k] = g0 + k * per_part + j;
    walk(g);
  }
  for (int64_t gi = g0 + kStreams * per_part; gi < g1; ++gi) {
    const int64_t g[1] = {gi};
    walk(g);
  }
}

template <class W>
void x16_rows(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const int64_t nb = a.w->cols / kQK8_0;
  thread_local std::vector<ActSide> side;
  act_sides<W::kOffset>(a, nb, side);
  const int64_t g0 = r0 / kInterleaveRows, g1 = r1 / kInterleaveRows;
  if (a.n_tokens == 1) return one_token<W>(a, g0, g1, side.data(), nb);
  for (int64_t gc = g0; gc < g1; gc += kChunkGroups) {
    const int64_t gc_end = gc + kChunkGroups < g1 ? gc + kChunkGroups : g1;
    int64_t t = 0;
    for (; t + kTile <= a.n_tokens; t += kTile)
      for (int64_t g = gc; g < gc_end; ++g) x16_tile<W, kTile>(a, g, t, side.data(), nb);
    for (; t + 2 <= a.n_tokens; t += 2)
      for (int64_t g = gc; g < gc_end; ++g) x16_tile<W, 2>(a, g, t, side.data(), nb);
    for (; t < a.n_tokens; ++t)
      for (int64_t g = gc; g < gc_end; ++g) x16_tile<W, 1>(a, g, t, side.data(), nb);
  }
}

}  // namespace

void x16_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) { x16_rows<Q4_0X16>(a, r0, r1); }
void x16_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) { x16_rows<Q8_0X16>(a, r0, r1); }

}  // namespace trit::avx2
