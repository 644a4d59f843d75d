// AVX2 ternary matmuls: TQ2_0 and TQ1_0 against Q8_K, I2_S against per-token int8.
//
// Exactness: every integer dot is the reference's exact int32 (codes 0..2 as unsigned bytes times
// int8 activations with maddubs, which cannot saturate: 2 * 2 * 128 < 32767; the -1 bias of the
// codes is removed with the activation sums, bsums for Q8_K, the token sum for I2_S). The float
// part is the reference's own: per block sum += float(sumi) * (dy * dx), in block order, one
// float accumulator per output, no FMA (-ffp-contract=off) — so these kernels equal quant/'s
// vec_dot bit for bit (tolerance 0 in tests/kernels/).
//
// Blocking: one weight row is unpacked once per block into 8 registers of codes and used for up
// to 4 tokens (prefill); rows are visited in chunks of kRowChunk so the chunk's weights stay in
// L1/L2 while every tile of 4 tokens streams past them.
#include <cstring>

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
constexpr int kTokTile = 4;        // tokens per weight unpack (hsum4_i32 reduces 4 at once)

// sum(code * a) - sum(a) over one block as int32x8 (exact; the lanes add up to the block's sumi).
inline __m256i block_dot(const __m256i c[8], const Q8KBlock& y) {
  __m256i s16 = _mm256_setzero_si256();
  for (int k = 0; k < 8; ++k) s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(c[k], loadu(y.qs + 32 * k)));
  // 8 pairs of at most 2 * 2 * 127 each: |s16| <= 4064, no int16 overflow.
  const __m256i ones = _mm256_set1_epi16(1);
  return _mm256_sub_epi32(_mm256_madd_epi16(s16, ones), _mm256_madd_epi16(loadu(y.bsums), ones));
}

// What llama.cpp runs on x86 (arch/x86/quants.c ggml_vec_dot_tq2_0_q8_K, AVX2 path; its prebuilt
// haswell..zen4 CPU backends compile it to vcvtdq2ps + vfmadd231ps, checked by disassembly): per block,
// the 8 int32 lanes of the block dot (the same element sets as block_dot's lanes: lane k holds bytes
// 4k..4k+3 of each 32-byte group, minus bsums 2k and 2k+1) are converted to float and fused-multiply-
// added with d = d_y * d_x into 8 float accumulators; after the last block, hsum_f32 (ggml's
// hsum_float_8 order). The scalar reference rounds float(sum) * d once per block instead: the two
// differ in the last bits, which Q8_K / F16 rounding downstream can turn into visible differences.
inline __m256 ggml_lane_fma(__m256i lanes, float d, __m256 acc) {
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_set1_ps(d), acc);
}

template <class Unpack>
void ternary_rows(const MatmulArgs& a, int64_t r0, int64_t r1) {
  using Block = typename Unpack::Block;
  const WeightMatrix& w = *a.w;
  const int64_t nb = w.cols / kQK_K;
  auto act = [&](int64_t t) { return reinterpret_cast<const Q8KBlock*>(a.xq + t * a.xq_stride); };
  for (int64_t rc = r0; rc < r1; rc += kRowChunk) {
    const int64_t rc_end = rc + kRowChunk < r1 ? rc + kRowChunk : r1;
    int64_t t0 = 0;
    for (; t0 + kTokTile <= a.n_tokens; t0 += kTokTile) {
      const Q8KBlock* y[4] = {act(t0), act(t0 + 1), act(t0 + 2), act(t0 + 3)};
      for (int64_t r = rc; r < rc_end; ++r) {
        const auto* x = reinterpret_cast<const Block*>(w.data + r * w.row_bytes);
        if constexpr (Unpack::kGgmlLanes) {
          __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
          for (int64_t b = 0; b < nb; ++b) {
            __m256i c[8];
            Unpack::codes(x[b], c);
            const float dx = _cvtsh_ss(x[b].d);
            for (int k = 0; k < 4; ++k) acc[k] = ggml_lane_fma(block_dot(c, y[k][b]), y[k][b].d * dx, acc[k]);
          }
          for (int k = 0; k < 4; ++k) a.y[(t0 + k) * w.rows + r] = hsum_f32(acc[k]) * w.out_scale;
          continue;
        }
        __m128 acc = _mm_setzero_ps();
        for (int64_t b = 0; b < nb; ++b) {
          __m256i c[8];
          Unpack::codes(x[b], c);
          const __m128i sumi = hsum4_i32(block_dot(c, y[0][b]), block_dot(c, y[1][b]), block_dot(c, y[2][b]),
                                         block_dot(c, y[3][b]));
          const __m128 dy = _mm_setr_ps(y[0][b].d, y[1][b].d, y[2][b].d, y[3][b].d);
          const __m128 d = _mm_mul_ps(dy, _mm_set1_ps(_cvtsh_ss(x[b].d)));
          acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(sumi), d));
        }
        alignas(16) float out[4];
        _mm_store_ps(out, _mm_mul_ps(acc, _mm_set1_ps(w.out_scale)));
        for (int k = 0; k < 4; ++k) a.y[(t0 + k) * w.rows + r] = out[k];
      }
    }
    for (int64_t t = t0; t < a.n_tokens; ++t) {
      const Q8KBlock* y = act(t);
      for (int64_t r = rc; r < rc_end; ++r) {
        const auto* x = reinterpret_cast<const Block*>(w.data + r * w.row_bytes);
        if constexpr (Unpack::kGgmlLanes) {
          __m256 acc = _mm256_setzero_ps();
          for (int64_t b = 0; b < nb; ++b) {
            prefetch_stream_ahead(&x[b], sizeof(Block));
            __m256i c[8];
            Unpack::codes(x[b], c);
            acc = ggml_lane_fma(block_dot(c, y[b]), y[b].d * _cvtsh_ss(x[b].d), acc);
          }
          a.y[t * w.rows + r] = hsum_f32(acc) * w.out_scale;
          continue;
        }
        float sum = 0.0f;
        for (int64_t b = 0; b < nb; ++b) {
          prefetch_stream_ahead(&x[b], sizeof(Block));
          __m256i c[8];
          Unpack::codes(x[b], c);
          sum += float(hsum_i32(block_dot(c, y[b]))) * (y[b].d * _cvtsh_ss(x[b].d));
        }
        a.y[t * w.rows + r] = sum * w.out_scale;
      }
    }
  }
}

inline __m256i i2s_block_dot(const __m256i c[4], const int8_t* q) {
  __m256i s16 = _mm256_maddubs_epi16(c[0], loadu(q));
  for (int k = 1; k < 4; ++k) s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(c[k], loadu(q + 32 * k)));
  return _mm256_madd_epi16(s16, _mm256_set1_epi16(1));  // |s16| <= 4 * 2 * 2 * 128 = 2048
}

}  // namespace

void matmul_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1) { ternary_rows<UnpackTq2>(a, r0, r1); }

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
void matmul_rows_tq1_q8k(const MatmulArgs& a, int64_t r0, int64_t r1) { ternary_rows<UnpackTq1>(a, r0, r1); }

void matmul_rows_i2s_i8(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const WeightMatrix& w = *a.w;
  const int64_t nb = w.cols / quant::kQK_I2_S;
  auto header = [&](int64_t t) {
    I8ActHeader h;
    std::memcpy(&h, a.xq + t * a.xq_stride, sizeof h);
    return h;
  };
  auto qs = [&](int64_t t) { return reinterpret_cast<const int8_t*>(a.xq + t * a.xq_stride + sizeof(I8ActHeader)); };
  auto store = [&](int64_t t, int64_t r, int32_t raw) {
    const I8ActHeader h = header(t);
    a.y[t * w.rows + r] = quant::i2_s_epilogue(raw, h.sum, h.scale, w.tensor_scale) * w.out_scale;
  };
  for (int64_t rc = r0; rc < r1; rc += kRowChunk) {
    const int64_t rc_end = rc + kRowChunk < r1 ? rc + kRowChunk : r1;
    int64_t t0 = 0;
    for (; t0 + kTokTile <= a.n_tokens; t0 += kTokTile) {
      const int8_t* q[4] = {qs(t0), qs(t0 + 1), qs(t0 + 2), qs(t0 + 3)};
      for (int64_t r = rc; r < rc_end; ++r) {
        const uint8_t* row = w.data + r * w.row_bytes;
        __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                          _mm256_setzero_si256()};
        for (int64_t b = 0; b < nb; ++b) {
          __m256i c[4];
          i2s_codes(row + 32 * b, c);
          for (int k = 0; k < 4; ++k) acc[k] = _mm256_add_epi32(acc[k], i2s_block_dot(c, q[k] + 128 * b));
        }
        alignas(16) int32_t raw[4];
        _mm_store_si128(reinterpret_cast<__m128i*>(raw), hsum4_i32(acc[0], acc[1], acc[2], acc[3]));
        for (int k = 0; k < 4; ++k) store(t0 + k, r, raw[k]);
      }
    }
    for (int64_t t = t0; t < a.n_tokens; ++t) {
      const int8_t* q = qs(t);
      for (int64_t r = rc; r < rc_end; ++r) {
        const uint8_t* row = w.data + r * w.row_bytes;
        __m256i acc = _mm256_setzero_si256();
        // No page-ahead prefetch here (core/prefetch.h): this loop is compute-bound on the Zen 5 VM
        // (TRIT_ISA=avx2, 2B4T I2_S decode, tokens alternating: 49 -> 54 ms at 1 thread, 30.7 ->
        // 32.7 at 2 with it), where the TQ2_0 / TQ1_0 loops above ran the same or faster.
        for (int64_t b = 0; b < nb; ++b) {
          __m256i c[4];
          i2s_codes(row + 32 * b, c);
          acc = _mm256_add_epi32(acc, i2s_block_dot(c, q + 128 * b));
        }
        store(t, r, hsum_i32(acc));
      }
    }
  }
}

}  // namespace trit::avx2
