// F16: IEEE half precision, 16 bits per weight. ggml pairs F16 weights with F16 activations
// (vec_dot_type F16): the activations are rounded to half before the dot.
#pragma once

#include <cstdint>

#include "core/fp16.h"

namespace trit::quant {

// Round to nearest even; matches ggml_fp32_to_fp16_row (and _cvtss_sh(x, 0) on F16C machines).
void quantize_row_f16_ref(const float* x, fp16_t* y, int64_t n);
// Exact widening; matches ggml_fp16_to_fp32_row.
void dequantize_row_f16(const fp16_t* x, float* y, int64_t n);

// Matches the scalar branch of ggml_vec_dot_f16: widen both, product in float, sum in double.
float vec_dot_f16(int64_t n, const fp16_t* x, const fp16_t* y);

}  // namespace trit::quant
