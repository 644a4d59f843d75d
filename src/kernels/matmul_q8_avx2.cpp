// AVX2 matmuls of Q8_0 / Q4_0 weights against Q8_0 activations, and F16 against F16.
//
// Q8_0, Q4_0: q8_tile_avx2.h.
// F16: float FMA accumulation in 8 lanes x 4 registers instead of the reference's sequential
// double sum; products of two halves are exact in float, so only the summation order and
// precision differ (tests/kernels/ kF16DotRelTol).
#include "core/prefetch.h"
#include "kernels/avx2_common.h"
#include "kernels/kernels_avx2.h"
#include "kernels/q8_tile_avx2.h"
#include "quant/q4_0.h"
#include "quant/q8_0.h"

namespace trit::avx2 {
namespace {

constexpr int64_t kRowChunk = 16;

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

}  // namespace

void matmul_rows_f16_f16(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const WeightMatrix& w = *a.w;
  if (a.n_tokens == 1 && one_token_reads_streams()) return f16_one_token_streams(a, r0, r1);
  const int64_t n = w.cols;
  auto act = [&](int64_t t) { return reinterpret_cast<const float*>(a.xq + t * a.xq_stride); };
  auto row = [&](int64_t r) { return reinterpret_cast<const fp16_t*>(w.data + r * w.row_bytes); };
  for (int64_t rc = r0; rc < r1; rc += kRowChunk) {
    const int64_t rc_end = rc + kRowChunk < r1 ? rc + kRowChunk : r1;
    int64_t t0 = 0;
    for (; t0 + 2 <= a.n_tokens; t0 += 2) {
      const float* y[2] = {act(t0), act(t0 + 1)};
      for (int64_t r = rc; r < rc_end; ++r) {
        const fp16_t* x[1] = {row(r)};
        f16_tile<1, 2>(x, y, n, a.y + t0 * w.rows + r, w.rows, w.out_scale);
      }
    }
    for (int64_t t = t0; t < a.n_tokens; ++t) {
      const float* y[1] = {act(t)};
      // One token (decode): one row at a time. Interleaving two rows' weight streams measured
      // slower on a DRAM-resident head (2B4T, Zen 5), though faster on L3-resident matrices.
      // (Where one_token_reads_streams(), a single token's rows walk in parts instead:
      // f16_one_token_streams.)
      int64_t r = rc;
      for (; r < rc_end; ++r) {
        const fp16_t* x[1] = {row(r)};
        f16_tile<1, 1>(x, y, n, a.y + t * w.rows + r, w.rows, w.out_scale);
      }
    }
  }
}

}  // namespace trit::avx2
