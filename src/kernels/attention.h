// fp16 vector helpers for attention (model/blocks.cpp attention_head), dispatched once like matmul.
#pragma once

#include <cstdint>

#include "core/fp16.h"

namespace trit {

// sum(a[i] * b[i]) in float. The AVX2 variant sums in 32 lanes (a different order than the
// sequential scalar loop: kernels tests bound the difference).
float dot_f16_f16(const fp16_t* a, const fp16_t* b, int64_t n);
// out[i] += p * v[i], rounding exactly as the scalar loop (mul then add, per element).
void axpy_f16(float p, const fp16_t* v, float* out, int64_t n);
// out[i] = fp32_to_fp16(x[i]) (F16C when available: the same round-to-nearest-even bits).
void fp32_to_fp16_row(const float* x, fp16_t* out, int64_t n);

}  // namespace trit
