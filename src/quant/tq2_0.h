// TQ2_0 (ggml type 35): ternary weights in blocks of 256, 2 bits each, and one fp16 scale:
// 2.0625 bits per weight (66 bytes / 256). Multiplied against Q8_K activations.
#pragma once

#include <cstdint>

#include "core/fp16.h"
#include "quant/q8_k.h"
#include "quant/rounding.h"

namespace trit::quant {

// Layout of ggml's block_tq2_0. Code q in {0, 1, 2} means q - 1 in {-1, 0, +1}. The block is two
// groups of 128: byte g*32 + m holds element g*128 + m + 32k at bits 2k..2k+1, k = 0..3 (lowest
// bits first, the reverse of I2_S).
struct TQ2_0Block {
  uint8_t qs[kQK_K / 4];
  fp16_t d;   // block absmax
};
static_assert(sizeof(TQ2_0Block) == kQK_K / 4 + 2, "TQ2_0Block must match ggml block_tq2_0 (66 bytes)");

// Matches ggml quantize_row_tq2_0_ref: d = block absmax, q = lroundf(x / d) + 1 (ties away from
// zero). Ternary inputs {-a, 0, +a} come back exactly up to the fp16 rounding of a.
void quantize_row_tq2_0_ref(const float* x, TQ2_0Block* y, int64_t n);
// Matches ggml dequantize_row_tq2_0: float(q - 1) * d.
void dequantize_row_tq2_0(const TQ2_0Block* x, float* y, int64_t n);

// Matches ggml_vec_dot_tq2_0_q8_K_generic: exact int32 per block, then
// sum += float(sumi) * (dy * dx) in float.
float vec_dot_tq2_0_q8_K(int64_t n, const TQ2_0Block* x, const Q8KBlock* y);

// Unpacks one block's 256 codes as -1, 0, +1 in element order.
void unpack_tq2_0(const TQ2_0Block& block, int8_t out[kQK_K]);

}  // namespace trit::quant
