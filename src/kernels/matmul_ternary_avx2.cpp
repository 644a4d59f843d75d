// AVX2 ternary matmuls: TQ2_0 and TQ1_0 against Q8_K, I2_S against per-token int8.
//
// Exactness: every integer dot is the reference's exact int32 (codes 0..2 as unsigned bytes times
// int8 activations with vpmaddubsw, which cannot saturate: 2 * 2 * 128 < 32767; the -1 bias of the
// codes is removed with the activation sums, bsums for Q8_K, the token sum for I2_S). The float
// part: TQ1_0 is the reference's own (per block sum += float(sumi) * (dy * dx), in block order, one
// float accumulator per output, no FMA: -ffp-contract=off), so it equals quant/'s vec_dot bit for
// bit; TQ2_0 is llama.cpp's x86 one (Tq2Kernel), its outputs llama.cpp's to the last bit; I2_S is
// quant/i2_s.h's epilogue of the row's raw dot.
//
// Blocking: tokens in tiles of 8 (then 4, 2, 1), each tile's activations rearranged block by block
// (TileBlock) once a call; each weight block's codes are unpacked once for the whole tile. On
// AVX2 a block's dot is op-bound: per block and token 8 vpmaddubsw, 8 int16 adds and the float
// epilogue (about 21 vector instructions) plus the unpack, 14 instructions for TQ2_0 and about
// 55 for TQ1_0, which a tile of 8 shares. Rows are visited in chunks of kRowChunk so a chunk's
// weights stay in L1 / L2 while every tile passes over them, and long rows in passes whose tile
// activations stay in L1 (pass_bytes). One token (decode) unpacks TQ2_0 and
// I2_S with fewer instructions (tq2_one_token_sum16, i2s_rows_one_token) and walks their rows in
// kTernaryStreams streams where one_token_reads_streams() (one_token_streams); TQ1_0 in one
// (Tq1Kernel::kStreams).
#include <cstring>
#include <vector>

#include "core/cpu.h"
#include "core/prefetch.h"
#include "kernels/avx2_common.h"
#include "kernels/kernels_avx2.h"
#include "kernels/ternary_unpack_avx2.h"
#include "quant/i2_s.h"
#include "quant/q8_k.h"
#include "quant/tq1_0.h"
#include "quant/tq2_0.h"

namespace trit::avx2 {
namespace {

using quant::kQK_K;
using quant::Q8KBlock;

constexpr int64_t kRowChunk = 16;  // rows whose weights are reused by every token tile

// A tile of several tokens reads its activations (a TileBlock per block, 2.3 KB for 8 tokens)
// once for every row of the chunk, and they stay in L1 only while the row is short: 2B4T's FFN
// down projection (6912 columns, 27 blocks) holds 63 KB of them for 8 tokens, which with the
// chunk's 28 KB of weights overflows any L1 and made each row re-read them from L2. So the blocks
// of a row are walked in passes of at most half of L1 of activations (each row's sums carried
// from pass to pass, in block order: the same bits), the rest left to the weights. Zen 5 (48 KiB
// L1), TRIT_ISA=avx2, trit_microbench 1 thread, 128 tokens, builds alternating: TQ2_0 2560 x 6912
// 77.7 -> 95.1 GMAC/s in passes of 16 KiB, 96.3 in passes of 24 KiB (8 rounds); but 16 KiB cuts
// the 2560-column rows too (23 KB for 8 tokens), and they measured 108.8 -> 102.8 (TQ1_0 83.6 ->
// 81.0) in a quiet set of 5 rounds, where 24 KiB keeps them one pass. 2B4T pp128 at 16 KiB, 1
// thread, 4 rounds: TQ2_0 39.2 -> 41.0 tok/s, TQ1_0 37.6 -> 38.5, I2_S 39.1 -> 39.5.
inline size_t pass_bytes() { return size_t(cpu_features().l1d_bytes / 2); }

// Blocks per pass for a row of nb blocks whose activations take block_bytes each: equal passes.
inline int64_t blocks_per_pass(int64_t nb, size_t block_bytes) {
  const auto limit = int64_t(pass_bytes());
  const int64_t passes = (int64_t(block_bytes) * nb + limit - 1) / limit;
  return (nb + passes - 1) / passes;
}

// The activations of a tile of T tokens, block by block: every value one block of the tile needs at
// a constant offset from one pointer (with separate pointers per token, the 3T addresses of a block
// did not fit the general registers beside the loop's and GCC spilled them). off holds the lane
// offsets madd(bsums, 1): lane L = bsums 2L + bsums 2L + 1, the activation sum of the elements of
// lane L (bytes 4L .. 4L + 3 of each 32). Built once a call per tile and shared by every row.
template <int T>
struct alignas(32) TileBlock {
  int8_t qs[T][kQK_K];
  int32_t off[T][8];
  float d[T];
};

template <int T>
void pack_tile(const MatmulArgs& a, int64_t t0, int64_t nb, TileBlock<T>* out) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (int k = 0; k < T; ++k) {
    const auto* y = reinterpret_cast<const Q8KBlock*>(a.xq + (t0 + k) * a.xq_stride);
    for (int64_t b = 0; b < nb; ++b) {
      std::memcpy(out[b].qs[k], y[b].qs, kQK_K);
      _mm256_store_si256(reinterpret_cast<__m256i*>(out[b].off[k]), _mm256_madd_epi16(loadu(y[b].bsums), ones));
      out[b].d[k] = y[b].d;
    }
  }
}

// s16[k] += vpmaddubsw(codes, token k's 32 activations at offset `at` of the block), token by token.
// The empty asm keeps that order: else GCC 12 issues all the tile's vpmaddubsw first and spills
// their results (trit_microbench, TQ2_0 tok:16 from L2: 1.00 -> 0.73 GB/s without it).
template <int T, bool kFirst>
__attribute__((always_inline)) inline void add_products(__m256i codes, const TileBlock<T>& y, int at, __m256i (&s16)[T]) {
  for (int k = 0; k < T; ++k) {
    const __m256i p = _mm256_maddubs_epi16(codes, loadu(y.qs[k] + at));
    s16[k] = kFirst ? p : _mm256_add_epi16(s16[k], p);
    __asm__("" : "+x"(s16[k]));
  }
}

// The token tiles' sizes: 8 while 8 tokens are left, then 4, 2, 1.
inline int tile_size(int64_t left) { return left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1; }

// Token k's exact block dot as 8 int32 lanes, lane L = sum over lane L's elements of code * a
// minus their activation sum: sum(code * a) - sum(a), as sum((code - 1) * a). Per block and token
// the 8 vpmaddubsw add up in int16: 8 pairs of at most 2 * 2 * 128, |sum| <= 4096.
template <int T>
__attribute__((always_inline)) inline __m256i block_lanes(__m256i s16, const TileBlock<T>& y, int k) {
  return _mm256_sub_epi32(_mm256_madd_epi16(s16, _mm256_set1_epi16(1)),
                          _mm256_load_si256(reinterpret_cast<const __m256i*>(y.off[k])));
}

// TQ2_0, llama.cpp's x86 float work (arch/x86/quants.c ggml_vec_dot_tq2_0_q8_K, AVX2 path; its
// prebuilt haswell..zen4 CPU backends compile it to vcvtdq2ps + vfmadd231ps, checked by
// disassembly): per token and block the 8 int32 lanes (block_lanes) are converted to float and
// fused-multiply-added with d = dy * dx into 8 float accumulators; after the last block, hsum_f32
// (ggml's hsum_float_8 order). The scalar reference rounds float(sum) * d once per block instead:
// the two differ in the last bits, which Q8_K / F16 rounding downstream can turn into visible
// differences. The block's codes are unpacked half a block (4 registers) at a time, so that the T
// int16 sums fit AVX2's 16 registers beside them.
struct Tq2Kernel {
  using Block = quant::TQ2_0Block;
  static constexpr bool kStreams = true;  // one_token_streams where one_token_reads_streams()
  // One token x R rows side by side (defined below, after the streams' constants).
  template <int R>
  static void one_token_rows(const Block* const (&x)[R], int64_t nb, const TileBlock<1>* y, float (&out)[R]);
  template <int T>
  struct Acc {
    __m256 v[T];
    Acc() {
      for (int k = 0; k < T; ++k) v[k] = _mm256_setzero_ps();
    }
    __attribute__((always_inline)) void add(const Block& x, const TileBlock<T>& y) {
      const __m256i mask = _mm256_set1_epi8(3);
      __m256i s16[T];
      for (int h = 0; h < 2; ++h) {
        const __m256i v = loadu(x.qs + 32 * h);  // element 128h + 32s + m at bits 2s of byte m
        const __m256i c0 = _mm256_and_si256(v, mask), c1 = _mm256_and_si256(_mm256_srli_epi16(v, 2), mask);
        const __m256i c2 = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask), c3 = _mm256_and_si256(_mm256_srli_epi16(v, 6), mask);
        for (int k = 0; k < T; ++k) {
          // A tree, not a chain of 8 adds: one token (decode) has no other token's work to overlap.
          const int8_t* q = y.qs[k] + 128 * h;
          __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(c0, loadu(q)), _mm256_maddubs_epi16(c1, loadu(q + 32)));
          p = _mm256_add_epi16(p, _mm256_maddubs_epi16(c2, loadu(q + 64)));
          p = _mm256_add_epi16(p, _mm256_maddubs_epi16(c3, loadu(q + 96)));
          s16[k] = h == 0 ? p : _mm256_add_epi16(s16[k], p);
          __asm__("" : "+x"(s16[k]));  // token by token (add_products)
        }
      }
      const __m256 dx = _mm256_set1_ps(_cvtsh_ss(x.d));
      for (int k = 0; k < T; ++k) {
        // dy broadcast by a load (no ALU op), then one vector multiply (the same float product):
        // GCC otherwise multiplies the scalars and broadcasts the product, two ALU ops. tok:16
        // from L2, 1 thread, builds alternating, three sets of rounds: +1% to +6%.
        __m256 dy = _mm256_broadcast_ss(&y.d[k]);
        __asm__("" : "+x"(dy));
        v[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(block_lanes(s16[k], y, k)), _mm256_mul_ps(dy, dx), v[k]);
      }
    }
    float out(int k) const { return hsum_f32(v[k]); }
  };
};

// One token's int16 sums of a TQ2_0 block (the tile's s16 for T = 1: the same integers, so the
// same bits), with 10 unpack instructions instead of 14. Per 32 bytes v, one shift w = v >> 4
// serves two fields: fields 0 and 2 are masked in place (v & 3, w & 3: the codes), fields 1 and 3
// as 4 * code (v & 12, w & 12). The two kinds of products add up apart, the 4 * code ones (each
// in [-2048, 2032], 4 of them fit int16) divided by 4 once at the end, exactly (vpsraw of a
// multiple of 4). A tile of several tokens shares one unpack among them and keeps the plain
// codes: this shift and add would be per token.
__attribute__((always_inline)) inline __m256i tq2_one_token_sum16(const quant::TQ2_0Block& x, const int8_t* q) {
  const __m256i m3 = _mm256_set1_epi8(3), m12 = _mm256_set1_epi8(12);
  __m256i codes, codes4;  // products of codes, of 4 * codes
  for (int h = 0; h < 2; ++h) {
    const __m256i v = loadu(x.qs + 32 * h), w = _mm256_srli_epi16(v, 4);  // element 128h + 32s + m at bits 2s of byte m
    const int8_t* qh = q + 128 * h;
    const __m256i c = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(v, m3), loadu(qh)),
                                       _mm256_maddubs_epi16(_mm256_and_si256(w, m3), loadu(qh + 64)));
    const __m256i c4 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(v, m12), loadu(qh + 32)),
                                        _mm256_maddubs_epi16(_mm256_and_si256(w, m12), loadu(qh + 96)));
    codes = h == 0 ? c : _mm256_add_epi16(codes, c);
    codes4 = h == 0 ? c4 : _mm256_add_epi16(codes4, c4);
  }
  return _mm256_add_epi16(codes, _mm256_srai_epi16(codes4, 2));
}

// One token, a row at a time (AMD, and the rows one_token_streams leaves over).
template <>
struct Tq2Kernel::Acc<1> {
  __m256 v = _mm256_setzero_ps();
  __attribute__((always_inline)) void add(const Block& x, const TileBlock<1>& y) {
    __m256 dy = _mm256_broadcast_ss(&y.d[0]);
    __asm__("" : "+x"(dy));  // (Acc<T>::add)
    const __m256 d = _mm256_mul_ps(dy, _mm256_set1_ps(_cvtsh_ss(x.d)));
    v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(block_lanes(tq2_one_token_sum16(x, y.qs[0]), y, 0)), d, v);
  }
  float out(int) const { return hsum_f32(v); }
};

// TQ1_0, the scalar reference's float work: per token, sum += float(sumi) * (dy * dx), block by
// block. A tile of 8 tokens sums its 8 block dots at once (hsum8_i32) and runs the float steps on 8
// lanes, 4 tokens on 4; each lane takes the scalar's operations, so the same bits.
struct Tq1Kernel {
  using Block = quant::TQ1_0Block;
  // Its unpack holds it to a third of TQ2_0's speed from L2, memory or not: streams measured no
  // faster from memory (2560 x 2560, 0.19 / 0.17 -> 0.20 / 0.18 of the read speed at 1 / 2
  // threads) and 12% slower from L2.
  static constexpr bool kStreams = false;
  // Each token's exact block dot as 8 int32 lanes (block_lanes).
  template <int T>
  __attribute__((always_inline)) static void dot_lanes(const Block& x, const TileBlock<T>& y, __m256i (&lanes)[T]) {
    __m256i s16[T];
    tq1_codes_each(x, [&](int j, __m256i c) {
      if (j == 0) add_products<T, true>(c, y, 0, s16);
      else add_products<T, false>(c, y, 32 * j, s16);
    });
    for (int k = 0; k < T; ++k) lanes[k] = block_lanes(s16[k], y, k);
  }
  template <int T>
  struct Acc {
    alignas(32) float v[T] = {};
    __attribute__((always_inline)) void add(const Block& x, const TileBlock<T>& y) {
      __m256i lanes[T];
      dot_lanes<T>(x, y, lanes);
      const float dx = _cvtsh_ss(x.d);
      if constexpr (T == 8) {
        const __m256 d = _mm256_mul_ps(_mm256_load_ps(y.d), _mm256_set1_ps(dx));
        _mm256_store_ps(v, _mm256_add_ps(_mm256_load_ps(v), _mm256_mul_ps(_mm256_cvtepi32_ps(hsum8_i32(lanes)), d)));
      } else if constexpr (T == 4) {
        const __m128 d = _mm_mul_ps(_mm_load_ps(y.d), _mm_set1_ps(dx));
        const __m128i sumi = hsum4_i32(lanes[0], lanes[1], lanes[2], lanes[3]);
        _mm_store_ps(v, _mm_add_ps(_mm_load_ps(v), _mm_mul_ps(_mm_cvtepi32_ps(sumi), d)));
      } else {
        for (int k = 0; k < T; ++k) v[k] += float(hsum_i32(lanes[k])) * (y.d[k] * dx);
      }
    }
    float out(int k) const { return v[k]; }
  };
};

// One token (decode): 8 blocks' dots summed at once (hsum8_i32) and their products
// float(sumi) * (dy * dx) on 8 lanes, then added to the sum one by one in block order: the
// scalar's operations, so the same bits, with about 4 vector instructions a block instead of
// hsum_i32's 7 and two scalar multiplies. trit_microbench 512 x 2560 from L2, 1 thread, builds
// alternating, 16 rounds: 3.06 -> 3.27 GB/s.
template <>
struct Tq1Kernel::Acc<1> {
  float v = 0;
  __m256i pending[8];
  alignas(32) float dd[8];
  int n = 0;
  __attribute__((always_inline)) void add(const Block& x, const TileBlock<1>& y) {
    __m256i lanes[1];
    dot_lanes<1>(x, y, lanes);
    pending[n] = lanes[0];
    dd[n] = y.d[0] * _cvtsh_ss(x.d);
    if (++n == 8) flush();
  }
  void flush() {
    if (n == 8) {
      alignas(32) float p[8];
      _mm256_store_ps(p, _mm256_mul_ps(_mm256_cvtepi32_ps(hsum8_i32(pending)), _mm256_load_ps(dd)));
      for (float pk : p) v += pk;
    } else {
      for (int k = 0; k < n; ++k) v += float(hsum_i32(pending[k])) * dd[k];
    }
    n = 0;
  }
  float out(int) {
    flush();
    return v;
  }
};

// One token, rows [r0, r1) cut into kTernaryStreams parts walked side by side, block by block (a
// row of each part at a time): kTernaryStreams streams of weights in flight instead of one, each
// asking for its lines kStreamLinesAheadBytes ahead, as the AVX-512 kernels read theirs
// (x16_vnni.h). step(x, nb, out_row) walks the rows x[0..R) (R = kTernaryStreams, or 1 for the
// rows left over); out_row(k) is row k's index. Each row's sums take the same steps as one row at
// a time, so the same bits. On the 2-vCPU Intel Xeon (TRIT_ISA=avx2, trit_microbench 2560 x 2560
// from memory, builds alternating, fraction of the read speed, 1 / 2 threads): TQ2_0 0.39 / 0.35
// -> 0.52 / 0.52, I2_S 0.36 / 0.33 -> 0.58 / 0.52.
constexpr int kTernaryStreams = 4;
constexpr size_t kStreamLinesAheadBytes = 2048;

template <class Block, class Step>
void one_token_streams(const MatmulArgs& a, int64_t r0, int64_t r1, int64_t nb, Step&& step) {
  const WeightMatrix& w = *a.w;
  auto row = [&](int64_t r) { return reinterpret_cast<const Block*>(w.data + r * w.row_bytes); };
  const int64_t per_part = (r1 - r0) / kTernaryStreams;
  for (int64_t j = 0; j < per_part; ++j) {
    const Block* x[kTernaryStreams];
    for (int k = 0; k < kTernaryStreams; ++k) x[k] = row(r0 + k * per_part + j);
    step(x, nb, [&](int k) { return r0 + k * per_part + j; });
  }
  for (int64_t r = r0 + kTernaryStreams * per_part; r < r1; ++r) {
    const Block* x[1] = {row(r)};
    step(x, nb, [&](int) { return r; });
  }
}

// One token x R rows of TQ2_0 side by side (one_token_streams): Tq2Kernel's float steps per row,
// with the R rows' dx = fp16 scales of block b converted in one instruction and multiplied by dy
// in one (each lane the same float product dy * dx), then broadcast by loads: per row and block
// that was a vpinsrw, a vcvtph2ps, a broadcast and a multiply.
template <int R>
__attribute__((always_inline)) inline void Tq2Kernel::one_token_rows(const Block* const (&x)[R], int64_t nb,
                                                                     const TileBlock<1>* y, float (&out)[R]) {
  static_assert(R <= 8);
  __m256 acc[R];
  for (int k = 0; k < R; ++k) acc[k] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    __m128i dx16 = _mm_cvtsi32_si128(x[0][b].d);
    for (int k = 1; k < R; ++k) dx16 = _mm_insert_epi16(dx16, x[k][b].d, k);
    alignas(32) float d[8];
    _mm256_store_ps(d, _mm256_mul_ps(_mm256_broadcast_ss(&y[b].d[0]), _mm256_cvtph_ps(dx16)));
    for (int k = 0; k < R; ++k) {
      prefetch_stream_ahead(&x[k][b], sizeof(quant::TQ2_0Block));
      prefetch_line_ahead<kStreamLinesAheadBytes>(&x[k][b]);
      prefetch_line_ahead<kStreamLinesAheadBytes>(reinterpret_cast<const uint8_t*>(&x[k][b]) + 64);
      const __m256i lanes = block_lanes(tq2_one_token_sum16(x[k][b], y[b].qs[0]), y[b], 0);
      acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_broadcast_ss(&d[k]), acc[k]);
    }
  }
  for (int k = 0; k < R; ++k) out[k] = hsum_f32(acc[k]);
}

// Rows [r0, r1) x all tokens of a Q8_K-activation ternary format (Kernel: Tq2Kernel, Tq1Kernel).
template <class Kernel>
void ternary_rows(const MatmulArgs& a, int64_t r0, int64_t r1) {
  using Block = typename Kernel::Block;
  const WeightMatrix& w = *a.w;
  const int64_t nb = w.cols / kQK_K;
  struct Tile {
    int size;
    int64_t t0;
    size_t at;  // byte offset of its blocks in `packed`
  };
  thread_local std::vector<Tile> tiles;
  thread_local std::vector<uint8_t> packed;  // TileBlock<size>[nb] per tile, 32-byte aligned
  tiles.clear();
  size_t bytes = 0;
  for (int64_t t = 0; t < a.n_tokens;) {
    const int size = tile_size(a.n_tokens - t);
    tiles.push_back({size, t, bytes});
    bytes += size_t(nb) * (size == 8   ? sizeof(TileBlock<8>)
                           : size == 4 ? sizeof(TileBlock<4>)
                           : size == 2 ? sizeof(TileBlock<2>)
                                       : sizeof(TileBlock<1>));
    t += size;
  }
  packed.resize(bytes + 32);
  uint8_t* base = packed.data() + (32 - reinterpret_cast<uintptr_t>(packed.data()) % 32) % 32;
  auto with_size = [&](const Tile& tile, auto&& f) {
    switch (tile.size) {
      case 8: return f(std::integral_constant<int, 8>{});
      case 4: return f(std::integral_constant<int, 4>{});
      case 2: return f(std::integral_constant<int, 2>{});
      default: return f(std::integral_constant<int, 1>{});
    }
  };
  for (const Tile& tile : tiles)
    with_size(tile, [&](auto size) { pack_tile<size()>(a, tile.t0, nb, reinterpret_cast<TileBlock<size()>*>(base + tile.at)); });

  if constexpr (Kernel::kStreams) {
    if (a.n_tokens == 1 && one_token_reads_streams()) {
      const auto* y = reinterpret_cast<const TileBlock<1>*>(base);
      return one_token_streams<Block>(a, r0, r1, nb, [&]<int R>(const Block* const (&x)[R], int64_t n, auto out_row) {
        float out[R];
        Kernel::template one_token_rows<R>(x, n, y, out);
        for (int k = 0; k < R; ++k) a.y[out_row(k)] = out[k] * w.out_scale;
      });
    }
  }
  // One token a row at a time (TQ1_0; TQ2_0 on AMD and the rows the streams leave over) asks for
  // each line kLinesAheadBytes ahead as it reads it where every_kernel_asks_lines_ahead() (not on
  // AMD): the TQ1_0 kernel computes for so long a line that too few of its lines were in flight
  // (trit_microbench 2560 x 2560 from memory, builds alternating, 1 / 2 threads: 2.79 / 4.28 ->
  // 3.22 / 6.30 GB/s; 2 KiB ahead measured the same).
  const bool lines_ahead = a.n_tokens == 1 && every_kernel_asks_lines_ahead();
  for (int64_t rc = r0; rc < r1; rc += kRowChunk) {
    const int64_t rc_end = rc + kRowChunk < r1 ? rc + kRowChunk : r1;
    for (const Tile& tile : tiles)
      with_size(tile, [&](auto size) {
        constexpr int T = size();
        const auto* y = reinterpret_cast<const TileBlock<T>*>(base + tile.at);
        auto rows = [&]<bool kLinesAhead>() {
          auto add_blocks = [&](auto& acc, int64_t r, int64_t b0, int64_t b1) {
            const auto* x = reinterpret_cast<const Block*>(w.data + r * w.row_bytes);
            for (int64_t b = b0; b < b1; ++b) {
              if constexpr (T == 1) prefetch_stream_ahead(&x[b], sizeof(Block));
              if constexpr (kLinesAhead) prefetch_line_ahead(&x[b]);  // blocks < 64 bytes: every line
              acc.add(x[b], y[b]);
            }
          };
          if constexpr (T == 1) {
            // One token's activations (0.3 KB a block) stay in L1 over a whole row, and a row's
            // sums stay in registers: carried between passes in memory, TQ1_0's one-token loop
            // measured 24% slower (trit_microbench 2560 x 2560, 29.6 -> 22.6 GMAC/s).
            for (int64_t r = rc; r < rc_end; ++r) {
              typename Kernel::template Acc<1> acc;
              add_blocks(acc, r, 0, nb);
              a.y[tile.t0 * w.rows + r] = acc.out(0) * w.out_scale;
            }
          } else {
            // The tile's activations in passes of kb blocks that stay in L1 beside the chunk's
            // weights, each row's sums carried from pass to pass (pass_bytes).
            const int64_t kb = blocks_per_pass(nb, sizeof(TileBlock<T>));
            typename Kernel::template Acc<T> accs[kRowChunk];
            for (int64_t b0 = 0; b0 < nb; b0 += kb)
              for (int64_t r = rc; r < rc_end; ++r) {
                auto acc = accs[r - rc];
                add_blocks(acc, r, b0, b0 + kb < nb ? b0 + kb : nb);
                accs[r - rc] = acc;
              }
            for (int64_t r = rc; r < rc_end; ++r)
              for (int k = 0; k < T; ++k) a.y[(tile.t0 + k) * w.rows + r] = accs[r - rc].out(k) * w.out_scale;
          }
        };
        if (T == 1 && lines_ahead) rows.template operator()<true>();
        else rows.template operator()<false>();
      });
  }
}

// I2_S rows x a tile of T tokens, exact raw dots. qs holds the tile's int8 activations block by
// block (T x 128 values a block, token after token), so one pointer addresses a block's T rows of
// activations. Each 32-byte block's codes are unpacked once for all T tokens; each token's
// vpmaddubsw add up in int16 for kI2sBlocksInInt16 blocks before one vpmaddwd widens them: 4 pairs
// a block of at most 2 * 2 * 128, so 16 blocks stay within [-32768, 32512].
constexpr int64_t kI2sBlocksInInt16 = 16;

// One 32-byte block of a row x T tokens into the tokens' int16 sums.
template <int T>
__attribute__((always_inline)) inline void i2s_block_tile(const uint8_t* block, const int8_t* q, __m256i (&s16)[T]) {
  __m256i c[4];
  i2s_codes(block, c);
  for (int k = 0; k < T; ++k) {
    __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(c[0], loadu(q + 128 * k)), _mm256_maddubs_epi16(c[1], loadu(q + 128 * k + 32)));
    p = _mm256_add_epi16(p, _mm256_maddubs_epi16(c[2], loadu(q + 128 * k + 64)));
    p = _mm256_add_epi16(p, _mm256_maddubs_epi16(c[3], loadu(q + 128 * k + 96)));
    s16[k] = _mm256_add_epi16(s16[k], p);
    __asm__("" : "+x"(s16[k]));  // token by token (tq2_block_tile)
  }
}

// Prefetches of row block b of a stream (one_token_streams' distances).
__attribute__((always_inline)) inline void i2s_stream_prefetch(const uint8_t* row, int64_t b) {
  prefetch_stream_ahead(row + 32 * b, 32);
  if (b % 2 == 0) prefetch_line_ahead<kStreamLinesAheadBytes>(row + 32 * b);
}

// R rows x one token, exact raw dots, with 5 unpack instructions a block instead of 7 (as
// tq2_one_token_sum16): w = v >> 4, the codes of elements k + 32 and k + 96 masked in place (w & 3,
// v & 3), those of k and k + 64 as 4 * code (w & 12, v & 12). The two kinds of products add up
// apart, 4 * code ones for kI2sBlocksIn4x blocks (2 a block, each in [-2048, 2032]), then
// (sum + 4 * code sum / 4, an exact vpsraw) widens into int32: the same integers.
constexpr int64_t kI2sBlocksIn4x = 8;

template <int R, bool kStreams>
__attribute__((always_inline)) inline void i2s_rows_one_token(const uint8_t* const (&rows)[R], int64_t nb, const int8_t* q,
                                                              int32_t (&raw)[R][1]) {
  const __m256i ones = _mm256_set1_epi16(1), m3 = _mm256_set1_epi8(3), m12 = _mm256_set1_epi8(12);
  __m256i acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_si256();
  for (int64_t b0 = 0; b0 < nb; b0 += kI2sBlocksIn4x) {
    const int64_t b1 = b0 + kI2sBlocksIn4x < nb ? b0 + kI2sBlocksIn4x : nb;
    __m256i codes[R], codes4[R];
    for (int r = 0; r < R; ++r) codes[r] = codes4[r] = _mm256_setzero_si256();
    for (int64_t b = b0; b < b1; ++b) {
      const int8_t* qb = q + b * quant::kQK_I2_S;
      for (int r = 0; r < R; ++r) {
        if constexpr (kStreams) i2s_stream_prefetch(rows[r], b);
        const __m256i v = loadu(rows[r] + 32 * b), w = _mm256_srli_epi16(v, 4);
        codes[r] = _mm256_add_epi16(codes[r], _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(w, m3), loadu(qb + 32)),
                                                               _mm256_maddubs_epi16(_mm256_and_si256(v, m3), loadu(qb + 96))));
        codes4[r] = _mm256_add_epi16(codes4[r], _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(w, m12), loadu(qb)),
                                                                 _mm256_maddubs_epi16(_mm256_and_si256(v, m12), loadu(qb + 64))));
      }
    }
    for (int r = 0; r < R; ++r)
      acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(_mm256_add_epi16(codes[r], _mm256_srai_epi16(codes4[r], 2)), ones));
  }
  for (int r = 0; r < R; ++r) raw[r][0] = hsum_i32(acc[r]);
}

// R rows (streams) x T tokens, exact raw dots: raw[r][k]. qs holds the tile's activations block
// by block (i2s_rows). The blocks' int16 sums widen every kI2sBlocksInInt16 blocks.
template <int R, int T, bool kStreams>
__attribute__((always_inline)) inline void i2s_rows_tile(const uint8_t* const (&rows)[R], int64_t nb, const int8_t* qs,
                                                         int32_t (&raw)[R][T]) {
  if constexpr (T == 1) return i2s_rows_one_token<R, kStreams>(rows, nb, qs, raw);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < T; ++k) acc[r][k] = _mm256_setzero_si256();
  for (int64_t b0 = 0; b0 < nb; b0 += kI2sBlocksInInt16) {
    const int64_t b1 = b0 + kI2sBlocksInInt16 < nb ? b0 + kI2sBlocksInInt16 : nb;
    __m256i s16[R][T];
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < T; ++k) s16[r][k] = _mm256_setzero_si256();
    for (int64_t b = b0; b < b1; ++b)
      for (int r = 0; r < R; ++r) {
        if constexpr (kStreams) i2s_stream_prefetch(rows[r], b);
        i2s_block_tile<T>(rows[r] + 32 * b, qs + b * T * quant::kQK_I2_S, s16[r]);
      }
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < T; ++k) acc[r][k] = _mm256_add_epi32(acc[r][k], _mm256_madd_epi16(s16[r][k], ones));
  }
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < T; ++k) raw[r][k] = hsum_i32(acc[r][k]);
}

void i2s_rows(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const WeightMatrix& w = *a.w;
  const int64_t nb = w.cols / quant::kQK_I2_S;
  auto header = [&](int64_t t) {
    I8ActHeader h;
    std::memcpy(&h, a.xq + t * a.xq_stride, sizeof h);
    return h;
  };
  // Token tiles of 8, 4, 2, 1, each tile's activations rearranged block by block (i2s_rows_tile).
  thread_local std::vector<int8_t> packed;
  packed.resize(size_t(a.n_tokens * w.cols));
  thread_local std::vector<std::pair<int, int64_t>> tiles;  // (size, first token)
  tiles.clear();
  for (int64_t t = 0; t < a.n_tokens;) {
    const int size = tile_size(a.n_tokens - t);
    tiles.emplace_back(size, t);
    int8_t* dst = packed.data() + t * w.cols;
    for (int k = 0; k < size; ++k) {
      const int8_t* src = reinterpret_cast<const int8_t*>(a.xq + (t + k) * a.xq_stride + sizeof(I8ActHeader));
      for (int64_t b = 0; b < nb; ++b)
        std::memcpy(dst + (b * size + k) * quant::kQK_I2_S, src + b * quant::kQK_I2_S, quant::kQK_I2_S);
    }
    t += size;
  }
  auto store = [&](int64_t t, int64_t r, int32_t raw) {
    const I8ActHeader h = header(t);
    a.y[t * w.rows + r] = quant::i2_s_epilogue(raw, h.sum, h.scale, w.tensor_scale) * w.out_scale;
  };
  if (a.n_tokens == 1 && one_token_reads_streams()) {
    return one_token_streams<uint8_t>(a, r0, r1, nb, [&]<int R>(const uint8_t* const (&rows)[R], int64_t n, auto out_row) {
      int32_t raw[R][1];
      i2s_rows_tile<R, 1, true>(rows, n, packed.data(), raw);
      for (int k = 0; k < R; ++k) store(0, out_row(k), raw[k][0]);
    });
  }
  for (int64_t rc = r0; rc < r1; rc += kRowChunk) {
    const int64_t rc_end = rc + kRowChunk < r1 ? rc + kRowChunk : r1;
    for (const auto& [size, t0] : tiles) {
      const int8_t* qs = packed.data() + t0 * w.cols;
      auto run = [&]<int T>() {
        // A row's T outputs take quant::i2_s_epilogue's operations on 8 lanes, (float(raw) -
        // float(sum)) / scale * wscale, then * out_scale: the same bits, without a scalar
        // division and a call per output (5% of a 1-thread pp128's samples before).
        alignas(32) float sum[8] = {}, scale[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        for (int k = 0; k < T; ++k) {
          const I8ActHeader h = header(t0 + k);
          sum[k] = float(h.sum);
          scale[k] = h.scale;
        }
        const __m256 sumv = _mm256_load_ps(sum), scalev = _mm256_load_ps(scale);
        const __m256 wscale = _mm256_set1_ps(w.tensor_scale), out_scale = _mm256_set1_ps(w.out_scale);
        // The tile's activations in passes of kb blocks that stay in L1 (ternary_rows); the exact
        // raw dots of the passes add up.
        const int64_t kb = T == 1 ? nb : blocks_per_pass(nb, size_t(T) * quant::kQK_I2_S);
        alignas(32) int32_t raws[kRowChunk][8] = {};
        for (int64_t b0 = 0; b0 < nb; b0 += kb) {
          const int64_t n = b0 + kb < nb ? kb : nb - b0;
          for (int64_t r = rc; r < rc_end; ++r) {
            int32_t raw[1][T];
            const uint8_t* row[1] = {w.data + r * w.row_bytes + 32 * b0};
            i2s_rows_tile<1, T, false>(row, n, qs + b0 * T * quant::kQK_I2_S, raw);
            for (int k = 0; k < T; ++k) raws[r - rc][k] += raw[0][k];
          }
        }
        for (int64_t r = rc; r < rc_end; ++r) {
          const int32_t* raw8 = raws[r - rc];
          const __m256 rawf = _mm256_cvtepi32_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(raw8)));
          const __m256 y = _mm256_mul_ps(_mm256_mul_ps(_mm256_div_ps(_mm256_sub_ps(rawf, sumv), scalev), wscale), out_scale);
          alignas(32) float out[8];
          _mm256_store_ps(out, y);
          for (int k = 0; k < T; ++k) a.y[(t0 + k) * w.rows + r] = out[k];
        }
      };
      switch (size) {
        case 8: run.template operator()<8>(); break;
        case 4: run.template operator()<4>(); break;
        case 2: run.template operator()<2>(); break;
        default: run.template operator()<1>(); break;
      }
    }
  }
}

}  // namespace

void matmul_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1) { ternary_rows<Tq2Kernel>(a, r0, r1); }
void matmul_rows_tq1_q8k(const MatmulArgs& a, int64_t r0, int64_t r1) { ternary_rows<Tq1Kernel>(a, r0, r1); }
void matmul_rows_i2s_i8(const MatmulArgs& a, int64_t r0, int64_t r1) { i2s_rows(a, r0, r1); }

void repack_tq1_0_as_tq2_0(const uint8_t* src, uint8_t* dst, int64_t n_blocks) {
  const auto* in = reinterpret_cast<const quant::TQ1_0Block*>(src);
  auto* out = reinterpret_cast<quant::TQ2_0Block*>(dst);
  for (int64_t b = 0; b < n_blocks; ++b) {
    __m256i c[8];  // codes 0..2 of elements 32k..32k+31
    UnpackTq1::codes(in[b], c);
    for (int g = 0; g < 2; ++g) {
      // Codes fit 2 bits, so 16-bit shifts cannot carry into the neighbouring byte.
      const __m256i v = _mm256_or_si256(
          _mm256_or_si256(c[4 * g], _mm256_slli_epi16(c[4 * g + 1], 2)),
          _mm256_or_si256(_mm256_slli_epi16(c[4 * g + 2], 4), _mm256_slli_epi16(c[4 * g + 3], 6)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[b].qs + 32 * g), v);
    }
    out[b].d = in[b].d;
  }
}

}  // namespace trit::avx2
