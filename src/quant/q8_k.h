// Q8_K: blocks of 256 int8 values with a float scale and 16 partial sums, 9.125 bits per value
// (292 bytes / 256). The activation format ggml pairs with the K-quants and TQ1_0 / TQ2_0
// (vec_dot_type Q8_K); it has no dot product of its own.
#pragma once

#include <cstdint>

#include "quant/rounding.h"

namespace trit::quant {

// Layout of ggml's block_q8_K.
struct Q8KBlock {
  float d;                     // value = qs[i] * d
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];   // sum of each group of 16 qs (used by some K-quant dots)
};
static_assert(sizeof(Q8KBlock) == 4 + kQK_K + 2 * (kQK_K / 16), "Q8KBlock must match ggml block_q8_K (292 bytes)");

// Matches ggml quantize_row_q8_K_ref: max = signed value of largest magnitude, iscale = -127/max,
// q = min(127, nearest_int(iscale * x)) (so -max maps to +127 and max to -127; 128 is clipped),
// d = 1/iscale. An all-zero block gets d = 0 and q = 0; ggml leaves bsums unwritten there, trit
// writes zeros.
void quantize_row_q8_K_ref(const float* x, Q8KBlock* y, int64_t n);
// Matches ggml dequantize_row_q8_K: d * q in float.
void dequantize_row_q8_K(const Q8KBlock* x, float* y, int64_t n);

}  // namespace trit::quant
