// AVX2 activation quantizers. Each is bit-identical to quant/'s reference (tests/kernels/): same
// float operations in the same order per element (no FMA contraction: -ffp-contract=off), and the
// reference's rounding expressed with vector rounding of the same kind.
#include <cmath>
#include <cstring>

#include "kernels/avx2_common.h"
#include "kernels/kernels_avx2.h"
#include "quant/f16.h"
#include "quant/i2_s.h"
#include "quant/q8_0.h"
#include "quant/q8_k.h"

namespace trit::avx2 {

using quant::kQK_K;

void quantize_q8_K(const float* x, uint8_t* out, int64_t n) {
  auto* y = reinterpret_cast<quant::Q8KBlock*>(out);
  const int64_t nb = n / kQK_K;
  for (int64_t b = 0; b < nb; ++b, x += kQK_K) {
    __m256 vmax = _mm256_setzero_ps();
    for (int j = 0; j < kQK_K; j += 8) vmax = _mm256_max_ps(vmax, abs_ps(_mm256_loadu_ps(x + j)));
    const float amax = hmax_f32(vmax);
    if (amax == 0.0f) {
      std::memset(&y[b], 0, sizeof y[b]);
      continue;
    }
    // The reference keeps the first element of largest magnitude, with its sign.
    float max = 0.0f;
    const __m256 vamax = _mm256_set1_ps(amax);
    for (int j = 0; j < kQK_K; j += 8) {
      const int mask = _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + j)), vamax, _CMP_EQ_OQ));
      if (mask != 0) {
        max = x[j + __builtin_ctz(unsigned(mask))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 vs = _mm256_set1_ps(iscale);
    for (int j = 0; j < kQK_K; j += 32) {
      // cvtps rounds to nearest even in the default MXCSR mode, as nearest_int does; the saturating
      // pack is the reference's min(127, .) (nothing rounds below -127).
      __m256i v[4];
      for (int k = 0; k < 4; ++k) v[k] = _mm256_cvtps_epi32(_mm256_mul_ps(vs, _mm256_loadu_ps(x + j + 8 * k)));
      const __m256i q = pack_i32_to_i8(v[0], v[1], v[2], v[3]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs + j), q);
      // Two bsums of 16: sums of 4 from maddubs/madd, then two hadds fold each 128-bit half.
      __m256i s = dot_u8_i8(_mm256_set1_epi8(1), q);
      s = _mm256_hadd_epi32(s, s);
      s = _mm256_hadd_epi32(s, s);
      y[b].bsums[j / 16] = int16_t(_mm256_extract_epi32(s, 0));
      y[b].bsums[j / 16 + 1] = int16_t(_mm256_extract_epi32(s, 4));
    }
    y[b].d = 1.0f / iscale;
  }
}

// quant::quantize_row_q8_0_act: id = 127 / absmax, round to nearest even.
void quantize_q8_0(const float* x, uint8_t* out, int64_t n) {
  auto* y = reinterpret_cast<quant::Q8_0Block*>(out);
  const int64_t nb = n / quant::kQK8_0;
  for (int64_t b = 0; b < nb; ++b, x += 32) {
    __m256 v[4];
    __m256 vmax = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(x + 8 * k);
      vmax = _mm256_max_ps(vmax, abs_ps(v[k]));
    }
    const float amax = hmax_f32(vmax);
    y[b].d = fp32_to_fp16(amax / 127.0f);
    const __m256 vid = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    __m256i qi[4];
    for (int k = 0; k < 4; ++k) {
      const __m256 r = _mm256_round_ps(_mm256_mul_ps(v[k], vid), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      qi[k] = _mm256_cvtps_epi32(r);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs), pack_i32_to_i8(qi[0], qi[1], qi[2], qi[3]));
  }
}

void quantize_f16(const float* x, uint8_t* out, int64_t n) {
  auto* y = reinterpret_cast<fp16_t*>(out);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void quantize_f16_f32(const float* x, uint8_t* out, int64_t n) {
  auto* y = reinterpret_cast<float*>(out);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) y[i] = fp16_to_fp32(fp32_to_fp16(x[i]));
}

void quantize_i8_s(const float* x, uint8_t* out, int64_t n) {
  __m256 vmax = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(vmax, abs_ps(_mm256_loadu_ps(x + i)));
  float amax = hmax_f32(vmax);
  for (; i < n; ++i) amax = amax > std::fabs(x[i]) ? amax : std::fabs(x[i]);
  // bitnet.cpp takes the max in double; converting the float max is the same value.
  const double max = double(amax) > quant::kI8ActMinMax ? double(amax) : quant::kI8ActMinMax;
  I8ActHeader h{};
  h.scale = float(127.0 / max);
  auto* q = reinterpret_cast<int8_t*>(out + sizeof h);
  const __m256 vs = _mm256_set1_ps(h.scale);
  const __m256i lo = _mm256_set1_epi32(-128), hi = _mm256_set1_epi32(127);
  __m256i vsum = _mm256_setzero_si256();
  i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i v[4];
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * k), vs));  // ties to even
      v[k] = _mm256_min_epi32(_mm256_max_epi32(v[k], lo), hi);
      vsum = _mm256_add_epi32(vsum, v[k]);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), pack_i32_to_i8(v[0], v[1], v[2], v[3]));
  }
  int32_t sum = hsum_i32(vsum);
  for (; i < n; ++i) {
    const float r = std::nearbyint(x[i] * h.scale);
    const int v = int(r < -128.0f ? -128.0f : (r > 127.0f ? 127.0f : r));
    q[i] = int8_t(v);
    sum += v;
  }
  h.sum = sum;
  std::memcpy(out, &h, sizeof h);
}

}  // namespace trit::avx2
