// Per-token row operations of the forward pass that are worth SIMD (model/blocks.cpp): dispatched
// once, AVX2 where the CPU has it (activation_avx2.cpp), plain loops otherwise.
#pragma once

#include <cstdint>

namespace trit {

// g[i] = max(g[i], 0)^2 * u[i] (BitNet b1.58's squared-ReLU gate; NaN and -0 gates give 0, as
// `g > 0 ? g : 0`). The same bits as the plain loop.
void relu2_gate(float* g, const float* u, int64_t n);

// sum of double(x[i] * x[i]): each square rounded to float, as ggml's rms_norm does, then added in
// double. ggml adds them one after another, a chain of n dependent double adds; this adds them in
// 16 interleaved partial sums (element i into sum i % 16, those combined in a fixed tree, the tail
// last), which differs from the sequential sum only by double rounding (2^-53 relative per add).
double sum_squares_f64(const float* x, int64_t n);

}  // namespace trit
