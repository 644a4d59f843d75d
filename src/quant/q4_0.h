// Q4_0: blocks of 32 4-bit values with one fp16 scale, 4.5 bits per weight (18 bytes / 32).
// Multiplied against Q8_0 activations (ggml's vec_dot_type for Q4_0).
#pragma once

#include <cstdint>

#include "core/fp16.h"
#include "quant/q8_0.h"

namespace trit::quant {

inline constexpr int64_t kQK4_0 = 32;

// Layout of ggml's block_q4_0: byte j holds element j in its low nibble and element j + 16 in
// its high nibble; value = (nibble - 8) * d.
struct Q4_0Block {
  fp16_t d;
  uint8_t qs[kQK4_0 / 2];
};
static_assert(sizeof(Q4_0Block) == 2 + kQK4_0 / 2, "Q4_0Block must match ggml block_q4_0 (18 bytes)");

// Matches ggml quantize_row_q4_0_ref: d = (signed value of largest magnitude) / -8, so that value
// maps to -8 exactly; q = min(15, trunc(x / d + 8.5)).
void quantize_row_q4_0_ref(const float* x, Q4_0Block* y, int64_t n);
// Matches ggml dequantize_row_q4_0.
void dequantize_row_q4_0(const Q4_0Block* x, float* y, int64_t n);

// Matches ggml_vec_dot_q4_0_q8_0_generic: exact int32 per block, then
// sum += (float(sumi) * dx) * dy in float.
float vec_dot_q4_0_q8_0(int64_t n, const Q4_0Block* x, const Q8_0Block* y);

}  // namespace trit::quant
