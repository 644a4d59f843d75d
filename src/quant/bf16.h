// BF16: bfloat16 (the top 16 bits of an IEEE single), 16 bits per weight. ggml pairs BF16
// weights with BF16 activations (vec_dot_type BF16).
#pragma once

#include <cstdint>

#include "core/fp16.h"

namespace trit::quant {

// Round to nearest even, NaNs quieted; matches ggml_fp32_to_bf16_row_ref. (ggml_fp32_to_bf16_row
// may use AVX512-BF16 instructions that flush subnormals; the _ref variant is the definition.)
void quantize_row_bf16_ref(const float* x, bf16_t* y, int64_t n);
// Exact widening; matches ggml_bf16_to_fp32_row.
void dequantize_row_bf16(const bf16_t* x, float* y, int64_t n);

// Matches the scalar tail of ggml_vec_dot_bf16: widen both, product in float, sum in double.
float vec_dot_bf16(int64_t n, const bf16_t* x, const bf16_t* y);

}  // namespace trit::quant
