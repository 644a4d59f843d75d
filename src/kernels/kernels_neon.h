// NEON kernels for 64-bit ARM (matmul_neon.cpp; the _dot ones in matmul_neon_dot.cpp use the
// Armv8.2 dot product: call them only where isa_available(Isa::kNeonDot)). Same MatmulRowsFn
// contract as the scalar rows; integer formats equal the scalar reference bit for bit, F16 is
// within its tolerance. Declared on every architecture, defined only in aarch64 builds.
#pragma once

#include "kernels/matmul_variants.h"

namespace trit::neon {

void matmul_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_i2s_i8(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1);
// F16: activations rounded to F16 and kept as F32 (MatmulVariant::act_value_bytes = 4).
void quantize_f16_f32(const float* x, uint8_t* out, int64_t n);
void matmul_rows_f16_f16(const MatmulArgs& a, int64_t r0, int64_t r1);

void matmul_rows_tq2_q8k_dot(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_i2s_i8_dot(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_q8_0_q8_0_dot(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_q4_0_q8_0_dot(const MatmulArgs& a, int64_t r0, int64_t r1);

}  // namespace trit::neon
