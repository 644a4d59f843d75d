#include "quant/q6_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace trit::quant {
namespace {

// ggml's GROUP_MAX_EPS: a group whose largest magnitude is below this is treated as all zero.
constexpr float kGroupMaxEps = 1e-15f;

// Matches ggml make_qx_quants(n, nmax, x, L, rmse_type = 1, qw = NULL): a symmetric scale for one
// group, chosen among 19 candidate inverse scales by weighted least squares with weights x^2.
// Writes L[i] = l + nmax (l in [-nmax, nmax - 1]) and returns the scale. Float operations are kept
// in ggml's order so the chosen candidate, and hence every byte, is the same.
float make_qx_quants_rmse1(int n, int nmax, const float* x, int8_t* L) {
  float max = 0.0f;
  float amax = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  auto clamp_l = [nmax](int l) { return std::max(-nmax, std::min(nmax - 1, l)); };

  float iscale = float(-nmax) / max;
  float sumlx = 0.0f;
  float suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = clamp_l(nearest_int(iscale * x[i]));
    L[i] = int8_t(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * float(l);
    suml2 += w * float(l) * float(l);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(float(nmax) + 0.1f * float(is)) / max;
    sumlx = 0.0f;
    suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_l(nearest_int(iscale * x[i]));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * float(l);
      suml2 += w * float(l) * float(l);
    }
    if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) L[i] = int8_t(nmax + clamp_l(nearest_int(iscale * x[i])));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

}  // namespace

void quantize_row_q6_K_ref(const float* x, Q6KBlock* y, int64_t n) {
  const int64_t nb = n / kQK_K;
  int8_t L[kQK_K];
  float scales[kQK_K / 16];
  for (int64_t b = 0; b < nb; ++b, x += kQK_K) {
    float max_scale = 0.0f;
    float max_abs_scale = 0.0f;
    for (int g = 0; g < kQK_K / 16; ++g) {
      scales[g] = make_qx_quants_rmse1(16, 32, x + 16 * g, L + 16 * g);
      if (std::fabs(scales[g]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[g]);
        max_scale = scales[g];
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(&y[b], 0, sizeof(Q6KBlock));
      y[b].d = fp32_to_fp16(0.0f);
      continue;
    }
    const float iscale = -128.0f / max_scale;
    y[b].d = fp32_to_fp16(1.0f / iscale);
    for (int g = 0; g < kQK_K / 16; ++g) y[b].scales[g] = int8_t(std::min(127, nearest_int(iscale * scales[g])));

    // Re-round every value against the scale actually stored. A group whose stored scale is 0
    // keeps the codes make_qx_quants wrote (ggml skips it too); they decode to 0 either way.
    for (int g = 0; g < kQK_K / 16; ++g) {
      const float d = fp16_to_fp32(y[b].d) * float(y[b].scales[g]);
      if (d == 0.0f) continue;
      for (int i = 0; i < 16; ++i) {
        const int l = std::max(-32, std::min(31, nearest_int(x[16 * g + i] / d)));
        L[16 * g + i] = int8_t(l + 32);
      }
    }

    uint8_t* ql = y[b].ql;
    uint8_t* qh = y[b].qh;
    for (int h = 0; h < kQK_K; h += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        const int8_t* q = L + h + l;
        ql[l] = uint8_t((q[0] & 0xF) | ((q[64] & 0xF) << 4));
        ql[l + 32] = uint8_t((q[32] & 0xF) | ((q[96] & 0xF) << 4));
        qh[l] = uint8_t((q[0] >> 4) | ((q[32] >> 4) << 2) | ((q[64] >> 4) << 4) | ((q[96] >> 4) << 6));
      }
    }
  }
}

void unpack_q6_K(const Q6KBlock& block, int8_t out[kQK_K]) {
  const uint8_t* ql = block.ql;
  const uint8_t* qh = block.qh;
  for (int h = 0; h < kQK_K; h += 128, ql += 64, qh += 32) {
    for (int l = 0; l < 32; ++l) {
      out[h + l] = int8_t(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
      out[h + l + 32] = int8_t(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
      out[h + l + 64] = int8_t(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
      out[h + l + 96] = int8_t(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
    }
  }
}

void dequantize_row_q6_K(const Q6KBlock* x, float* y, int64_t n) {
  const int64_t nb = n / kQK_K;
  int8_t q[kQK_K];
  for (int64_t b = 0; b < nb; ++b) {
    const float d = fp16_to_fp32(x[b].d);
    unpack_q6_K(x[b], q);
    for (int i = 0; i < kQK_K; ++i) y[b * kQK_K + i] = d * float(x[b].scales[i / 16]) * float(q[i]);
  }
}

float vec_dot_q6_K_q8_K(int64_t n, const Q6KBlock* x, const Q8KBlock* y) {
  const int64_t nb = n / kQK_K;
  float lane_sum[8] = {};
  int8_t q[kQK_K];
  for (int64_t b = 0; b < nb; ++b) {
    unpack_q6_K(x[b], q);
    int32_t lane_int[8] = {};
    for (int i = 0; i < kQK_K; ++i)
      lane_int[i % 8] += int32_t(x[b].scales[i / 16]) * (int32_t(q[i]) * int32_t(y[b].qs[i]));
    const float d = fp16_to_fp32(x[b].d) * y[b].d;
    for (int l = 0; l < 8; ++l) lane_sum[l] += d * float(lane_int[l]);
  }
  float sum = 0.0f;
  for (float s : lane_sum) sum += s;
  return sum;
}

}  // namespace trit::quant
