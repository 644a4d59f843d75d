// Q8_0: blocks of 32 int8 values with one fp16 scale, 8.5 bits per weight (34 bytes / 32).
// Also the activation format ggml pairs with Q8_0 and Q4_0 weights (vec_dot_type Q8_0).
#pragma once

#include <cstdint>

#include "core/fp16.h"

namespace trit::quant {

inline constexpr int64_t kQK8_0 = 32;

// Layout of ggml's block_q8_0.
struct Q8_0Block {
  fp16_t d;            // scale: value = qs[i] * d
  int8_t qs[kQK8_0];
};
static_assert(sizeof(Q8_0Block) == 2 + kQK8_0, "Q8_0Block must match ggml block_q8_0 (34 bytes)");

// n must be a multiple of kQK8_0 (callers check; see formats.h for the checked entry points).
// Matches ggml quantize_row_q8_0_ref: d = absmax / 127, q = roundf(x / d) (ties away from zero).
void quantize_row_q8_0_ref(const float* x, Q8_0Block* y, int64_t n);
// The activation variant: what ggml-cpu actually runs to quantize matmul activations on x86 (AVX/AVX2/
// AVX-512 builds: arch/x86/quants.c quantize_row_q8_0, and the Q4_0 repack path's
// ggml_quantize_mat_q8_0_4x8): d = absmax / 127 as above, but the multiplier is id = 127 / absmax (not
// 1 / d) and rounding is to nearest, ties to even. It differs from the _ref function in the last bit of
// x * id and on exact halves, enough to flip a code now and then; trit's matmuls use this one so that
// their activations equal llama.cpp's. (The _ref function stays the spec of the stored format.)
void quantize_row_q8_0_act(const float* x, Q8_0Block* y, int64_t n);
// Matches ggml dequantize_row_q8_0: q * d in float.
void dequantize_row_q8_0(const Q8_0Block* x, float* y, int64_t n);

// Matches ggml_vec_dot_q8_0_q8_0_generic: exact int32 sum per block, then
// sum += float(sumi) * (dx * dy) in float, block by block.
float vec_dot_q8_0_q8_0(int64_t n, const Q8_0Block* x, const Q8_0Block* y);

}  // namespace trit::quant
