// Shared by the kernels on kernels/repack.h's 16-row layout (matmul_*_x16_vnni.cpp). Include ONLY
// from files compiled with the AVX-512 flags (CMakeLists.txt).
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "core/prefetch.h"
#include "kernels/kernels_vnni.h"
#include "kernels/matmul_variants.h"
#include "kernels/repack.h"
#include "quant/q8_k.h"

namespace trit::vnni {
// Internal linkage on purpose (see avx2_common.h).
namespace {

// Row groups that stay in L2 while every token tile passes over them.
constexpr int64_t kChunkGroups = 4;

inline int32_t load_i32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// sum += vpdpbusd(codes, the 4 activation bytes at q broadcast to every lane), the broadcast
// folded into the instruction as a {1to16} memory operand: GCC 12 emits a separate vpbroadcastd
// for _mm512_set1_epi32 of a load, one more instruction per vpdpbusd in the decode loops. 2B4T's
// decode matmul sequence at 1 thread, from memory, both versions in one process alternating tokens
// between read passes (30 each, four rounds): I2_S 0.907-0.946 -> 0.909-0.966 of the read speed
// (higher in each round), TQ2_0 0.944-0.971 both; the same speed from L2 (microbench).
inline __m512i dpbusd_bcast(__m512i sum, __m512i codes, const int8_t* q) {
  asm("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(sum) : "v"(codes), "m"(*reinterpret_cast<const int32_t*>(q)));
  return sum;
}

// f(k) for k = 0 .. kCount - 1, each k a std::integral_constant: the loop unrolled, so arrays that
// f indexes by k stay in registers (GCC keeps them in memory under a runtime index). Give f
// __attribute__((always_inline)) after its parameters: else GCC may call it outlined, its
// captures in memory.
template <int kCount, class F>
__attribute__((always_inline)) inline void unrolled(F&& f) {
  [&]<int... k>(std::integer_sequence<int, k...>) __attribute__((always_inline)) {
    (f(std::integral_constant<int, k>{}), ...);
  }(std::make_integer_sequence<int, kCount>{});
}

// dpbusd_bcast of the 4 bytes at q + kOffset, addressed as q's register plus a constant: with a
// pointer per offset, GCC 12 computed each address apart and kept them in spare vector registers
// (an lea and a vmovq per vpdpbusd) when several streams shared q. The memory operand (the bytes
// up to the offset's) tells the compiler what the instruction reads.
template <int kOffset>
inline __m512i dpbusd_bcast_at(__m512i sum, __m512i codes, const int8_t* q) {
  asm("vpdpbusd %c3(%2)%{1to16%}, %1, %0"
      : "+v"(sum)
      : "v"(codes), "r"(q), "i"(kOffset), "m"(*reinterpret_cast<const int8_t(*)[kOffset + 4]>(q)));
  return sum;
}

// The GF(2) bit matrix for gf2p8affineqb (output bit i is the parity of x AND byte 7 - i of the
// matrix) that moves bits 2s, 2s + 1 of each byte to bits 0, 1 and clears the rest.
constexpr uint64_t bit_pair_matrix(int s) {
  return (uint64_t(1u << (2 * s)) << 56) | (uint64_t(1u << (2 * s + 1)) << 48);
}

// Row group g's first byte.
inline const uint8_t* group_base(const WeightMatrix& w, int64_t g) {
  return w.data + g * kInterleaveRows * int64_t(w.row_bytes);
}

// Tokens [t0, t0 + T) of a tile: each one's quantized row as `Block`s (y), and its `nb` per-block
// values in `side` (s: side + t * nb for token t).
template <class Block, class Side, int T>
void tile_tokens(const MatmulArgs& a, int64_t t0, const Side* side, int64_t nb, const Block* (&y)[T],
                 const Side* (&s)[T]) {
  for (int k = 0; k < T; ++k) {
    y[k] = reinterpret_cast<const Block*>(a.xq + (t0 + k) * a.xq_stride);
    s[k] = side + (t0 + k) * nb;
  }
}

// The ternary kernels store codes 0..2 (value + 1): out[t * nb + b] = minus token t's activation
// sum over Q8_K block b, the start of each (token, block) integer sum. out is resized to fit.
inline void ternary_block_offsets(const MatmulArgs& a, int64_t nb, std::vector<int32_t>& out) {
  out.resize(size_t(a.n_tokens * nb));
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    const auto* y = reinterpret_cast<const quant::Q8KBlock*>(a.xq + t * a.xq_stride);
    for (int64_t b = 0; b < nb; ++b) {
      int32_t s = 0;
      for (int16_t v : y[b].bsums) s += v;
      out[size_t(t * nb + b)] = -s;
    }
  }
}

// Integer chains per token of the ternary tiles: one token's 64 vpdpbusd per block would be one
// dependency chain, so small tiles split it.
constexpr int ternary_chains(int T) { return T >= 4 ? 1 : 4; }

// The ternary 16-row tiles with the scalar reference's epilogue (TQ2_0, TQ1_0). Per block
// (kBlockBytes: 16 f16 scales, then the codes), each token's exact int32 sums of 16 rows start from
// inits[t * nb + b] (ternary_block_offsets) in ternary_chains(T) chains; dots(blk, b, y, sum) adds
// the block's vpdpbusd to them. Then acc += float(sum) * (dy * dx) without FMA, block after block
// in column order, and y = acc * out_scale: the reference's bits, however the blocks are walked
// (kernels/repack.h's spans). ternary_blocks runs the contiguous blocks [b0, b1) at p.
// Decode (T = 1) asks for one line a page ahead of its stream (core/prefetch.h), and for each
// whole block kPrefetchBlocks blocks ahead as well (0: not at all).
template <int T, int64_t kBlockBytes, int kPrefetchBlocks, class Dots>
__attribute__((always_inline)) inline void ternary_blocks(const uint8_t* p, int64_t b0, int64_t b1, const quant::Q8KBlock* const (&y)[T],
                           const int32_t* const (&init)[T], __m512 (&acc)[T], Dots& dots) {
  constexpr int kChains = ternary_chains(T);
  for (int64_t b = b0; b < b1; ++b) {
    const uint8_t* blk = p + (b - b0) * kBlockBytes;
    if constexpr (T == 1) prefetch_stream_ahead(blk, kBlockBytes);
    if constexpr (T == 1 && kPrefetchBlocks > 0)
      for (int64_t i = 0; i < kBlockBytes; i += 64)
        _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetchBlocks * kBlockBytes + i), _MM_HINT_T0);
    __m512i sum[T][kChains];
    for (int k = 0; k < T; ++k) {
      sum[k][0] = _mm512_set1_epi32(init[k][b]);
      for (int m = 1; m < kChains; ++m) sum[k][m] = _mm512_setzero_si512();
    }
    dots(blk, b, y, sum);
    const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk)));
    for (int k = 0; k < T; ++k) {
      __m512i s = sum[k][0];
      for (int m = 1; m < kChains; ++m) s = _mm512_add_epi32(s, sum[k][m]);
      acc[k] = _mm512_add_ps(acc[k], _mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(_mm512_set1_ps(y[k][b].d), dx)));
    }
  }
}

// Row group g x tokens [t0, t0 + T): the group's spans in order, the sums in registers.
template <int T, int64_t kBlockBytes, int kPrefetchBlocks, class Dots>
void ternary_x16_tile(const MatmulArgs& a, const X16Spans& sp, int64_t g, int64_t t0, const int32_t* inits, Dots&& dots) {
  const WeightMatrix& w = *a.w;
  const quant::Q8KBlock* y[T];
  const int32_t* init[T];
  tile_tokens(a, t0, inits, sp.n_blocks, y, init);
  __m512 acc[T];
  for (int k = 0; k < T; ++k) acc[k] = _mm512_setzero_ps();
  for (int64_t s = 0; s < sp.n_spans(); ++s)
    ternary_blocks<T, kBlockBytes, kPrefetchBlocks>(w.data + sp.offset(s, g), sp.first(s), sp.first(s) + sp.width(s), y,
                                                    init, acc, dots);
  const __m512 out_scale = _mm512_set1_ps(w.out_scale);
  for (int k = 0; k < T; ++k)
    _mm512_storeu_ps(a.y + (t0 + k) * w.rows + g * kInterleaveRows, _mm512_mul_ps(acc[k], out_scale));
}

// Float running sums of 16 rows at `out` across spans: zero before span 0, else what the previous
// span stored; after span s, stored as they are, or times out_scale after the last span.
inline __m512 span_sums_in(const float* out, int64_t s) { return s == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(out); }
inline void span_sums_out(float* out, __m512 sums, const X16Spans& sp, int64_t s, float out_scale) {
  _mm512_storeu_ps(out, s + 1 == sp.n_spans() ? _mm512_mul_ps(sums, _mm512_set1_ps(out_scale)) : sums);
}

// side(g) with g an int64_t[count] (0 < count <= kStreams, a compile-time kSide for side): the
// groups first[k] + offset of the first `count` parts.
template <int kStreams, class Side>
inline void first_parts(int64_t count, const int64_t (&first)[kStreams], int64_t offset, Side& side) {
  [&]<int... kLess>(std::integer_sequence<int, kLess...>) {
    auto run = [&]<int kSide>() {
      int64_t g[kSide];
      for (int k = 0; k < kSide; ++k) g[k] = first[k] + offset;
      side(g);
    };
    ((count == kLess + 1 ? run.template operator()<kLess + 1>() : void()), ...);
  }(std::make_integer_sequence<int, kStreams>{});
}

// A one-token walk in kStreams parts side by side (core/prefetch.h one_token_reads_streams): side(g)
// runs with g an int64_t[kSide] of row groups, one from each part that has one, step by step.
// With a.part_groups (MatmulArgs: matmul() cut the whole matrix into a.parts parts, and threads
// claim ranges of steps), [g0, g1) are the steps to walk. Otherwise [g0, g1) are groups, cut here
// into kStreams parts of as many groups (the last ones shorter or empty).
//
// Why the whole matrix: a thread walks its consecutive claims as the same streams, so they do not
// start afresh at each piece it claims (ThreadPool::parallel_for_dynamic's halving claims, about 5
// pieces a thread and call). A throwaway harness of 2560 x 2560 TQ2_0 calls from memory at 1
// thread read 0.93 of the read speed in one piece and 0.78 in pieces of 10 groups. 2B4T TQ2_0
// decode at 2 threads, paired fraction: tokens alternating between the two walks in one process
// (80 each, two rounds) 0.908 / 0.917 -> 0.932 / 0.945; builds alternating 0.869 -> 0.903 (8 runs)
// and 0.874 -> 0.893 (12). Claiming each thread's whole share instead (one piece each) measured
// slower in decode: the claims' balance between threads counts more. The other kernels measured
// no better in parts of the whole matrix, within the noise either way (2 threads, one process /
// builds: 2B4T I2_S 0.872 -> 0.854 / 0.893 -> 0.884, 1B F16 0.925 -> 0.911 / 0.934 -> 0.922, 1B
// Q8_0 0.932 -> 0.937 / 0.949 -> 0.956, 1B Q4_0 0.892 -> 0.902 / 0.956 -> 0.909, 2B4T TQ1_0 0.727
// -> 0.738 / 0.767 -> 0.754), so they keep parts of each call's rows.
template <int kStreams, class Side>
inline void for_each_side_by_side(const MatmulArgs& a, int64_t g0, int64_t g1, Side&& side) {
  TRIT_ASSERT(a.part_groups == 0 || a.parts == kStreams);
  const bool whole_matrix = a.part_groups > 0;
  const int64_t per_part = whole_matrix ? a.part_groups : (g1 - g0 + kStreams - 1) / kStreams;
  const int64_t end = whole_matrix ? a.w->rows / kInterleaveRows : g1;
  int64_t first[kStreams];
  for (int k = 0; k < kStreams; ++k) first[k] = (whole_matrix ? 0 : g0) + k * per_part;
  const int64_t j0 = whole_matrix ? g0 : 0, j1 = whole_matrix ? g1 : per_part;
  for (int64_t j = j0; j < j1; ++j) {
    // The parts with a group j: a prefix, as only the last parts are shorter.
    const int64_t there = std::min<int64_t>(kStreams, (end - first[0] - j + per_part - 1) / per_part);
    first_parts<kStreams>(there, first, j, side);
  }
}

// One token, row groups [g0, g1) (or steps: for_each_side_by_side), span by span: the parts'
// groups walked side by side, block by block, so kStreams streams advance together (core/prefetch.h
// one_token_reads_streams). Each group's sum takes the same additions in the same order as
// ternary_x16_tile<1>, so the same bits.
template <int kStreams, int64_t kBlockBytes, int kPrefetchBlocks, class Dots>
void ternary_one_token_streams(const MatmulArgs& a, const X16Spans& sp, int64_t g0, int64_t g1,
                               const int32_t* inits, Dots& dots) {
  const quant::Q8KBlock* y[1];
  const int32_t* init[1];
  tile_tokens(a, 0, inits, sp.n_blocks, y, init);
  const WeightMatrix& w = *a.w;
  for (int64_t s = 0; s < sp.n_spans(); ++s) {
    const int64_t b0 = sp.first(s), b1 = b0 + sp.width(s);
    auto run = [&]<int kSide>(const int64_t (&g)[kSide]) {
      __m512 acc[kSide][1];
      for (int k = 0; k < kSide; ++k) acc[k][0] = span_sums_in(a.y + g[k] * kInterleaveRows, s);
      for (int64_t b = b0; b < b1; ++b)
        for (int k = 0; k < kSide; ++k)
          ternary_blocks<1, kBlockBytes, kPrefetchBlocks>(w.data + sp.offset(s, g[k]) + (b - b0) * kBlockBytes, b, b + 1, y,
                                                          init, acc[k], dots);
      for (int k = 0; k < kSide; ++k) span_sums_out(a.y + g[k] * kInterleaveRows, acc[k][0], sp, s, w.out_scale);
    };
    for_each_side_by_side<kStreams>(a, g0, g1, run);
  }
}

// Walked by ternary_one_token_streams: in kStreams streams where one_token_reads_streams(), else
// in one, the layout's memory order.
template <int64_t kBlockBytes, int kPrefetchBlocks, class Dots>
void ternary_one_token(const MatmulArgs& a, const X16Spans& sp, int64_t g0, int64_t g1, const int32_t* inits, Dots&& dots) {
  constexpr int kStreams = kTernaryOneTokenStreams;
  if (one_token_reads_streams())
    return ternary_one_token_streams<kStreams, kBlockBytes, kPrefetchBlocks>(a, sp, g0, g1, inits, dots);
  ternary_one_token_streams<1, kBlockBytes, kPrefetchBlocks>(a, sp, g0, g1, inits, dots);
}

// Tokens [t, n) in tiles of kSize while they fit, then of the smaller sizes that follow:
// tile(size, t) with size a std::integral_constant<int, T> runs tokens [t, t + T).
template <int kSize, int... kSmaller, class Tile>
void token_tiles(int64_t t, int64_t n, Tile&& tile) {
  for (; t + kSize <= n; t += kSize) tile(std::integral_constant<int, kSize>{}, t);
  if constexpr (sizeof...(kSmaller) > 0) token_tiles<kSmaller...>(t, n, tile);
}

// Row groups [r0 / 16, r1 / 16) x all tokens, in chunks of kChunkGroups groups; in each chunk,
// token tiles of the sizes kSizes (descending, token_tiles), then single tokens, each over the
// chunk's groups. tile(size, g, t) runs row group g x tokens [t, t + size).
template <int... kSizes, class Tile>
void for_each_tile(const MatmulArgs& a, int64_t r0, int64_t r1, Tile&& tile) {
  const int64_t g0 = r0 / kInterleaveRows, g1 = r1 / kInterleaveRows;
  for (int64_t gc = g0; gc < g1; gc += kChunkGroups) {
    const int64_t gc_end = std::min(g1, gc + kChunkGroups);
    token_tiles<kSizes..., 1>(0, a.n_tokens, [&](auto size, int64_t t) {
      for (int64_t g = gc; g < gc_end; ++g) tile(size, g, t);
    });
  }
}

}  // namespace
}  // namespace trit::vnni
