// The building blocks of the transformer, as plain functions on float rows. Each matches the
// corresponding ggml CPU op where the reference's rounding matters (cited per function).
#pragma once

#include <cstdint>
#include <span>

#include "core/fp16.h"
#include "kernels/matmul.h"
#include "model/hparams.h"

namespace trit {

// How a reference engine rounds the float steps that its later int8 quantization can tell apart;
// chosen per compat profile (model.cpp ref_numerics). The defaults are trit's llama.cpp path.
struct RefNumerics {
  bool rope_fma = false;   // RoPE rotation with fused multiply-adds (clang's -ffp-contract=on, -march=native)
  bool ggml_simd = false;  // K·q, SiLU in ggml's SIMD order with ggml_v_expf (kernels/ggml_order.h)
  bool pv_f32 = false;     // P·V with float probabilities in llamafile tinyBLAS F16 x F32 order
  int lanes = 1;           // the reference's SIMD width (ggml_softmax_lanes(): 16, 8 or 1)
  MatmulOrder matmul = MatmulOrder::kFastest;  // kernels/matmul.h: whose float epilogue, where a kernel has the choice
};

// y = x / sqrt(mean(x^2) + eps) * w. Matches ggml rms_norm: squares summed in double, the mean
// cast to float, scale = 1/sqrtf(mean + eps), then (x * scale) * w. ggml_order = false sums the
// squares in kernels/rowops.h's interleaved order (vectorized; differs only by double rounding).
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps, bool ggml_order = true);

// Rotary position embedding of one head in place (head_dim values at position pos).
// Matches ggml_rope_cache_init: theta starts at pos and is multiplied by
// theta_scale = powf(base, -2/head_dim) once per pair, in float; freq_factors divide theta.
// cos_sin: head_dim/2 (cos, sin) pairs for position pos.
void rope_cos_sin(int64_t pos, int64_t head_dim, float freq_base, const float* freq_factors, float* cos_sin);
// fma: x0*c - x1*s as fma(x0, c, -(x1*s)) and x0*s + x1*c as fma(x0, s, x1*c), which is what
// clang makes of ggml's rope loop (bitnet.cpp requires clang).
void rope_apply(float* head, int64_t head_dim, RopeType type, const float* cos_sin, bool fma = false);

// g = act(g) * u, elementwise (the gated FFN).
// num.ggml_simd: SiLU as ggml_vec_silu_f32 on rows of `row` elements (kernels/ggml_order.h).
void gated_activation(Activation act, float* g, const float* u, int64_t n, const RefNumerics& num = {},
                      int64_t row = 0);

// Causal attention for one query head over positions 0..n_kv-1 of one KV head, whose K and V rows
// are stored as fp16 with `kv_stride` halves between positions. Matches llama.cpp without flash
// attention: q is rounded to fp16 for K·q (ggml converts src1 to F16), softmax in float with the
// sum in double, and the probabilities are rounded to fp16 before P·V.
void attention_head(const float* q, const fp16_t* k, const fp16_t* v, int64_t kv_stride, int64_t n_kv,
                    int64_t head_dim, float scale, float* scratch /* n_kv floats */,
                    fp16_t* scratch16 /* max(n_kv, head_dim) halves */, float* out,
                    const RefNumerics& num = {});

}  // namespace trit
