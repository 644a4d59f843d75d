// Base NEON (every 64-bit ARM CPU): the integer row kernels of neon_rows.h with widening
// multiplies, and F16 x F16.
#include "kernels/kernels_neon.h"
#include "kernels/neon_rows.h"

namespace trit::neon {

void matmul_rows_tq2_q8k(const MatmulArgs& a, int64_t r0, int64_t r1) { rows_tq2_q8k<WideningDot>(a, r0, r1); }
void matmul_rows_i2s_i8(const MatmulArgs& a, int64_t r0, int64_t r1) { rows_i2s_i8<WideningDot>(a, r0, r1); }
void matmul_rows_q8_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) { rows_q8_0_q8_0<WideningDot>(a, r0, r1); }
void matmul_rows_q4_0_q8_0(const MatmulArgs& a, int64_t r0, int64_t r1) { rows_q4_0_q8_0<WideningDot>(a, r0, r1); }

// Activations rounded to F16 (as the scalar quantize_f16 does: round to nearest even) and widened
// back to F32, so the F16 kernel converts only the weights.
void quantize_f16_f32(const float* x, uint8_t* out, int64_t n) {
  auto* y = reinterpret_cast<float*>(out);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vcvt_f32_f16(vcvt_f16_f32(vld1q_f32(x + i))));
  for (; i < n; ++i) y[i] = fp16_to_fp32(fp32_to_fp16(x[i]));
}

// F16 weights x those activations: each product of two F16 values is exact in float; four
// float32x4 sums over 16 elements at a time, then the tail one by one. The reference sums in
// double, so this differs by float rounding only (the F16 tolerance).
void matmul_rows_f16_f16(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const int64_t n = a.w->cols;
  for_rows_and_tokens<float16_t, float>(a, r0, r1, [n](const float16_t* x, const float* y) {
    float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
      const float16x8_t x0 = vld1q_f16(x + i), x1 = vld1q_f16(x + i + 8);
      acc[0] = vfmaq_f32(acc[0], vcvt_f32_f16(vget_low_f16(x0)), vld1q_f32(y + i));
      acc[1] = vfmaq_f32(acc[1], vcvt_high_f32_f16(x0), vld1q_f32(y + i + 4));
      acc[2] = vfmaq_f32(acc[2], vcvt_f32_f16(vget_low_f16(x1)), vld1q_f32(y + i + 8));
      acc[3] = vfmaq_f32(acc[3], vcvt_high_f32_f16(x1), vld1q_f32(y + i + 12));
    }
    float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
    const auto* xh = reinterpret_cast<const fp16_t*>(x);
    for (; i < n; ++i) sum += fp16_to_fp32(xh[i]) * y[i];
    return sum;
  });
}

}  // namespace trit::neon
