// The scalar row of every variant table: quant/'s reference per-row functions, adapted to the
// variant signature. These are the spec the SIMD variants are tested against (STYLE.md 2).
#pragma once

#include "kernels/matmul_variants.h"

namespace trit::scalar {

void quantize_q8_K(const float* x, uint8_t* out, int64_t n);
void quantize_q8_0(const float* x, uint8_t* out, int64_t n);
void quantize_f16(const float* x, uint8_t* out, int64_t n);
void quantize_i8_s(const float* x, uint8_t* out, int64_t n);

// Every type with a quant/ vec_dot: one vec_dot per (row, token).
void matmul_rows_vec_dot(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_i2_s(const MatmulArgs& a, int64_t r0, int64_t r1);

}  // namespace trit::scalar
