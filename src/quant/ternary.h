// The absmean ternary quantizer of BitNet b1.58: the one way trit turns float weights into
// ternary codes for TQ1_0, TQ2_0 and I2_S (synth/ uses it to make ternary models).
//
//   scale = max(mean|W|, kAbsmeanMinScale);  code = clamp(round(W / scale), -1, 1);  W' = code * scale
//
// Ties round to even, as torch.round does in the BitNet reference code. TQ1_0 / TQ2_0 then store
// their own per-block scale (block absmax, as ggml does); feed them ternary_to_float(codes, scale)
// and they reproduce the codes exactly.
#pragma once

#include <cstdint>

namespace trit::quant {

// The BitNet reference clamps mean|W| from below (w.abs().mean().clamp(min=1e-5)) so an all-zero
// tensor gets a finite scale and all-zero codes instead of 0/0.
inline constexpr float kAbsmeanMinScale = 1e-5f;

// mean|W| over n values, summed in double, rounded to float, clamped below by kAbsmeanMinScale.
float absmean_scale(const float* w, int64_t n);

// codes[i] = clamp(round_half_even(w[i] / scale), -1, 1) for a given scale (> 0).
void ternarize(const float* w, float scale, int8_t* codes, int64_t n);

// out[i] = codes[i] * scale.
void ternary_to_float(const int8_t* codes, float scale, float* out, int64_t n);

}  // namespace trit::quant
