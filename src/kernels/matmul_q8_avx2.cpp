// AVX2 matmuls of Q8_0 / Q4_0 weights against Q8_0 activations, and F16 against F16.
//
// Q8_0, Q4_0: q8_tile_avx2.h.
// F16: float FMA accumulation in 8 lanes x 4 registers instead of the reference's sequential
// double sum; products of two halves are exact in float, so only the summation order and
// precision differ (tests/kernels/ kF16DotRelTol).
#include <algorithm>
#include <array>
#include <utility>

#include "core/prefetch.h"
#include "kernels/avx2_common.h"
#include "kernels/kernels_avx2.h"
#include "kernels/q8_tile_avx2.h"
#include "quant/q4_0.h"
#include "quant/q8_0.h"

namespace trit::avx2 {
namespace {

inline __m256 load_f16(const fp16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

}  // namespace

void matmul_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) { q8_rows<Q8_0Weights, false>(a, r0, r1); }
void matmul_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) { q8_rows<Q4_0Weights, false>(a, r0, r1); }

float dot_f16(const fp16_t* a, const fp16_t* b, int64_t n) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; ++k) acc[k] = _mm256_fmadd_ps(load_f16(a + i + 8 * k), load_f16(b + i + 8 * k), acc[k]);
  for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(load_f16(a + i), load_f16(b + i), acc[0]);
  float sum = hsum_f32(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += _cvtsh_ss(a[i]) * _cvtsh_ss(b[i]);
  return sum;
}

void axpy_f16(float p, const fp16_t* v, float* out, int64_t n) {
  const __m256 vp = _mm256_set1_ps(p);
  int64_t i = 0;
  // out + p * v with a separate multiply and add, as the scalar loop does (no FMA contraction).
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(out + i), _mm256_mul_ps(vp, load_f16(v + i))));
  for (; i < n; ++i) out[i] += p * _cvtsh_ss(v[i]);
}

// F16 weights against activations already rounded to F16 and widened back to F32 (quantize_f16_f32):
// one F16 conversion per weight instead of two per product. kAcc x 8 float lanes over steps of
// 8 * kAcc, then 8, then a scalar tail, for every tile shape, so a batch and a token at a time give
// identical logits. Eight accumulators measured faster than four for DRAM-resident decode (1B F16).
namespace {

constexpr int kAcc = 8;
// Decode in streams (f16_one_token_streams) asks for each line this far ahead of each stream.
constexpr size_t kF16StreamLinesAheadBytes = 2048;
struct F16Acc {
  __m256 p[kAcc] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                    _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  float sum(const fp16_t* x, const float* y, int64_t i, int64_t n) const {
    const __m256 a = _mm256_add_ps(_mm256_add_ps(p[0], p[1]), _mm256_add_ps(p[2], p[3]));
    const __m256 b = _mm256_add_ps(_mm256_add_ps(p[4], p[5]), _mm256_add_ps(p[6], p[7]));
    float s = hsum_f32(_mm256_add_ps(a, b));
    for (; i < n; ++i) s += _cvtsh_ss(x[i]) * y[i];
    return s;
  }
};

// Rows x[0..R) against tokens y[0..T): each weight load serves T tokens.
template <int R, int T>
void f16_tile(const fp16_t* const* x, const float* const* y, int64_t n, float* out, int64_t out_stride, float scale) {
  F16Acc acc[R][T];
  int64_t i = 0;
  for (; i + 8 * kAcc <= n; i += 8 * kAcc) {
    if constexpr (T == 1)
      for (int r = 0; r < R; ++r) {
        prefetch_stream_ahead(x[r] + i, 8 * kAcc * sizeof(fp16_t));
        if constexpr (R > 1) {  // f16_one_token_streams
          prefetch_line_ahead<kF16StreamLinesAheadBytes>(x[r] + i);
          prefetch_line_ahead<kF16StreamLinesAheadBytes>(x[r] + i + 32);
        }
      }
    for (int k = 0; k < kAcc; ++k)
      for (int r = 0; r < R; ++r) {
        const __m256 xv = load_f16(x[r] + i + 8 * k);
        for (int t = 0; t < T; ++t)
          acc[r][t].p[k] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y[t] + i + 8 * k), acc[r][t].p[k]);
      }
  }
  for (; i + 8 <= n; i += 8)
    for (int r = 0; r < R; ++r) {
      const __m256 xv = load_f16(x[r] + i);
      for (int t = 0; t < T; ++t) acc[r][t].p[0] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y[t] + i), acc[r][t].p[0]);
    }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) out[t * out_stride + r] = acc[r][t].sum(x[r], y[t], i, n) * scale;
}

}  // namespace

namespace {

// One token, rows [r0, r1) cut into kF16Streams parts walked side by side, a row of each part at a
// time (f16_tile<kF16Streams, 1>: the same sums per row as one row at a time, so the same bits):
// kF16Streams streams of weights in flight instead of one, as the AVX-512 kernel reads its 16-row
// groups (matmul_f16_x16_vnni.cpp), each asking for its lines kF16StreamLinesAheadBytes ahead.
// The 4 x 8 accumulators do not fit AVX2's 16 registers and live in L1. On the 2-vCPU Intel Xeon
// (TRIT_ISA=avx2, trit_microbench's 4096 x 2560 F16 matrix from memory, builds alternating, 8
// rounds, fraction of the read speed, 1 / 2 threads): one row at a time 0.60 / 0.62; 4 streams
// 0.69 / 0.67 (4 rounds); with lines 2 KiB ahead 0.73 / 0.71; 1 KiB 0.74 / 0.70; 8 streams 1 KiB
// ahead 0.67 / 0.69, 2 KiB 0.72 / 0.71.
constexpr int kF16Streams = 4;

void f16_one_token_streams(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const WeightMatrix& w = *a.w;
  const float* y[1] = {reinterpret_cast<const float*>(a.xq)};
  auto row = [&](int64_t r) { return reinterpret_cast<const fp16_t*>(w.data + r * w.row_bytes); };
  const int64_t per_part = (r1 - r0) / kF16Streams;
  for (int64_t j = 0; j < per_part; ++j) {
    const fp16_t* x[kF16Streams];
    for (int k = 0; k < kF16Streams; ++k) x[k] = row(r0 + k * per_part + j);
    float out[kF16Streams];
    f16_tile<kF16Streams, 1>(x, y, w.cols, out, 1, w.out_scale);
    for (int k = 0; k < kF16Streams; ++k) a.y[r0 + k * per_part + j] = out[k];
  }
  for (int64_t r = r0 + kF16Streams * per_part; r < r1; ++r) {
    const fp16_t* x[1] = {row(r)};
    f16_tile<1, 1>(x, y, w.cols, a.y + r, w.rows, w.out_scale);
  }
}

// Prompt tiles: kF16TileRows rows x kF16TileTokens tokens, the same kAcc chains per row and token as
// f16_tile (chain k sums elements [64m + 8k, 64m + 8k + 8) in order of m; the 8-element tail goes to
// chain 0 last), but one chain at a time, so a chain's R x T accumulators fit in registers: 12 FMAs
// per 3 weight conversions and 4 activation loads, where f16_tile<1, 2> spent 2 FMAs on one
// conversion and two loads and kept part of its 16 accumulators in memory. The columns are cut in
// pieces of kF16PieceCols, so the lines one chain reads stay in L1 for the next; the chains wait in
// memory between pieces. Each chain adds the same products in the same order, so the bits are
// f16_tile's.
constexpr int kF16TileRows = 3;
constexpr int kF16TileTokens = 4;
constexpr int64_t kF16PieceCols = 1024;
// Rows whose weights stay in L2 while every token tile visits them: about 256 KiB (half of a Zen 2
// / 3 core's L2), a multiple of the tile's rows.
constexpr int64_t kF16RowChunkBytes = 256 * 1024;
int64_t f16_row_chunk(int64_t row_bytes) {
  const int64_t tiles = kF16RowChunkBytes / (row_bytes * kF16TileRows);
  return kF16TileRows * (tiles > 0 ? tiles : 1);
}

template <int R, int T>
void f16_prompt_tile(const fp16_t* const* x, const float* const* y, int64_t n, float* out, int64_t out_stride,
                     float scale) {
  alignas(32) float chains[kAcc][R][T][8];
  const int64_t n64 = n / 64 * 64, n8 = n / 8 * 8;
  for (int64_t p0 = 0;; p0 += kF16PieceCols) {  // pieces up to n64, at least one (the tail's)
    const int64_t p1 = p0 + kF16PieceCols < n64 ? p0 + kF16PieceCols : n64;
    const bool last = p1 == n64;
    for (int k = 0; k < kAcc; ++k) {
      __m256 acc[R][T];
      for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t)
          acc[r][t] = p0 == 0 ? _mm256_setzero_ps() : _mm256_load_ps(chains[k][r][t]);
      auto step = [&](int64_t i) {
        __m256 w[R];
        for (int r = 0; r < R; ++r) w[r] = load_f16(x[r] + i);
        for (int t = 0; t < T; ++t) {
          const __m256 yv = _mm256_loadu_ps(y[t] + i);
          for (int r = 0; r < R; ++r) acc[r][t] = _mm256_fmadd_ps(w[r], yv, acc[r][t]);
        }
      };
      for (int64_t i = p0 + 8 * k; i < p1; i += 64) step(i);
      if (k == 0 && last)
        for (int64_t i = n64; i < n8; i += 8) step(i);
      for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) _mm256_store_ps(chains[k][r][t], acc[r][t]);
    }
    if (last) break;
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) {
      auto c = [&](int k) { return _mm256_load_ps(chains[k][r][t]); };
      const __m256 a = _mm256_add_ps(_mm256_add_ps(c(0), c(1)), _mm256_add_ps(c(2), c(3)));
      const __m256 b = _mm256_add_ps(_mm256_add_ps(c(4), c(5)), _mm256_add_ps(c(6), c(7)));
      float s = hsum_f32(_mm256_add_ps(a, b));
      for (int64_t i = n8; i < n; ++i) s += _cvtsh_ss(x[r][i]) * y[t][i];
      out[t * out_stride + r] = s * scale;
    }
}

using F16PromptTile = void (*)(const fp16_t* const*, const float* const*, int64_t, float*, int64_t, float);

template <int R, int... Ts>
constexpr std::array<F16PromptTile, sizeof...(Ts)> f16_prompt_tiles_of(std::integer_sequence<int, Ts...>) {
  return {&f16_prompt_tile<R, Ts + 1>...};
}

// kF16PromptTiles[r - 1][t - 1]: the tile of r rows and t tokens.
template <int... Rs>
constexpr std::array<std::array<F16PromptTile, kF16TileTokens>, sizeof...(Rs)> f16_prompt_table(
    std::integer_sequence<int, Rs...>) {
  return {f16_prompt_tiles_of<Rs + 1>(std::make_integer_sequence<int, kF16TileTokens>{})...};
}
constexpr auto kF16PromptTiles = f16_prompt_table(std::make_integer_sequence<int, kF16TileRows>{});

}  // namespace

void matmul_rows_f16_f16(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const WeightMatrix& w = *a.w;
  const int64_t n = w.cols;
  auto act = [&](int64_t t) { return reinterpret_cast<const float*>(a.xq + t * a.xq_stride); };
  auto row = [&](int64_t r) { return reinterpret_cast<const fp16_t*>(w.data + r * w.row_bytes); };
  if (a.n_tokens == 1) {
    if (one_token_reads_streams()) return f16_one_token_streams(a, r0, r1);
    // One row at a time. Interleaving two rows' weight streams measured slower on a DRAM-resident
    // head (2B4T, Zen 5), though faster on L3-resident matrices.
    const float* y[1] = {act(0)};
    for (int64_t r = r0; r < r1; ++r) {
      const fp16_t* x[1] = {row(r)};
      f16_tile<1, 1>(x, y, n, a.y + r, w.rows, w.out_scale);
    }
    return;
  }
  const int64_t chunk = f16_row_chunk(w.row_bytes);
  for (int64_t rc = r0; rc < r1; rc += chunk) {
    const int64_t rc_end = rc + chunk < r1 ? rc + chunk : r1;
    for (int64_t t0 = 0; t0 < a.n_tokens; t0 += kF16TileTokens) {
      const int tn = int(std::min<int64_t>(kF16TileTokens, a.n_tokens - t0));
      const float* y[kF16TileTokens];
      for (int t = 0; t < tn; ++t) y[t] = act(t0 + t);
      for (int64_t r = rc; r < rc_end; r += kF16TileRows) {
        const int rn = int(std::min<int64_t>(kF16TileRows, rc_end - r));
        const fp16_t* x[kF16TileRows];
        for (int k = 0; k < rn; ++k) x[k] = row(r + k);
        kF16PromptTiles[rn - 1][tn - 1](x, y, n, a.y + t0 * w.rows + r, w.rows, w.out_scale);
      }
    }
  }
}

}  // namespace trit::avx2
