#include "model/blocks.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/prefetch.h"
#include "kernels/attention.h"
#include "kernels/ggml_order.h"
#include "kernels/rowops.h"

namespace trit {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps, bool ggml_order) {
  // In decode the weights come from memory (the matmuls' stream evicts them between layers): ask for
  // all their lines now, so they arrive while the sum of squares runs instead of one by one in the
  // loop below. 2B4T TQ2_0 decode, per-phase timers, alternating builds, three rounds: the four
  // norms of a token 277-337 -> 216-253 us at 1 thread.
  prefetch_lines(w, size_t(n) * sizeof(float));
  double sum = 0.0;
  if (ggml_order) {
    for (int64_t i = 0; i < n; ++i) sum += double(x[i] * x[i]);
  } else {
    sum = sum_squares_f64(x, n);
  }
  const float mean = float(sum / double(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * w[i];
}

void rope_cos_sin(int64_t pos, int64_t head_dim, float freq_base, const float* freq_factors, float* cos_sin) {
  const float theta_scale = std::pow(freq_base, -2.0f / float(head_dim));
  float theta = float(pos);
  for (int64_t i = 0; i < head_dim / 2; ++i) {
    const float ff = freq_factors ? freq_factors[i] : 1.0f;
    const float t = theta / ff;
    cos_sin[2 * i] = std::cos(t);
    cos_sin[2 * i + 1] = std::sin(t);
    theta *= theta_scale;
  }
}

void rope_apply(float* head, int64_t head_dim, RopeType type, const float* cos_sin, bool fma) {
  const int64_t half = head_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
    // normal: adjacent pairs (2i, 2i+1); neox: rotate-half pairs (i, i + half).
    const int64_t a = type == RopeType::kNormal ? 2 * i : i;
    const int64_t b = type == RopeType::kNormal ? 2 * i + 1 : i + half;
    const float x0 = head[a], x1 = head[b];
    if (fma) {
      head[a] = std::fma(x0, c, -(x1 * s));
      head[b] = std::fma(x0, s, x1 * c);
    } else {
      head[a] = x0 * c - x1 * s;
      head[b] = x0 * s + x1 * c;
    }
  }
}

namespace {

}  // namespace

void gated_activation(Activation act, float* g, const float* u, int64_t n, const RefNumerics& num, int64_t row) {
  if (act == Activation::kSilu && num.ggml_simd && row > 0) {
    // ggml: silu(gate) per row, then gate * up.
    for (int64_t r0 = 0; r0 < n; r0 += row) silu_ggml(g + r0, std::min(row, n - r0), num.lanes);
    for (int64_t i = 0; i < n; ++i) g[i] *= u[i];
    return;
  }
  switch (act) {
    case Activation::kSilu:
      // With ggml's exp (a degree-5 polynomial, within 2 ulp of expf): vectorizable, and the
      // function the references compute.
      silu_expf(g, n);
      for (int64_t i = 0; i < n; ++i) g[i] *= u[i];
      break;
    case Activation::kRelu2:
      relu2_gate(g, u, n);
      break;
    case Activation::kGelu: {
      // tanh approximation, as ggml_gelu.
      constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
      constexpr float kCoef = 0.044715f;
      for (int64_t i = 0; i < n; ++i) {
        const float x = g[i];
        g[i] = 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kCoef * x * x))) * u[i];
      }
      break;
    }
  }
}

void attention_head(const float* q, const fp16_t* k, const fp16_t* v, int64_t kv_stride, int64_t n_kv,
                    int64_t head_dim, float scale, float* scores, fp16_t* scratch16, float* out,
                    const RefNumerics& num) {
  if (!num.ggml_simd) {  // the native numerics, one query (kernels/attention.h)
    attention_query_f16(q, k, v, kv_stride, n_kv, head_dim, scale, scores, scratch16, out);
    return;
  }
  fp32_to_fp16_row(q, scratch16, head_dim);
  // q and k are both fp16 (as llama.cpp's KQ); ggml sums the products in its SIMD order.
  for (int64_t j = 0; j < n_kv; ++j) scores[j] = dot_f16_ggml(scratch16, k + j * kv_stride, head_dim, num.lanes) * scale;
  float max_score = -INFINITY;
  for (int64_t j = 0; j < n_kv; ++j) max_score = std::max(max_score, scores[j]);
  // ggml's v_expf lanes bit for bit (kernels/ggml_order.h), the sum in double.
  const double sum = softmax_exp_ggml(scores, max_score, scores, n_kv, num.lanes);
  const float inv = float(1.0 / sum);
  if (num.lanes == 8 || num.lanes == 16) {
    if (num.pv_f32) {
      // A batch of >= 2 tokens: llamafile's tinyBLAS takes P in float.
      for (int64_t j = 0; j < n_kv; ++j) scores[j] *= inv;
      pv_tinyblas(scores, v, kv_stride, n_kv, head_dim, num.lanes, out);
      return;
    }
    // One token: ggml converts P to fp16 and dots each V^T row with ggml_vec_dot_f16 over the KV
    // length llama.cpp pads to 32 (kv_self.n); the padding's probabilities are 0.
    const int64_t n_pad = (n_kv + 31) / 32 * 32;
    thread_local std::vector<fp16_t> p16, col;
    p16.assign(size_t(n_pad), fp16_t(0));
    col.assign(size_t(n_pad), fp16_t(0));
    for (int64_t j = 0; j < n_kv; ++j) p16[size_t(j)] = fp32_to_fp16(scores[j] * inv);
    for (int64_t d = 0; d < head_dim; ++d) {
      for (int64_t j = 0; j < n_kv; ++j) col[size_t(j)] = v[j * kv_stride + d];
      out[d] = dot_f16_ggml(col.data(), p16.data(), n_pad, num.lanes);
    }
    return;
  }
  for (int64_t j = 0; j < n_kv; ++j) scores[j] *= inv;
  fp32_to_fp16_row(scores, scratch16, n_kv);
  pv_f16(scratch16, v, kv_stride, n_kv, head_dim, out);
}

}  // namespace trit
