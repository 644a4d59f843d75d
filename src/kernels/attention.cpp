#include "kernels/attention.h"

#include <algorithm>
#include <cmath>

#include "core/cpu.h"
#include "kernels/kernels_avx2.h"
#include "kernels/matmul_variants.h"

namespace trit {
namespace {

float dot_f16_scalar(const fp16_t* a, const fp16_t* b, int64_t n) {
  float dot = 0.0f;
  for (int64_t d = 0; d < n; ++d) dot += fp16_to_fp32(a[d]) * fp16_to_fp32(b[d]);
  return dot;
}

void axpy_f16_scalar(float p, const fp16_t* v, float* out, int64_t n) {
  for (int64_t d = 0; d < n; ++d) out[d] += p * fp16_to_fp32(v[d]);
}

void fp32_to_fp16_row_scalar(const float* x, uint8_t* out, int64_t n) {
  auto* y = reinterpret_cast<fp16_t*>(out);
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void qk_scores_f16_scalar(const fp16_t* q16, const fp16_t* k, int64_t kv_stride, int64_t n_kv, int64_t n,
                          float scale, float* scores) {
  for (int64_t j = 0; j < n_kv; ++j) scores[j] = dot_f16_scalar(q16, k + j * kv_stride, n) * scale;
}

void pv_f16_scalar(const fp16_t* p16, const fp16_t* v, int64_t kv_stride, int64_t n_kv, int64_t n, float* out) {
  for (int64_t d = 0; d < n; ++d) out[d] = 0.0f;
  for (int64_t j = 0; j < n_kv; ++j) axpy_f16_scalar(fp16_to_fp32(p16[j]), v + j * kv_stride, out, n);
}

struct AttentionKernels {
  float (*dot)(const fp16_t*, const fp16_t*, int64_t);
  void (*axpy)(float, const fp16_t*, float*, int64_t);
  void (*to_f16)(const float*, uint8_t*, int64_t);
  decltype(&qk_scores_f16_scalar) qk;
  decltype(&pv_f16_scalar) pv;
};

const AttentionKernels& kernels() {
  static const AttentionKernels k =
#if TRIT_KERNELS_X86
      isa_supported(Isa::kAvx2) ? AttentionKernels{avx2::dot_f16, avx2::axpy_f16, avx2::quantize_f16,
                                                   avx2::qk_scores_f16, avx2::pv_f16} :
#endif
                                AttentionKernels{dot_f16_scalar, axpy_f16_scalar, fp32_to_fp16_row_scalar,
                                                 qk_scores_f16_scalar, pv_f16_scalar};
  return k;
}

}  // namespace

float dot_f16_f16(const fp16_t* a, const fp16_t* b, int64_t n) { return kernels().dot(a, b, n); }
void axpy_f16(float p, const fp16_t* v, float* out, int64_t n) { kernels().axpy(p, v, out, n); }
void qk_scores_f16(const fp16_t* q16, const fp16_t* k, int64_t kv_stride, int64_t n_kv, int64_t n, float scale,
                   float* scores) {
  kernels().qk(q16, k, kv_stride, n_kv, n, scale, scores);
}
void pv_f16(const fp16_t* p16, const fp16_t* v, int64_t kv_stride, int64_t n_kv, int64_t n, float* out) {
  kernels().pv(p16, v, kv_stride, n_kv, n, out);
}
void fp32_to_fp16_row(const float* x, fp16_t* out, int64_t n) {
  kernels().to_f16(x, reinterpret_cast<uint8_t*>(out), n);
}

int64_t attention_block_scratch(int64_t max_kv, int64_t head_dim) {
  // The AVX-512 kernel's (attention_avx512.cpp): 16 widened queries twice (as rows, and arranged
  // for the scores), each of whole 16-value chunks, and the key-major scores of 16 queries. The
  // portable path needs less (max_kv floats and max(max_kv, head_dim) halves).
  const int64_t hdp = (head_dim + 15) / 16 * 16;
  return 2 * 16 * hdp + 16 * std::max<int64_t>(max_kv, 1);
}

void attention_query_f16(const float* q, const fp16_t* k, const fp16_t* v, int64_t kv_stride, int64_t n_kv,
                         int64_t head_dim, float scale, float* scores, fp16_t* half, float* out) {
  fp32_to_fp16_row(q, half, head_dim);
  qk_scores_f16(half, k, kv_stride, n_kv, head_dim, scale, scores);
  float max_score = -INFINITY;
  for (int64_t j = 0; j < n_kv; ++j) max_score = std::max(max_score, scores[j]);
  double sum = 0.0;
  for (int64_t j = 0; j < n_kv; ++j) {
    scores[j] = std::exp(scores[j] - max_score);
    sum += double(scores[j]);
  }
  const float inv = float(1.0 / sum);
  for (int64_t j = 0; j < n_kv; ++j) scores[j] *= inv;
  fp32_to_fp16_row(scores, half, n_kv);
  pv_f16(half, v, kv_stride, n_kv, head_dim, out);
}

void attention_block_f16_portable(const AttentionBlock& b, float* scratch) {
  float* scores = scratch;                                                 // max_kv floats
  auto* half = reinterpret_cast<fp16_t*>(scratch + b.n_kv + b.n_tokens);  // q16, then p16
  for (int64_t t = 0; t < b.n_tokens; ++t)
    for (int64_t h = 0; h < b.n_heads; ++h)
      attention_query_f16(b.q + t * b.q_stride + h * b.head_dim, b.k, b.v, b.kv_stride, b.n_kv + t, b.head_dim,
                          b.scale, scores, half, b.out + t * b.out_stride + h * b.head_dim);
}

bool attention_block_avx512() {
  static const bool avx512 = cpu_features().avx512f && isa_supported(Isa::kAvx512Vnni);
  return avx512;
}

void attention_block_f16(const AttentionBlock& b, float* scratch) {
#if TRIT_KERNELS_X86
  if (attention_block_avx512()) return avx512::attention_block_f16(b, scratch);
#endif
  attention_block_f16_portable(b, scratch);
}

}  // namespace trit
