// The NEON row kernels (64-bit ARM), written once over the integer dot product they use:
// matmul_neon.cpp instantiates them with base NEON's widening multiplies, matmul_neon_dot.cpp with
// the Armv8.2 sdot instruction (compiled with +dotprod, run only where the CPU reports it).
//
// Every integer format computes each block's int32 exactly and then the scalar reference's float
// epilogue (quant/), in the same order and without fused multiply-add (-ffp-contract=off): the
// results equal the reference bit for bit (tests/kernels/matmul_test.cpp). F16 sums in float lanes,
// within the F16 tolerance. Weights are row-major as in the file; rows are split over the pool by
// matmul(), and each row's bytes serve every token while they are in L1.
//
// Include ONLY from the NEON .cpp files (kernels/CMakeLists.txt): everything here has internal
// linkage on purpose, since the two files compile it for different ISAs.
#pragma once

#include <arm_neon.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/fp16.h"
#include "kernels/i2s_rows.h"
#include "kernels/matmul_variants.h"
#include "quant/i2_s.h"
#include "quant/q4_0.h"
#include "quant/q8_0.h"
#include "quant/q8_k.h"
#include "quant/tq2_0.h"

namespace trit::neon {
namespace {

// acc + the dot products of a and b, four bytes per int32 lane (which lane gets which products
// differs between the two, the total does not: exact integers).
struct WideningDot {
  static int32x4_t dot(int32x4_t acc, int8x16_t a, int8x16_t b) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
  }
};

// Tokens' quantized rows and outputs: token t's row starts at a.xq + t * a.xq_stride.
template <class Block>
const Block* token_row(const MatmulArgs& a, int64_t t) {
  return reinterpret_cast<const Block*>(a.xq + t * a.xq_stride);
}

// For rows [r0, r1) and every token: y = out_scale * row_dot(weight row, token row).
template <class WBlock, class ABlock, class RowDot>
void for_rows_and_tokens(const MatmulArgs& a, int64_t r0, int64_t r1, RowDot&& row_dot) {
  const WeightMatrix& w = *a.w;
  for (int64_t r = r0; r < r1; ++r) {
    const auto* x = reinterpret_cast<const WBlock*>(w.data + r * int64_t(w.row_bytes));
    for (int64_t t = 0; t < a.n_tokens; ++t) a.y[t * w.rows + r] = row_dot(x, token_row<ABlock>(a, t)) * w.out_scale;
  }
}

// The 2-bit codes at bits kShift, kShift + 1 of each byte, as int8 0..3 (the top pair needs no mask).
template <int kShift>
int8x16_t codes_at(uint8x16_t q) {
  if constexpr (kShift == 6) return vreinterpretq_s8_u8(vshrq_n_u8(q, 6));
  else if constexpr (kShift == 0) return vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(3)));
  else return vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(q, kShift), vdupq_n_u8(3)));
}

// The codes of the 32 bytes q0, q1 at bit pairs 0, 2, 4, 6: c[2s] from q0, c[2s + 1] from q1.
inline void bit_pair_codes(uint8x16_t q0, uint8x16_t q1, int8x16_t (&c)[8]) {
  c[0] = codes_at<0>(q0), c[1] = codes_at<0>(q1), c[2] = codes_at<2>(q0), c[3] = codes_at<2>(q1);
  c[4] = codes_at<4>(q0), c[5] = codes_at<4>(q1), c[6] = codes_at<6>(q0), c[7] = codes_at<6>(q1);
}

// acc[s] += codes c[2s], c[2s + 1] against activations a[s] (16 bytes each, one after the other):
// four independent chains, so consecutive dots do not wait on each other.
template <class Dot>
void dot_codes(int32x4_t (&acc)[4], const int8x16_t (&c)[8], const int8_t* const (&a)[4]) {
  for (int s = 0; s < 4; ++s) acc[s] = Dot::dot(Dot::dot(acc[s], c[2 * s], vld1q_s8(a[s])), c[2 * s + 1], vld1q_s8(a[s] + 16));
}

inline int32_t sum_lanes(const int32x4_t (&acc)[4]) {
  return vaddvq_s32(vaddq_s32(vaddq_s32(acc[0], acc[1]), vaddq_s32(acc[2], acc[3])));
}

// Tokens per tile of the TQ2_0 kernel: a row's codes are extracted once for this many tokens.
constexpr int kTq2Tile = 4;

// TQ2_0 x Q8_K, quant/tq2_0.cpp's vec_dot, for one row and T tokens: element 128g + 32k + m of a
// block is bits 2k, 2k + 1 of byte 32g + m, stored as the value + 1. Each token's int32 is
// sum(code * y) - sum(y), with ysum[k][b] token k's sum(y) over block b.
template <class Dot, int T>
void tq2_tile(const quant::TQ2_0Block* x, const quant::Q8KBlock* const (&y)[T], const int32_t* const (&ysum)[T],
              int64_t nb, float (&sum)[T]) {
  for (int k = 0; k < T; ++k) sum[k] = 0.0f;
  for (int64_t b = 0; b < nb; ++b) {
    int32x4_t acc[T][4];
    for (int k = 0; k < T; ++k)
      for (int s = 0; s < 4; ++s) acc[k][s] = vdupq_n_s32(0);
    for (int g = 0; g < 2; ++g) {
      int8x16_t c[8];
      bit_pair_codes(vld1q_u8(x[b].qs + 32 * g), vld1q_u8(x[b].qs + 32 * g + 16), c);
      for (int k = 0; k < T; ++k) {
        const int8_t* ys = y[k][b].qs + 128 * g;
        const int8_t* const act[4] = {ys, ys + 32, ys + 64, ys + 96};
        dot_codes<Dot>(acc[k], c, act);
      }
    }
    const float dx = fp16_to_fp32(x[b].d);
    for (int k = 0; k < T; ++k) sum[k] += float(sum_lanes(acc[k]) - ysum[k][b]) * (y[k][b].d * dx);
  }
}

template <class Dot>
void rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const WeightMatrix& w = *a.w;
  const int64_t nb = w.cols / quant::kQK_K;
  thread_local std::vector<int32_t> ysum;  // [t * nb + b]
  ysum.resize(size_t(a.n_tokens * nb));
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    const auto* y = token_row<quant::Q8KBlock>(a, t);
    // 16 bsums of at most 16 * 128 in magnitude: pairs fit int16, the total is widened.
    for (int64_t b = 0; b < nb; ++b)
      ysum[size_t(t * nb + b)] = vaddlvq_s16(vaddq_s16(vld1q_s16(y[b].bsums), vld1q_s16(y[b].bsums + 8)));
  }
  for (int64_t r = r0; r < r1; ++r) {
    const auto* x = reinterpret_cast<const quant::TQ2_0Block*>(w.data + r * int64_t(w.row_bytes));
    // Row r against tokens [t0, t0 + T).
    auto tile = [&]<int T>(int64_t t0) {
      const quant::Q8KBlock* y[T];
      const int32_t* ys[T];
      for (int k = 0; k < T; ++k) {
        y[k] = token_row<quant::Q8KBlock>(a, t0 + k);
        ys[k] = &ysum[size_t((t0 + k) * nb)];
      }
      float sum[T];
      tq2_tile<Dot, T>(x, y, ys, nb, sum);
      for (int k = 0; k < T; ++k) a.y[(t0 + k) * w.rows + r] = sum[k] * w.out_scale;
    };
    int64_t t = 0;
    for (; t + kTq2Tile <= a.n_tokens; t += kTq2Tile) tile.template operator()<kTq2Tile>(t);
    for (; t < a.n_tokens; ++t) tile.template operator()<1>(t);
  }
}

// I2_S x I8 (quant/i2_s.cpp): a 128-element block is 32 bytes; element 32g + j is bits 6 - 2g,
// 7 - 2g of byte j, stored as the value + 1. The raw int32 is sum(code * q) over the whole row.
template <class Dot>
int32_t i2s_row_raw(const uint8_t* row, const int8_t* q, int64_t cols) {
  int32x4_t acc[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  for (int64_t b = 0; b < cols / quant::kQK_I2_S; ++b) {
    const uint8_t* p = row + b * quant::kI2sBlockBytes;
    const int8_t* qs = q + b * quant::kQK_I2_S;
    const int8_t* const act[4] = {qs + 96, qs + 64, qs + 32, qs};  // bits 0, 2, 4, 6: groups 3, 2, 1, 0
    int8x16_t c[8];
    bit_pair_codes(vld1q_u8(p), vld1q_u8(p + 16), c);
    dot_codes<Dot>(acc, c, act);
  }
  return sum_lanes(acc);
}

template <class Dot>
void rows_i2s_i8(const MatmulArgs& a, int64_t r0, int64_t r1) {
  i2s_rows(a, r0, r1, i2s_row_raw<Dot>);
}

// Q8_0 x Q8_0 (quant/q8_0.cpp): sum += float(sumi) * (dx * dy) per 32-element block.
template <class Dot>
void rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const int64_t nb = a.w->cols / quant::kQK8_0;
  for_rows_and_tokens<quant::Q8_0Block, quant::Q8_0Block>(a, r0, r1, [nb](const quant::Q8_0Block* x, const quant::Q8_0Block* y) {
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; ++b) {
      int32x4_t acc = Dot::dot(vdupq_n_s32(0), vld1q_s8(x[b].qs), vld1q_s8(y[b].qs));
      acc = Dot::dot(acc, vld1q_s8(x[b].qs + 16), vld1q_s8(y[b].qs + 16));
      sum += float(vaddvq_s32(acc)) * (fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d));
    }
    return sum;
  });
}

// Q4_0 x Q8_0 (quant/q4_0.cpp): byte j holds element j (low nibble) and j + 16 (high), each the
// value + 8; sum += float(sumi) * dx * dy, multiplied left to right as the reference does.
template <class Dot>
void rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const int64_t nb = a.w->cols / quant::kQK4_0;
  for_rows_and_tokens<quant::Q4_0Block, quant::Q8_0Block>(a, r0, r1, [nb](const quant::Q4_0Block* x, const quant::Q8_0Block* y) {
    const uint8x16_t low = vdupq_n_u8(0x0F);
    const int8x16_t eight = vdupq_n_s8(8);
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; ++b) {
      const uint8x16_t q = vld1q_u8(x[b].qs);
      const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, low)), eight);
      const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
      const int32x4_t acc = Dot::dot(Dot::dot(vdupq_n_s32(0), lo, vld1q_s8(y[b].qs)), hi, vld1q_s8(y[b].qs + 16));
      sum += float(vaddvq_s32(acc)) * fp16_to_fp32(x[b].d) * fp16_to_fp32(y[b].d);
    }
    return sum;
  });
}

}  // namespace
}  // namespace trit::neon
