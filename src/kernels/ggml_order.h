// Scalar spellings of ggml's SIMD loops whose rounding shows downstream, so that trit can
// reproduce a reference bit for bit where it matters: before an I2_S matmul, bitnet.cpp rounds
// every activation to int8, so one ulp of difference in attention becomes a whole int8 step now
// and then, and the strict crossval profile sees it (docs/lane-a.md). `lanes` is the SIMD width
// of the reference's build: 16 (AVX-512), 8 (AVX2 + FMA); anything else means ggml's plain loop.
// Each function cites the ggml code (ggml/src/ggml.c of bitnet.cpp's 2024-10 fork; the same loops
// are in mainline's ggml-cpu) and llamafile's tinyBLAS (ggml/src/llamafile/sgemm.cpp).
#pragma once

#include <cstdint>

#include "core/fp16.h"

namespace trit {

// ggml_v_expf, one lane (same constants and fused multiply-adds; exact power-of-two scaling).
float ggml_expf(float x);

// The lane count of ggml's softmax loop on this CPU: 16 (AVX-512F), 8 (AVX2 + FMA) or 1 (its
// scalar expf fallback). A build for this CPU (bitnet.cpp's -march=native, or the npm CPU variant
// picked at run time) takes the widest branch the CPU has. Detected once.
int ggml_softmax_lanes();

// y[i] = exp(x[i] - max) for i < n and returns their sum in double, as ggml_vec_soft_max_f32 with
// `lanes` lanes (ggml_softmax_lanes() for this CPU). The reference pads the KV length with masked
// (zero) entries to a multiple of 32, so its vectors are whole; here the tail vector is zero-filled,
// which adds the same exact zeros in the same tree.
double softmax_exp_ggml(const float* x, float max, float* y, int64_t n, int lanes);

// ggml_vec_silu_f32: whole vectors of `lanes` with ggml_v_silu (x / (1 + ggml_v_expf(-x))), the
// tail with x / (1 + expf(-x)). In place.
void silu_ggml(float* x, int64_t n, int lanes);
// x / (1 + ggml_expf(-x)) for every element (AVX2 where the CPU has it: the same bits).
void silu_expf(float* x, int64_t n);

// ggml_vec_dot_f16 (K·q without llamafile): four accumulators of `lanes` lanes over steps of
// 4 * lanes elements with fused multiply-adds, combined as ggml's GGML_F32xN_REDUCE, the rest in
// double. Returns the float ggml stores.
float dot_f16_ggml(const fp16_t* a, const fp16_t* b, int64_t n, int lanes);

// llamafile tinyBLAS<lanes> F16 x F32 (P·V of bitnet.cpp's ggml, where P stays float): for each
// of head_dim outputs d, lane j % lanes accumulates fma(v[j][d], p[j], acc) over j < n_kv (v rows
// kv_stride halves apart), then hsum's halving tree. out[d] = that sum.
void pv_tinyblas(const float* p, const fp16_t* v, int64_t kv_stride, int64_t n_kv, int64_t head_dim, int lanes,
                 float* out);

}  // namespace trit
