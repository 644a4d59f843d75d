// AVX-512 VNNI I2_S x int8 matmul on weights in kernels/repack.h's 16-row layout.
//
// I2_S's dot is one exact int32 per row and token (the float epilogue, quant::i2_s_epilogue, runs
// once at the end), so any order of the integer additions gives the reference's bits. A 512-bit
// register holds 16 rows x 4 bytes of packed codes; each byte carries 4 elements (group g at
// bits 6 - 2g, elements 32g + j of the 128-element block), so one load yields 4 code registers,
// and one vpdpbusd against 4 broadcast activation bytes advances 16 rows. The int32 accumulators
// run across all blocks of a row; there is no per-block float work at all.
//
// Blocking: kTile tokens share each loaded chunk of codes; kChunkGroups row groups stay in L2 while
// the token tiles pass.
//
// One token (decode) masks each code group in place instead of extracting it (group grp times
// 4^(3 - grp), one AND, which runs beside vpdpbusd where GFNI or a shift competes with it), sums each
// group in its own chain and folds the chains, shifted down, into the row's sum every
// kFoldBlocks blocks and at the end: the same exact int32 (a chain gains at most 32 * 128 * 127 per
// block, so folding every 2048 blocks keeps it under 2^31 whatever the row's length). Measured on
// Zen 5: 160 against 126 GMAC/s from L2. Its stream asks for one line a page ahead, and for each
// line it reads 4 KiB further on as it reads it (core/prefetch.h: 0.871 -> 0.889 of the paired
// ceiling at 2 threads, 0.941 -> 0.957 at 1). Asked for 8 blocks at a time, before the masking of
// each block and the dual chains, the same lines had measured slower (2B4T decode at 1 thread,
// alternating runs: 93-94% of the bandwidth ceiling without, 90% with).
// Where the token's walk runs in streams (one_token_streams), each stream sums a block in two
// chains instead, one of them shifted (block_two_chains), to keep the streams' sums in registers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "core/cpu.h"
#include "core/prefetch.h"
#include "kernels/kernels_vnni.h"
#include "kernels/repack.h"
#include "kernels/x16_vnni.h"
#include "quant/i2_s.h"

namespace trit::vnni {
namespace {

using quant::kI2sBlockBytes;
using quant::kQK_I2_S;

constexpr int kTile = 8;
constexpr int64_t kBlockBytes = kInterleaveRows * kI2sBlockBytes;  // 512
// One token: blocks between folds of the in-place chains (above); 2048 * 32 * 128 * 127 < 2^31.
constexpr int64_t kFoldBlocks = 2048;


struct Token {
  const int8_t* q;
  I8ActHeader h;
};

Token token(const MatmulArgs& a, int64_t t) {
  Token tok;
  const uint8_t* p = a.xq + t * a.xq_stride;
  std::memcpy(&tok.h, p, sizeof(I8ActHeader));
  tok.q = reinterpret_cast<const int8_t*>(p + sizeof(I8ActHeader));
  return tok;
}

// One token's chains in one stream: two per code group (even and odd 64-byte steps of a block), so
// that a chain's vpdpbusd (5 cycles apart on Zen 5) do not hold up the stream: four chains capped
// the kernel at 3.4 G vpdpbusd/s, 55 GB/s of codes, which decode from memory feels (below). The
// sums are exact integers, so the chains change no bit.
constexpr int kInPlaceChains = 8;

// One block of 16 rows against one token's activations q (the block's 128), the codes masked in
// place: group grp's sums, times 4^(3 - grp), go to chain acc[grp], or acc[grp + 4] for odd steps
// (above). Each line is asked for kLinesAheadBytes further on as it is read.
inline void block_in_place(const uint8_t* blk, const int8_t* q, __m512i (&acc)[kInPlaceChains]) {
  for (int m = 0; m < 8; ++m) {  // bytes 4m..4m+3 of each row's block
    prefetch_line_ahead(blk + 64 * m);
    const __m512i v = _mm512_loadu_si512(blk + 64 * m);
    for (int grp = 0; grp < 4; ++grp) {  // group grp at bits 6 - 2 grp
      __m512i& chain = acc[grp + 4 * (m % 2)];
      chain = dpbusd_bcast(chain, _mm512_and_si512(v, _mm512_set1_epi8(char(3 << (6 - 2 * grp)))), q + 4 * m + 32 * grp);
    }
  }
}

// The chains of block_in_place, shifted down and added to `raw`, then cleared. Each chain holds a
// multiple of 4^(3 - grp), so shifting the group's sum is exact.
inline __m512i fold(__m512i raw, __m512i (&acc)[kInPlaceChains]) {
  for (int grp = 0; grp < 4; ++grp) {
    raw = _mm512_add_epi32(raw, _mm512_srai_epi32(_mm512_add_epi32(acc[grp], acc[grp + 4]), 6 - 2 * grp));
    acc[grp] = acc[grp + 4] = _mm512_setzero_si512();
  }
  return raw;
}

// One block of 16 rows for the walks in streams, in two chains: groups 0 and 2 masked to bits 2-3
// (group 0 after a 4-bit shift), so both add 4 times their codes' dot to by4, and groups 1 and 3
// masked to bits 0-1 to by1. by4 / 4 + by1 is then the exact int32 (by4 a multiple of 4; a chain
// gains at most 2 * 32 * 12 * 128 a block, so a span of up to kFoldBlocks blocks stays under
// 2^31). Two chains a stream keep 8 streams' sums in 16 registers, where 4 (block_in_place's
// kSets = 1 before) made 32, and GCC kept them all in memory, a load and a store around each
// vpdpbusd. Each line is asked for kStreamLinesAheadBytes further on as it is read.
__attribute__((always_inline)) inline void block_two_chains(const uint8_t* blk, const int8_t* q, __m512i& by4, __m512i& by1) {
  const __m512i bits23 = _mm512_set1_epi8(0x0c), bits01 = _mm512_set1_epi8(0x03);
  unrolled<8>([&](auto m) __attribute__((always_inline)) {  // bytes 4m..4m+3 of each row's block
    prefetch_line_ahead<kStreamLinesAheadBytes>(blk + 64 * m);
    const __m512i v = _mm512_loadu_si512(blk + 64 * m);
    const __m512i down4 = _mm512_srli_epi16(v, 4);  // groups 0, 1 at bits 2-3, 0-1
    by4 = dpbusd_bcast_at<4 * m>(by4, _mm512_and_si512(down4, bits23), q);
    by1 = dpbusd_bcast_at<4 * m + 32>(by1, _mm512_and_si512(down4, bits01), q);
    by4 = dpbusd_bcast_at<4 * m + 64>(by4, _mm512_and_si512(v, bits23), q);
    by1 = dpbusd_bcast_at<4 * m + 96>(by1, _mm512_and_si512(v, bits01), q);
  });
}

// quant::i2_s_epilogue per row: (float(raw) - float(sum)) / scale * wscale, then * out_scale.
inline __m512 epilogue(__m512i raw, const Token& tok, const WeightMatrix& w) {
  const __m512 v = _mm512_mul_ps(_mm512_div_ps(_mm512_sub_ps(_mm512_cvtepi32_ps(raw), _mm512_set1_ps(float(tok.h.sum))),
                                               _mm512_set1_ps(tok.h.scale)),
                                 _mm512_set1_ps(w.tensor_scale));
  return _mm512_mul_ps(v, _mm512_set1_ps(w.out_scale));
}

// Row group g x tokens [t0, t0 + T); kGfni: the code extraction of matmul_ternary_x16_vnni.cpp.
template <int T, bool kGfni>
void x16_tile(const MatmulArgs& a, const X16Spans& sp, int64_t g, int64_t t0) {
  const WeightMatrix& w = *a.w;
  Token tok[T];
  for (int k = 0; k < T; ++k) tok[k] = token(a, t0 + k);
  constexpr int kChains = T < 4 ? 4 : 1;  // one token: a chain per code group, for latency
  __m512i acc[kChains][T];
  for (int c = 0; c < kChains; ++c)
    for (int k = 0; k < T; ++k) acc[c][k] = _mm512_setzero_si512();
  const __m512i mask = _mm512_set1_epi8(3);
  __m512i one[kInPlaceChains], folded = _mm512_setzero_si512();  // one token: its chains, and the row sums folded so far
  for (auto& c : one) c = _mm512_setzero_si512();
  for (int64_t s = 0; s < sp.n_spans(); ++s) {
    const uint8_t* p = w.data + sp.offset(s, g);  // the group's blocks of span s
    for (int64_t b = sp.first(s); b < sp.first(s) + sp.width(s); ++b, p += kBlockBytes) {
      if constexpr (T == 1) {
        if (b > 0 && b % kFoldBlocks == 0) folded = fold(folded, one);
        block_in_place(p, tok[0].q + b * kQK_I2_S, one);
        continue;
      }
      for (int m = 0; m < 8; ++m) {  // bytes 4m..4m+3 of each row's block
        const __m512i v = _mm512_loadu_si512(p + 64 * m);
        __m512i c[4];  // group grp at bits 6 - 2 grp
        for (int grp = 0; grp < 3; ++grp) {
          if constexpr (kGfni)
            c[grp] = _mm512_gf2p8affine_epi64_epi8(v, _mm512_set1_epi64(int64_t(bit_pair_matrix(3 - grp))), 0);
          else
            c[grp] = _mm512_and_si512(_mm512_srli_epi16(v, 6 - 2 * grp), mask);
        }
        c[3] = _mm512_and_si512(v, mask);
        for (int k = 0; k < T; ++k) {
          const int8_t* q = tok[k].q + b * kQK_I2_S + 4 * m;
          for (int grp = 0; grp < 4; ++grp)
            acc[grp % kChains][k] =
                _mm512_dpbusd_epi32(acc[grp % kChains][k], c[grp], _mm512_set1_epi32(load_i32(q + 32 * grp)));
        }
      }
    }
  }
  for (int k = 0; k < T; ++k) {
    __m512i raw = acc[0][k];
    for (int c = 1; c < kChains; ++c) raw = _mm512_add_epi32(raw, acc[c][k]);
    if constexpr (T == 1) raw = fold(folded, one);
    _mm512_storeu_ps(a.y + (t0 + k) * w.rows + g * kInterleaveRows, epilogue(raw, tok[k], w));
  }
}

// One token, row groups [g0, g1), span by span, each group's exact int32 sum so far waiting in y
// (its bits) between spans. A span (at most kTernaryWideSpanColumns / 128 blocks) is within
// kFoldBlocks, so one fold per span keeps the chains exact. Where one_token_reads_streams()
// (core/prefetch.h), the groups are cut into kStreams parts walked side by side, block by block
// (as x16_vnni.h ternary_one_token_streams does), each in 2 chains (block_two_chains); else in
// memory order, in 8 (one_token_in_order). Four streams on an Intel Xeon (2 vCPUs), 2B4T I2_S
// decode, builds alternating: 0.853 -> 0.887 of the paired ceiling at 1 thread, 0.835 -> 0.886 at
// 2; six measured no better (0.897 -> 0.889). Then eight asking each line 1 KiB ahead instead of
// 4 KiB, as TQ2_0 does (kStreamLinesAheadBytes), builds alternating at 2 threads: 0.889 -> 0.913
// (8 runs), 0.897 -> 0.905 (10), 0.891 -> 0.899 (16), and 0.891 -> 0.906 with parts of the whole
// matrix as well (no further gain, not kept); the committed build 0.881 -> 0.890 (12 runs); at 1
// thread 0.915 both and 0.893 -> 0.895. Eight streams 4 KiB ahead: 0.874 -> 0.875. All these with
// 4 chains a stream, in memory (above); in 2 chains, in registers, builds alternating at 2
// threads: 0.900 -> 0.943 (8 runs), 0.912 -> 0.950 (10), 0.925 -> 0.936 (8); at 1 thread 0.921 ->
// 0.962 (6); 2560 x 2560 from L2 (microbench, 1 thread) 19.4 -> 29.3 GB/s. Then 4 streams
// instead of 8: 0.950 -> 0.947 (8 runs).
template <int kStreams>
void one_token_streams(const MatmulArgs& a, const X16Spans& sp, int64_t g0, int64_t g1) {
  static_assert(kTernaryWideSpanColumns / kQK_I2_S <= kFoldBlocks);
  const WeightMatrix& w = *a.w;
  const Token tok = token(a, 0);
  for (int64_t s = 0; s < sp.n_spans(); ++s) {
    auto run = [&]<int kSide>(const int64_t (&g)[kSide]) {
      const uint8_t* p[kSide];
      __m512i by4[kSide], by1[kSide];
      unrolled<kSide>([&](auto k) __attribute__((always_inline)) {
        p[k] = w.data + sp.offset(s, g[k]);
        by4[k] = by1[k] = _mm512_setzero_si512();
      });
      const int8_t* q = tok.q + sp.first(s) * kQK_I2_S;
      for (int64_t b = 0; b < sp.width(s); ++b, q += kQK_I2_S)
        unrolled<kSide>([&](auto k) __attribute__((always_inline)) {
          prefetch_stream_ahead(p[k], kBlockBytes);
          block_two_chains(p[k], q, by4[k], by1[k]);
          p[k] += kBlockBytes;
        });
      unrolled<kSide>([&](auto k) __attribute__((always_inline)) {
        float* out = a.y + g[k] * kInterleaveRows;
        __m512i raw = _mm512_add_epi32(_mm512_srai_epi32(by4[k], 2), by1[k]);
        if (s > 0) raw = _mm512_add_epi32(raw, _mm512_loadu_si512(out));
        if (s + 1 == sp.n_spans()) _mm512_storeu_ps(out, epilogue(raw, tok, w));
        else _mm512_storeu_si512(out, raw);
      });
    };
    for_each_side_by_side<kStreams>(a, g0, g1, run);
  }
}

// One token in memory order, one stream (where !one_token_reads_streams()): block_in_place's 8
// chains.
void one_token_in_order(const MatmulArgs& a, const X16Spans& sp, int64_t g0, int64_t g1) {
  static_assert(kTernaryWideSpanColumns / kQK_I2_S <= kFoldBlocks);
  const WeightMatrix& w = *a.w;
  const Token tok = token(a, 0);
  for (int64_t s = 0; s < sp.n_spans(); ++s)
    for (int64_t g = g0; g < g1; ++g) {
      __m512i acc[kInPlaceChains];
      for (auto& c : acc) c = _mm512_setzero_si512();
      const uint8_t* p = w.data + sp.offset(s, g);
      for (int64_t b = sp.first(s); b < sp.first(s) + sp.width(s); ++b, p += kBlockBytes) {
        prefetch_stream_ahead(p, kBlockBytes);
        block_in_place(p, tok.q + b * kQK_I2_S, acc);
      }
      float* out = a.y + g * kInterleaveRows;
      const __m512i raw = fold(s == 0 ? _mm512_setzero_si512() : _mm512_loadu_si512(out), acc);
      if (s + 1 == sp.n_spans()) _mm512_storeu_ps(out, epilogue(raw, tok, w));
      else _mm512_storeu_si512(out, raw);
    }
}

void one_token(const MatmulArgs& a, const X16Spans& sp, int64_t g0, int64_t g1) {
  if (one_token_reads_streams()) return one_token_streams<kI2sOneTokenStreams>(a, sp, g0, g1);
  one_token_in_order(a, sp, g0, g1);
}

template <bool kGfni>
void x16_rows(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const X16Spans sp = x16_spans(*a.w);
  if (a.n_tokens == 1) return one_token(a, sp, r0 / kInterleaveRows, r1 / kInterleaveRows);
  for_each_tile<kTile, 4>(a, r0, r1, [&](auto T, int64_t g, int64_t t) { x16_tile<T(), kGfni>(a, sp, g, t); });
}

}  // namespace

void x16_rows_i2s_i8(const MatmulArgs& a, int64_t r0, int64_t r1, bool gfni) {
  if (gfni) x16_rows<true>(a, r0, r1);
  else x16_rows<false>(a, r0, r1);
}

void x16_rows_i2s_i8(const MatmulArgs& a, int64_t r0, int64_t r1) { x16_rows_i2s_i8(a, r0, r1, cpu_features().gfni); }

}  // namespace trit::vnni
