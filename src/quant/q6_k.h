// Q6_K: super-blocks of 256 6-bit values in 16 groups of 16, each group with an int8 scale, and
// one fp16 super-scale: 6.5625 bits per weight (210 bytes / 256). Multiplied against Q8_K
// activations (ggml's vec_dot_type for Q6_K).
#pragma once

#include <cstdint>

#include "core/fp16.h"
#include "quant/q8_k.h"
#include "quant/rounding.h"

namespace trit::quant {

// Layout of ggml's block_q6_K. Per 128-element half h (ql += 64h, qh += 32h), for l in 0..31:
// element l:      low nibble of ql[l],      bits 0-1 of qh[l]
// element l + 32: low nibble of ql[l + 32], bits 2-3 of qh[l]
// element l + 64: high nibble of ql[l],     bits 4-5 of qh[l]
// element l + 96: high nibble of ql[l + 32], bits 6-7 of qh[l]
// value = d * scales[group] * (q - 32), group = element / 16.
struct Q6KBlock {
  uint8_t ql[kQK_K / 2];    // low 4 bits
  uint8_t qh[kQK_K / 4];    // high 2 bits
  int8_t scales[kQK_K / 16];
  fp16_t d;
};
static_assert(sizeof(Q6KBlock) == kQK_K / 2 + kQK_K / 4 + kQK_K / 16 + 2, "Q6KBlock must match ggml block_q6_K (210 bytes)");

// Matches ggml quantize_row_q6_K_ref (make_qx_quants with rmse_type 1 per group of 16, then the
// group scales quantized to int8 against the largest one, then each value re-rounded).
void quantize_row_q6_K_ref(const float* x, Q6KBlock* y, int64_t n);
// Matches ggml dequantize_row_q6_K: (d * scale) * q in float.
void dequantize_row_q6_K(const Q6KBlock* x, float* y, int64_t n);

// Matches ggml_vec_dot_q6_K_q8_K_generic: per super-block, 8 exact int32 lanes (lane = element % 8)
// of scale * q6 * q8; then lane_sum[l] += (dx * dy) * float(lane_int[l]) in float; the 8 float lanes
// are added in order 0..7 at the very end.
float vec_dot_q6_K_q8_K(int64_t n, const Q6KBlock* x, const Q8KBlock* y);

// Unpacks one super-block's 256 signed 6-bit values (q - 32, in -32..31) in element order.
void unpack_q6_K(const Q6KBlock& block, int8_t out[kQK_K]);

}  // namespace trit::quant
