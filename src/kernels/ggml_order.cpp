#include "kernels/ggml_order.h"

#include <cmath>
#include <cstring>

#include "core/cpu.h"
#include "kernels/kernels_avx2.h"
#include "kernels/matmul_variants.h"

namespace trit {

float ggml_expf(float x) {
  // ggml_v_expf (ggml.c / ggml-cpu vec.h): n = round(x / ln 2) via the 1.5 * 2^23 trick, b = x - n
  // ln 2 in two parts, a degree-5 polynomial in b, times 2^n.
  const float r = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, r);
  const float n = z - r;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                    std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                           u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  if (std::isnan(n)) return n;
  if (std::fabs(n) > 192) return n <= 0 ? 0.0f : INFINITY;
  return std::ldexp(j, int(n));  // _mm512_scalef_ps / the AVX2 exponent add: exact scaling
}

int ggml_softmax_lanes() {
  // ggml: `#if defined(__AVX512F__) && defined(__AVX512DQ__)`, then `__AVX2__ && __FMA__`.
  static const int lanes = [] {
    const CpuFeatures& f = cpu_features();
    return f.avx512f ? 16 : (f.avx2 && f.fma ? 8 : 1);
  }();
  return lanes;
}

double softmax_exp_ggml(const float* x, float max, float* y, int64_t n, int lanes) {
  double sum = 0;
  if (lanes != 8 && lanes != 16) {
    for (int64_t i = 0; i < n; ++i) {
      y[i] = std::exp(x[i] - max);
      sum += double(y[i]);
    }
    return sum;
  }
  for (int64_t i0 = 0; i0 < n; i0 += lanes) {
    float v[16] = {};
    for (int k = 0; k < lanes && i0 + k < n; ++k) v[k] = y[i0 + k] = ggml_expf(x[i0 + k] - max);
    // _mm512_reduce_add_ps and the AVX2 hadd sequence: lane i += lane i + half, halving.
    for (int half = lanes / 2; half >= 1; half /= 2) {
      for (int k = 0; k < half; ++k) v[k] = v[k + half] + v[k];
    }
    sum += double(v[0]);
  }
  return sum;
}

namespace {

// _mm512_reduce_add_ps, and the AVX2 hsum of tinyBLAS / soft_max: lane i += lane i + half.
float reduce_halving(float* v, int lanes) {
  for (int half = lanes / 2; half >= 1; half /= 2) {
    for (int k = 0; k < half; ++k) v[k] = v[k + half] + v[k];
  }
  return v[0];
}

// GGML_F32x8_REDUCE's last step: (v0 + v4, ..., v3 + v7), then two _mm_hadd_ps.
float reduce_f32x8(const float* v) {
  float t[4];
  for (int k = 0; k < 4; ++k) t[k] = v[k] + v[k + 4];
  return (t[0] + t[1]) + (t[2] + t[3]);
}

}  // namespace

void silu_expf(float* x, int64_t n) {
#if TRIT_KERNELS_X86
  if (isa_supported(Isa::kAvx2)) return avx2::silu_ggml(x, n);  // the same bits, 8 at a time
#endif
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + ggml_expf(0.0f - x[i]));
}

void silu_ggml(float* x, int64_t n, int lanes) {
  int64_t i = 0;
  if (lanes == 8 || lanes == 16) {
    i = n / lanes * lanes;
    silu_expf(x, i);
  }
  for (; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-x[i]));
}

float dot_f16_ggml(const fp16_t* a, const fp16_t* b, int64_t n, int lanes) {
  if (lanes != 8 && lanes != 16) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += double(fp16_to_fp32(a[i]) * fp16_to_fp32(b[i]));
    return float(s);
  }
  const int64_t step = 4 * lanes, np = n / step * step;
  float acc[4][16] = {};
  for (int64_t i = 0; i < np; i += step) {
    for (int r = 0; r < 4; ++r) {
      for (int l = 0; l < lanes; ++l) {
        const int64_t e = i + r * lanes + l;
        acc[r][l] = std::fma(fp16_to_fp32(a[e]), fp16_to_fp32(b[e]), acc[r][l]);
      }
    }
  }
  for (int l = 0; l < lanes; ++l) acc[0][l] = acc[0][l] + acc[2][l], acc[1][l] = acc[1][l] + acc[3][l];
  for (int l = 0; l < lanes; ++l) acc[0][l] = acc[0][l] + acc[1][l];
  double sum = lanes == 16 ? reduce_halving(acc[0], 16) : reduce_f32x8(acc[0]);
  for (int64_t i = np; i < n; ++i) sum += double(fp16_to_fp32(a[i]) * fp16_to_fp32(b[i]));
  return float(sum);
}

void pv_tinyblas(const float* p, const fp16_t* v, int64_t kv_stride, int64_t n_kv, int64_t head_dim, int lanes,
                 float* out) {
  for (int64_t d = 0; d < head_dim; ++d) {
    float acc[16] = {};
    for (int64_t j = 0; j < n_kv; ++j) {
      float& a = acc[j % lanes];
      a = std::fma(fp16_to_fp32(v[j * kv_stride + d]), p[j], a);
    }
    out[d] = reduce_halving(acc, lanes);
  }
}

}  // namespace trit
