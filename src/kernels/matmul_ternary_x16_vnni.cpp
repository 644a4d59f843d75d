// AVX-512 VNNI TQ2_0 x Q8_K matmul on weights in kernels/repack.h's 16-row layout, two epilogues.
//
// The layout puts lane L's codes of 16 rows side by side (lane L: elements 32c + 4L .. +3 of every
// 32-element chunk c), so one vpdpbusd against 4 broadcast activation bytes advances 16 rows.
//
// x16_rows_tq2_q8k (the default): the scalar reference's epilogue (quant/tq2_0.cpp): per row, token
// and block one exact int32 over all 256 codes, then sum += float(sumi) * (dy * dx) without FMA.
// Equal to the reference bit for bit, and one float epilogue per 64 vpdpbusd.
//
// x16_rows_tq2_q8k_ggml (MatmulOrder::kGgmlX86, the --compat profiles): llama.cpp's x86 epilogue,
// which the AVX2 kernel (matmul_ternary_avx2.cpp) reproduces: per row, token and block, 8 exact
// int32 lanes (lane L, minus the activation sum of elements 32L .. 32L + 31), each converted to
// float and fused-multiply-added with dy * dx into its own float lane, then ggml's hsum of the 8
// lanes. A 512-bit register holds one such lane for 16 rows; the operations per lane are the AVX2
// kernel's, in the same order, so TQ2_0 equals llama.cpp's output to the last bit. Its FMA per
// lane and block (one per 8 vpdpbusd) shares the vpdpbusd ports: measured 173 GMAC/s against the
// default's, see benchmarks/.
//
// Blocking: per block and lane, the 8 code registers of 16 rows serve up to kTile tokens; the
// accumulators of kTile tokens stay in registers (ggml's 8 float lanes per token on the stack, in
// L1). kChunkGroups row groups stay in L2 while the token tiles pass. One token walks the layout's
// column spans in memory order (x16_vnni.h ternary_one_token).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/cpu.h"
#include "kernels/kernels_vnni.h"
#include "kernels/repack.h"
#include "kernels/x16_vnni.h"
#include "quant/q8_k.h"
#include "quant/tq2_0.h"

namespace trit::vnni {
namespace {

using quant::kQK_K;
using quant::Q8KBlock;

constexpr int kTile = 8;
constexpr int64_t kBlockBytes = kInterleaveRows * int64_t(sizeof(quant::TQ2_0Block));

// Per token and block: lane L starts from -(bsums[2L] + bsums[2L + 1]), as in the AVX2 kernel.
struct LaneInit {
  int32_t v[8];
};

void lane_inits(const Q8KBlock* y, int64_t nb, LaneInit* out) {
  for (int64_t b = 0; b < nb; ++b)
    for (int lane = 0; lane < 8; ++lane) out[b].v[lane] = -(int32_t(y[b].bsums[2 * lane]) + y[b].bsums[2 * lane + 1]);
}


// Codes 0..2 of lane L for 16 rows: c[4h + s] (bits 2s, 2s + 1 of each byte of chunk h) pairs
// with activation bytes 32 (4h + s) + 4L. With GFNI, one affine byte transform moves bits 2s, 2s + 1
// down to bits 0, 1 and clears the rest: one instruction instead of a shift and a mask.
template <bool kGfni>
inline void lane_codes(const uint8_t* q, __m512i c[8]) {
  for (int h = 0; h < 2; ++h) {
    const __m512i v = _mm512_loadu_si512(q + 64 * h);
    c[4 * h] = _mm512_and_si512(v, _mm512_set1_epi8(3));
    for (int s = 1; s < 4; ++s) {
      if constexpr (kGfni)
        c[4 * h + s] = _mm512_gf2p8affine_epi64_epi8(v, _mm512_set1_epi64(int64_t(bit_pair_matrix(s))), 0);
      else
        c[4 * h + s] = _mm512_and_si512(_mm512_srli_epi16(v, 2 * s), _mm512_set1_epi8(3));
    }
  }
}

// ggml's hsum_float_8 order per row: ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
inline __m512 lane_sum(const __m512 l[8]) {
  const __m512 s0 = _mm512_add_ps(l[0], l[4]), s1 = _mm512_add_ps(l[1], l[5]);
  const __m512 s2 = _mm512_add_ps(l[2], l[6]), s3 = _mm512_add_ps(l[3], l[7]);
  return _mm512_add_ps(_mm512_add_ps(s0, s2), _mm512_add_ps(s1, s3));
}

// Codes of lane L for 16 rows left in place: c[4h + s] = (bits 2s, 2s + 1 of each byte) * 4^s,
// one AND each (at most 2 * 64 = 128, still a valid unsigned byte for vpdpbusd). A sum over
// such codes is 4^s times the sum over the codes, exactly; x16_tile's one-token path undoes it.
inline void lane_codes_in_place(const uint8_t* q, __m512i c[8]) {
  for (int h = 0; h < 2; ++h) {
    const __m512i v = _mm512_loadu_si512(q + 64 * h);
    for (int s = 0; s < 4; ++s) c[4 * h + s] = _mm512_and_si512(v, _mm512_set1_epi8(char(3 << (2 * s))));
  }
}

// One block's vpdpbusd for T tokens, the reference's epilogue (x16_vnni.h ternary_blocks).
// Tiles of several tokens extract each code once for all of them. A single token (decode) would
// spend as many instructions extracting codes as multiplying them, on the same two vector pipes
// as vpdpbusd for GFNI or a shift; it masks them in place instead (lane_codes_in_place), one AND
// that other pipes run, and sums each bit position s in two chains of its own (the lane's first and
// second 64 code bytes), shifted down by 2s at the end of the block: the same exact int32. Zen 5,
// 2560 x 2560 from L2: 126 -> 169 GMAC/s. With one chain per position the chains' vpdpbusd (5
// cycles apart) capped the kernel at 3.4 G vpdpbusd/s, 55 GB/s of codes, which decode from memory
// felt: the microbench from memory 30.6 / 32.0 -> 35.8 / 34.7 GB/s with two, and decode's matrices
// alternating by kind in one process 0.80-0.88 -> 0.81-1.02 of a read of their bytes. On AMD the
// stream asks only for one line a page ahead (x16_vnni.h ternary_blocks, core/prefetch.h): software
// prefetch of every line 1 to 24 blocks ahead was slower in 2B4T decode (Zen 5, 1 thread,
// alternating runs: 91-93% of the bandwidth ceiling without, 82-87% with 1 to 4 blocks, 67-76% with
// 10 to 24), and so was each lane asking for its lines 4 KiB ahead as it reads them, as I2_S does
// (core/prefetch.h prefetch_line_ahead): 0.857 -> 0.813 of the paired ceiling at 2 threads, the
// same at 1. On an Intel Xeon that made it faster, 0.772 -> 0.883 at 2 threads: kLinesAhead says
// whether it does (core/prefetch.h every_kernel_asks_lines_ahead). There the walk runs in 8 streams
// (x16_vnni.h ternary_one_token), and each lane asks kStreamLinesAheadBytes (kernels_vnni.h) ahead
// instead of 4 KiB: builds alternating, 12 runs each, paired fraction 0.864 -> 0.892 at 2 threads
// and 0.916 -> 0.948 at 1 (2B4T TQ2_0, 22.3 -> 23.5 and 12.3 -> 12.8 tok/s); 2 KiB measured
// between, 512 bytes below.
// Eight streams 1 KiB ahead keep as many lines in flight as one stream 8 KiB ahead. The same change
// measured no better for the other kernels in streams (TQ1_0, Q8_0, Q4_0 at 1 KiB, I2_S in 4
// streams and F16 at 2 KiB: within 2% either way); I2_S later took it with 8 streams
// (matmul_i2s_x16_vnni.cpp).

template <int T, bool kGfni, bool kLinesAhead = false>
struct Dots {
  static constexpr int kChains = ternary_chains(T);
  void operator()(const uint8_t* blk, int64_t b, const Q8KBlock* const (&y)[T], __m512i (&sum)[T][kChains]) const {
    if constexpr (T == 1) {
      static_assert(kChains == 4, "one sum per bit position (its second chain is `hi`)");
      // Two chains per bit position (the block's first and second 64 code bytes of each lane).
      __m512i hi[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
      for (int lane = 0; lane < 8; ++lane) {
        __m512i c[8];
        if constexpr (kLinesAhead) {
          prefetch_line_ahead<kStreamLinesAheadBytes>(blk + 2 * kInterleaveRows + 128 * lane);
          prefetch_line_ahead<kStreamLinesAheadBytes>(blk + 2 * kInterleaveRows + 128 * lane + 64);
        }
        lane_codes_in_place(blk + 2 * kInterleaveRows + 128 * lane, c);
        for (int j = 0; j < 4; ++j) sum[0][j] = dpbusd_bcast(sum[0][j], c[j], y[0][b].qs + 4 * lane + 32 * j);
        for (int j = 4; j < 8; ++j) hi[j - 4] = dpbusd_bcast(hi[j - 4], c[j], y[0][b].qs + 4 * lane + 32 * j);
      }
      for (int m = 0; m < 4; ++m) sum[0][m] = _mm512_add_epi32(sum[0][m], hi[m]);
      for (int m = 1; m < 4; ++m) sum[0][m] = _mm512_srai_epi32(sum[0][m], 2 * m);
      return;
    }
    for (int lane = 0; lane < 8; ++lane) {
      __m512i c[8];
      lane_codes<kGfni>(blk + 2 * kInterleaveRows + 128 * lane, c);
      for (int j = 0; j < 8; ++j)
        for (int k = 0; k < T; ++k) {
          const int m = (8 * lane + j) % kChains;
          sum[k][m] = _mm512_dpbusd_epi32(sum[k][m], c[j], _mm512_set1_epi32(load_i32(y[k][b].qs + 4 * lane + 32 * j)));
        }
    }
  }
};

// Row group g x tokens [t0, t0 + T), ggml's 8 float lanes.
template <int T, bool kGfni>
void x16_tile_ggml(const MatmulArgs& a, const X16Spans& sp, int64_t g, int64_t t0, const LaneInit* inits) {
  const WeightMatrix& w = *a.w;
  const Q8KBlock* y[T];
  const LaneInit* init[T];
  tile_tokens(a, t0, inits, sp.n_blocks, y, init);
  __m512 acc[T][8];
  for (int k = 0; k < T; ++k)
    for (int lane = 0; lane < 8; ++lane) acc[k][lane] = _mm512_setzero_ps();
  for (int64_t b = 0; b < sp.n_blocks; ++b) {
    const uint8_t* blk = w.data + sp.block_offset(g, b);
    if constexpr (T == 1)
      for (int64_t i = 0; i < kBlockBytes; i += 64) _mm_prefetch(reinterpret_cast<const char*>(blk + 3 * kBlockBytes + i), _MM_HINT_T0);
    const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk)));
    __m512 d[T];
    for (int k = 0; k < T; ++k) d[k] = _mm512_mul_ps(_mm512_set1_ps(y[k][b].d), dx);  // dy * dx
    for (int lane = 0; lane < 8; ++lane) {
      __m512i c[8];
      lane_codes<kGfni>(blk + 2 * kInterleaveRows + 128 * lane, c);
      for (int k = 0; k < T; ++k) {
        const int8_t* q = y[k][b].qs + 4 * lane;
        // Two chains so consecutive vpdpbusd do not wait on each other; integer sums are exact.
        __m512i s0 = _mm512_set1_epi32(init[k][b].v[lane]), s1 = _mm512_setzero_si512();
        for (int j = 0; j < 8; j += 2) {
          s0 = _mm512_dpbusd_epi32(s0, c[j], _mm512_set1_epi32(load_i32(q + 32 * j)));
          s1 = _mm512_dpbusd_epi32(s1, c[j + 1], _mm512_set1_epi32(load_i32(q + 32 * (j + 1))));
        }
        acc[k][lane] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), d[k], acc[k][lane]);
      }
    }
  }
  const __m512 out_scale = _mm512_set1_ps(w.out_scale);
  for (int k = 0; k < T; ++k)
    _mm512_storeu_ps(a.y + (t0 + k) * w.rows + g * kInterleaveRows, _mm512_mul_ps(lane_sum(acc[k]), out_scale));
}

template <bool kGfni>
void x16_rows(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const X16Spans sp = x16_spans(*a.w);
  thread_local std::vector<int32_t> inits;
  ternary_block_offsets(a, sp.n_blocks, inits);
  if (a.n_tokens == 1) {
    const int64_t g0 = r0 / kInterleaveRows, g1 = r1 / kInterleaveRows;
    if (every_kernel_asks_lines_ahead())
      return ternary_one_token<kBlockBytes, 0>(a, sp, g0, g1, inits.data(), Dots<1, kGfni, true>{});
    return ternary_one_token<kBlockBytes, 0>(a, sp, g0, g1, inits.data(), Dots<1, kGfni>{});
  }
  for_each_tile<kTile, 4>(a, r0, r1, [&](auto T, int64_t g, int64_t t) {
    ternary_x16_tile<T(), kBlockBytes, 0>(a, sp, g, t, inits.data(), Dots<T(), kGfni>{});
  });
}

template <bool kGfni>
void x16_rows_ggml(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const X16Spans sp = x16_spans(*a.w);
  const int64_t nb = sp.n_blocks;
  thread_local std::vector<LaneInit> inits;
  inits.resize(size_t(a.n_tokens * nb));
  for (int64_t t = 0; t < a.n_tokens; ++t)
    lane_inits(reinterpret_cast<const Q8KBlock*>(a.xq + t * a.xq_stride), nb, &inits[size_t(t * nb)]);
  for_each_tile<kTile, 4>(a, r0, r1,
                          [&](auto T, int64_t g, int64_t t) { x16_tile_ggml<T(), kGfni>(a, sp, g, t, inits.data()); });
}

}  // namespace

void x16_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1, bool gfni) {
  if (gfni) x16_rows<true>(a, r0, r1);
  else x16_rows<false>(a, r0, r1);
}

void x16_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1) {
  x16_rows_tq2_q8k(a, r0, r1, cpu_features().gfni);
}

void x16_rows_tq2_q8k_ggml(const MatmulArgs& a, int64_t r0, int64_t r1, bool gfni) {
  if (gfni) x16_rows_ggml<true>(a, r0, r1);
  else x16_rows_ggml<false>(a, r0, r1);
}

void x16_rows_tq2_q8k_ggml(const MatmulArgs& a, int64_t r0, int64_t r1) {
  x16_rows_tq2_q8k_ggml(a, r0, r1, cpu_features().gfni);
}

}  // namespace trit::vnni
