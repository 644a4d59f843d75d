// The building blocks of the transformer, as plain functions on float rows. Each matches the
// corresponding ggml CPU op where the reference's rounding matters (cited per function).
#pragma once

#include <cstdint>
#include <span>

#include "core/fp16.h"
#include "model/hparams.h"

namespace trit {

// y = x / sqrt(mean(x^2) + eps) * w. Matches ggml rms_norm: squares summed in double, the mean
// cast to float, scale = 1/sqrtf(mean + eps), then (x * scale) * w.
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);

// Rotary position embedding of one head in place (head_dim values at position pos).
// Matches ggml_rope_cache_init: theta starts at pos and is multiplied by
// theta_scale = powf(base, -2/head_dim) once per pair, in float; freq_factors divide theta.
// cos_sin: head_dim/2 (cos, sin) pairs for position pos.
void rope_cos_sin(int64_t pos, int64_t head_dim, float freq_base, const float* freq_factors, float* cos_sin);
void rope_apply(float* head, int64_t head_dim, RopeType type, const float* cos_sin);

// g = act(g) * u, elementwise (the gated FFN).
void gated_activation(Activation act, float* g, const float* u, int64_t n);

// Causal attention for one query head over positions 0..n_kv-1 of one KV head, whose K and V rows
// are stored as fp16 with `kv_stride` halves between positions. Matches llama.cpp without flash
// attention: q is rounded to fp16 for K·q (ggml converts src1 to F16), softmax in float with the
// sum in double, and the probabilities are rounded to fp16 before P·V.
void attention_head(const float* q, const fp16_t* k, const fp16_t* v, int64_t kv_stride, int64_t n_kv,
                    int64_t head_dim, float scale, float* scratch /* n_kv floats */,
                    fp16_t* scratch16 /* max(n_kv, head_dim) halves */, float* out);

}  // namespace trit
