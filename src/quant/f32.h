// F32: plain IEEE single precision, 32 bits per weight. Its activations are F32 too
// (ggml's vec_dot_type for F32 is F32).
#pragma once

#include <cstdint>

namespace trit::quant {

// Copies: F32 "quantization" is the identity (ggml's from_float for F32 is a memcpy).
void quantize_row_f32_ref(const float* x, float* y, int64_t n);
void dequantize_row_f32(const float* x, float* y, int64_t n);

// Matches the scalar branch of ggml_vec_dot_f32: each product rounded to float, summed in double,
// the sum rounded to float once at the end.
float vec_dot_f32(int64_t n, const float* x, const float* y);

}  // namespace trit::quant
