// AVX2 kernels (each defined in a *_avx2.cpp compiled with -mavx2 -mfma -mf16c and nothing else
// compiled with those flags). Callers reach them only through the variant tables, after
// isa_supported(Isa::kAvx2), so no AVX2 instruction runs on a CPU without it.
#pragma once

#include "core/fp16.h"
#include "kernels/matmul_variants.h"

namespace trit::avx2 {

// Activation quantizers: bit-identical to quant/'s references (tested).
void quantize_q8_K(const float* x, uint8_t* out, int64_t n);
void quantize_q8_0(const float* x, uint8_t* out, int64_t n);
void quantize_f16(const float* x, uint8_t* out, int64_t n);
// F16 rounding, stored widened to F32 (4 bytes per value): the F16 matmul's activation format.
void quantize_f16_f32(const float* x, uint8_t* out, int64_t n);
void quantize_i8_s(const float* x, uint8_t* out, int64_t n);

void matmul_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_tq1_q8k(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_i2s_i8(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1);
// The same on kernels/repack.h's 16-row layout (matmul_q8_x16_avx2.cpp), equal to the reference bit
// for bit.
void x16_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1);
void x16_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_q6_k_q8k(const MatmulArgs& a, int64_t r0, int64_t r1);
void matmul_rows_f16_f16(const MatmulArgs& a, int64_t r0, int64_t r1);

// Attention helpers (model/blocks.cpp attention_head): fp16 x fp16 dot in float, and
// out[d] += p * v[d] with v fp16.
// x[i] / (1 + ggml_expf(-x[i])) for every element, bit-identical to the scalar form
// (activation_avx2.cpp).
void silu_ggml(float* x, int64_t n);

// kernels/rowops.h, the same bits as its plain loops (activation_avx2.cpp).
void relu2_gate(float* g, const float* u, int64_t n);
double sum_squares_f64(const float* x, int64_t n);

// kernels/repack.h, with the AVX2 TQ1_0 unpack.
void repack_tq1_0_as_tq2_0(const uint8_t* src, uint8_t* dst, int64_t n_blocks);

float dot_f16(const fp16_t* a, const fp16_t* b, int64_t n);
void axpy_f16(float p, const fp16_t* v, float* out, int64_t n);
// The same per key, for all keys of one query (attention_avx2.cpp): scores[j] = dot_f16(q, k_j) *
// scale; out = sum over j in order of p_j * v_j (axpy_f16 from zero).
void qk_scores_f16(const fp16_t* q16, const fp16_t* k, int64_t kv_stride, int64_t n_kv, int64_t n, float scale,
                   float* scores);
void pv_f16(const fp16_t* p16, const fp16_t* v, int64_t kv_stride, int64_t n_kv, int64_t n, float* out);

}  // namespace trit::avx2
