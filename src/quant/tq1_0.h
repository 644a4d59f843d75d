// TQ1_0 (ggml type 34): ternary weights in blocks of 256 packed base 3 (5 or 4 trits per byte)
// and one fp16 scale: 1.6875 bits per weight (54 bytes / 256). Multiplied against Q8_K.
#pragma once

#include <cstdint>

#include "core/fp16.h"
#include "quant/q8_k.h"
#include "quant/rounding.h"

namespace trit::quant {

// Layout of ggml's block_tq1_0. Each byte stores v = ceil(t * 256 / 243), where t is the base-3
// number of its trits (codes q + 1 in {0, 1, 2}, first trit most significant, 4-trit bytes shifted
// up one trit); trit k decodes as ((uint8_t)(v * 3^k) * 3) >> 8. Element order:
//   qs[0..31]:  5 trits each, trit k of byte m is element 32k + m            (elements 0..159)
//   qs[32..47]: 5 trits each, trit k of byte 32 + m is element 160 + 16k + m (elements 160..239)
//   qh[0..3]:   4 trits each, trit k of byte j is element 240 + 4k + j       (elements 240..255)
struct TQ1_0Block {
  uint8_t qs[(kQK_K - 4 * kQK_K / 64) / 5];  // 48
  uint8_t qh[kQK_K / 64];                    // 4
  fp16_t d;                                  // block absmax
};
static_assert(sizeof(TQ1_0Block) == 48 + 4 + 2, "TQ1_0Block must match ggml block_tq1_0 (54 bytes)");

// Matches ggml quantize_row_tq1_0_ref: d = block absmax, q = lroundf(x / d) + 1.
void quantize_row_tq1_0_ref(const float* x, TQ1_0Block* y, int64_t n);
// Matches ggml dequantize_row_tq1_0: float(q - 1) * d.
void dequantize_row_tq1_0(const TQ1_0Block* x, float* y, int64_t n);

// Matches ggml_vec_dot_tq1_0_q8_K_generic: exact int32 per block, then
// sum += float(sumi) * (dx * dy) in float.
float vec_dot_tq1_0_q8_K(int64_t n, const TQ1_0Block* x, const Q8KBlock* y);

// Unpacks one block's 256 codes as -1, 0, +1 in element order.
void unpack_tq1_0(const TQ1_0Block& block, int8_t out[kQK_K]);

}  // namespace trit::quant
