#include "kernels/attention.h"

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
  static const AttentionKernels k = isa_supported(Isa::kAvx2)
                                        ? AttentionKernels{avx2::dot_f16, avx2::axpy_f16, avx2::quantize_f16,
                                                           avx2::qk_scores_f16, avx2::pv_f16}
                                        : AttentionKernels{dot_f16_scalar, axpy_f16_scalar, fp32_to_fp16_row_scalar,
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

}  // namespace trit
