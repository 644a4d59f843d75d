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
// For all n_kv keys of one query (rows of the cache kv_stride apart): scores[j] = dot_f16_f16(q16,
// k_j, n) * scale, and out[0..n) = sum over j, in order, of p16[j] * v_j (axpy_f16 from zero).
// The same bits as those calls one key at a time, with less work per key.
void qk_scores_f16(const fp16_t* q16, const fp16_t* k, int64_t kv_stride, int64_t n_kv, int64_t n, float scale,
                   float* scores);
void pv_f16(const fp16_t* p16, const fp16_t* v, int64_t kv_stride, int64_t n_kv, int64_t n, float* out);
// out[i] = fp32_to_fp16(x[i]) (F16C when available: the same round-to-nearest-even bits).
void fp32_to_fp16_row(const float* x, fp16_t* out, int64_t n);

}  // namespace trit
