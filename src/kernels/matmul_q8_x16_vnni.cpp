// AVX-512 VNNI Q4_0 / Q8_0 matmuls on weights in kernels/repack.h's 16-row layout.
//
// Each 512-bit register holds 16 rows x 4 consecutive values, so one vpdpbusd against 4 broadcast
// activation bytes advances 16 rows at once, and their int32 lanes need no horizontal sum: lane j
// ends each block holding row j's exact block dot. The float epilogue then runs once per 16 rows
// and is the scalar reference's own (quant/q4_0.cpp, quant/q8_0.cpp: one sequential float sum
// over blocks, float(sumi) * dx * dy for Q4_0 and float(sumi) * (dx * dy) for Q8_0, no FMA), so
// these kernels equal the reference bit for bit (tests/kernels/).
// The weights are unsigned bytes (Q4_0 nibbles q for q - 8; Q8_0 stored as x + 128), and each lane
// starts from -offset * (the block's activation sum), as in q8_tile_avx2.h.
//
// Blocking: kTile tokens share each unpacked weight block (kTile int and kTile float accumulators
// plus 8 weight registers out of 32); kChunkGroups row groups stay in L2 while the tokens pass.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/prefetch.h"
#include "kernels/kernels_vnni.h"
#include "kernels/q8_act_side.h"
#include "kernels/repack.h"
#include "kernels/x16_vnni.h"
#include "core/fp16.h"
#include "quant/q4_0.h"
#include "quant/q8_0.h"

namespace trit::vnni {
namespace {

using quant::kQK8_0;
using quant::Q8_0Block;

constexpr int kTile = 8;

inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }

struct Q4_0X16 {
  static constexpr int kOffset = 8;
  // Lines of codes per block that one token asks for 4 KiB ahead (core/prefetch.h): all 4, on AMD
  // too.
  static constexpr int kLinesAhead = 4, kLinesAheadOnAmd = 4;
  static constexpr int64_t kBlockBytes = kInterleaveRows * int64_t(sizeof(quant::Q4_0Block));
  // Chunk c: low nibbles are values 4c..4c+3 (group c), high nibbles group c + 4.
  static void unpack(const uint8_t* q, __m512i v[8]) {
    const __m512i m = _mm512_set1_epi8(0x0F);
    for (int c = 0; c < 4; ++c) {
      const __m512i b = load512(q + 64 * c);
      v[c] = _mm512_and_si512(b, m);
      v[c + 4] = _mm512_and_si512(_mm512_srli_epi16(b, 4), m);
    }
  }
  // sum += float(sumi) * dx * dy
  static __m512 term(__m512 sumi, __m512 dx, float dy) {
    return _mm512_mul_ps(_mm512_mul_ps(sumi, dx), _mm512_set1_ps(dy));
  }
};

struct Q8_0X16 {
  static constexpr int kOffset = 128;
  static constexpr int kLinesAhead = 8, kLinesAheadOnAmd = 0;  // none on AMD: slower (core/prefetch.h)
  static constexpr int64_t kBlockBytes = kInterleaveRows * int64_t(sizeof(quant::Q8_0Block));
  static void unpack(const uint8_t* q, __m512i v[8]) {
    for (int g = 0; g < 8; ++g) v[g] = load512(q + 64 * g);
  }
  // sum += float(sumi) * (dx * dy)
  static __m512 term(__m512 sumi, __m512 dx, float dy) {
    return _mm512_mul_ps(sumi, _mm512_mul_ps(dx, _mm512_set1_ps(dy)));
  }
};

// Block b of one row group (at blk) for tokens y / s: acc[k] += the block's float term, in the
// reference's order. One token asks for kLinesAhead lines of the block 4 KiB ahead.
template <class W, int T, int kLinesAhead>
__attribute__((always_inline)) inline void block_terms(const uint8_t* blk, int64_t b, const Q8_0Block* const (&y)[T],
                                                       const ActSide* const (&s)[T], __m512 (&acc)[T]) {
  if constexpr (T == 1) prefetch_stream_ahead(blk, W::kBlockBytes);
  const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk)));
  __m512i v[8];
  W::unpack(blk + 2 * kInterleaveRows, v);
  // With few tokens, two chains per token so consecutive vpdpbusd do not wait on each other.
  constexpr int kChains = T < 4 ? 2 : 1;
  __m512i lanes[kChains][T];
  for (int k = 0; k < T; ++k) {
    lanes[0][k] = _mm512_set1_epi32(s[k][b].init);
    if constexpr (kChains == 2) lanes[1][k] = _mm512_setzero_si512();
  }
  for (int q = 0; q < 8; ++q) {
    if constexpr (T == 1) if (q < kLinesAhead) prefetch_line_ahead(blk + 2 * kInterleaveRows + 64 * q);
    for (int k = 0; k < T; ++k)
      lanes[q % kChains][k] =
          _mm512_dpbusd_epi32(lanes[q % kChains][k], v[q], _mm512_set1_epi32(load_i32(y[k][b].qs + 4 * q)));
  }
  for (int k = 0; k < T; ++k) {
    __m512i sumi = lanes[0][k];
    if constexpr (kChains == 2) sumi = _mm512_add_epi32(sumi, lanes[1][k]);
    acc[k] = _mm512_add_ps(acc[k], W::term(_mm512_cvtepi32_ps(sumi), dx, s[k][b].dy));
  }
}

// Row group g (rows 16g..16g+15) x tokens [t0, t0 + T).
template <class W, int T>
void x16_tile(const MatmulArgs& a, int64_t g, int64_t t0, const ActSide* side, int64_t nb) {
  const WeightMatrix& w = *a.w;
  const uint8_t* base = group_base(w, g);
  const Q8_0Block* y[T];
  const ActSide* s[T];
  tile_tokens(a, t0, side, nb, y, s);
  __m512 acc[T];
  for (int k = 0; k < T; ++k) acc[k] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) block_terms<W, T, 0>(base + b * W::kBlockBytes, b, y, s, acc);
  const __m512 out_scale = _mm512_set1_ps(w.out_scale);
  for (int k = 0; k < T; ++k)
    _mm512_storeu_ps(a.y + (t0 + k) * w.rows + g * kInterleaveRows, _mm512_mul_ps(acc[k], out_scale));
}

// One token, row groups [g0, g1): cut into kStreams equal parts (the remainder after them) walked
// side by side, block by block (core/prefetch.h one_token_reads_streams); one part walks the
// groups in memory order. Each group's sum in x16_tile's order, so the same bits. Eight streams
// on an Intel Xeon (2 vCPUs), builds alternating, paired ceiling at 1 / 2 threads: 1B Q8_0 0.848 /
// 0.838 -> 0.951 / 0.918, 1B Q4_0 0.874 / 0.802 -> 0.941 / 0.867.
template <class W, int kStreams, int kLinesAhead>
void one_token_streams(const MatmulArgs& a, int64_t g0, int64_t g1, const ActSide* side, int64_t nb) {
  const WeightMatrix& w = *a.w;
  const Q8_0Block* y[1];
  const ActSide* s[1];
  tile_tokens(a, 0, side, nb, y, s);
  const __m512 out_scale = _mm512_set1_ps(w.out_scale);
  auto run = [&]<int kSide>(const int64_t (&g)[kSide]) {
    __m512 acc[kSide][1];
    for (int k = 0; k < kSide; ++k) acc[k][0] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b)
      for (int k = 0; k < kSide; ++k) block_terms<W, 1, kLinesAhead>(group_base(w, g[k]) + b * W::kBlockBytes, b, y, s, acc[k]);
    for (int k = 0; k < kSide; ++k) _mm512_storeu_ps(a.y + g[k] * kInterleaveRows, _mm512_mul_ps(acc[k][0], out_scale));
  };
  for_each_side_by_side<kStreams>(a, g0, g1, run);
}

template <class W>
void x16_rows(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const int64_t nb = a.w->cols / kQK8_0;
  thread_local std::vector<ActSide> side;
  act_sides<W::kOffset>(a, nb, side);
  if (a.n_tokens == 1) {
    const int64_t g0 = r0 / kInterleaveRows, g1 = r1 / kInterleaveRows;
    if (one_token_reads_streams())
      return one_token_streams<W, kQ8OneTokenStreams, W::kLinesAhead>(a, g0, g1, side.data(), nb);
    if (every_kernel_asks_lines_ahead()) return one_token_streams<W, 1, W::kLinesAhead>(a, g0, g1, side.data(), nb);
    return one_token_streams<W, 1, W::kLinesAheadOnAmd>(a, g0, g1, side.data(), nb);
  }
  for_each_tile<kTile, 4>(a, r0, r1, [&](auto T, int64_t g, int64_t t) { x16_tile<W, T()>(a, g, t, side.data(), nb); });
}

}  // namespace

void x16_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) { x16_rows<Q4_0X16>(a, r0, r1); }
void x16_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) { x16_rows<Q8_0X16>(a, r0, r1); }

}  // namespace trit::vnni
