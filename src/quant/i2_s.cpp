#include "quant/i2_s.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/ternary.h"

namespace trit::quant {
namespace {

// bit position of the code for element b*128 + 32*g + k, g = 0..3: the first group is highest
constexpr int shift_of_group(int64_t g) { return int(6 - 2 * g); }

void write_trailer(uint8_t* trailer, float scale) {
  std::memset(trailer, 0, size_t(kI2sTrailer));
  std::memcpy(trailer, &scale, sizeof scale);
}

}  // namespace

void pack_i2_s(const int8_t* codes, int64_t n, float scale, uint8_t* dst) {
  std::memset(dst, 0, size_t(n / 4));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = i / kQK_I2_S, j = i % kQK_I2_S;
    const uint8_t code = uint8_t(codes[i] + 1);
    dst[b * kI2sBlockBytes + j % 32] |= uint8_t(code << shift_of_group(j / 32));
  }
  write_trailer(dst + n / 4, scale);
}

void unpack_i2_s(const uint8_t* packed, int64_t n, int8_t* codes) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = i / kQK_I2_S, j = i % kQK_I2_S;
    codes[i] = int8_t(((packed[b * kI2sBlockBytes + j % 32] >> shift_of_group(j / 32)) & 3) - 1);
  }
}

void quantize_i2_s(const float* x, int64_t n, uint8_t* dst) {
  // fmax's rule (a NaN never wins) as a comparison: aarch64 GCC 12 crashes vectorising the fmax
  // form of this loop at -O3 (internal compiler error in vect_transform_reduction).
  double max = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double a = std::fabs(double(x[i]));
    if (a > max) max = a;
  }
  std::vector<int8_t> codes(size_t(n > 0 ? n : 0));
  for (int64_t i = 0; i < n; ++i) {
    if (std::fabs(double(x[i])) < 1e-6) {
      codes[size_t(i)] = 0;  // bitnet.cpp's zero threshold
      continue;
    }
    codes[size_t(i)] = double(x[i]) * max > 0 ? 1 : -1;
  }
  pack_i2_s(codes.data(), n, float(max), dst);
}

void quantize_i2_s_absmean(const float* x, int64_t n, uint8_t* dst) {
  const float scale = absmean_scale(x, n);
  std::vector<int8_t> codes(size_t(n > 0 ? n : 0));
  ternarize(x, scale, codes.data(), n);
  pack_i2_s(codes.data(), n, scale, dst);
}

float i2_s_scale(const uint8_t* data, int64_t n) {
  float scale;
  std::memcpy(&scale, data + n / 4, sizeof scale);
  return scale;
}

void dequantize_row_i2_s(const uint8_t* row, float scale, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = i / kQK_I2_S, j = i % kQK_I2_S;
    const int code = (row[b * kI2sBlockBytes + j % 32] >> shift_of_group(j / 32)) & 3;
    y[i] = scale * float(code - 1);
  }
}

void dequantize_i2_s(const uint8_t* data, int64_t n, float* y) {
  dequantize_row_i2_s(data, i2_s_scale(data, n), y, n);
}

void quantize_row_i8_s(const float* x, int8_t* q, int64_t n, float* scale, int32_t* sum) {
  double max = kI8ActMinMax;
  for (int64_t i = 0; i < n; ++i) max = std::max(max, std::fabs(double(x[i])));
  const float s = float(127.0 / max);
  int32_t total = 0;
  for (int64_t i = 0; i < n; ++i) {
    // x * s in float, then ties-to-even (the default rounding mode; ggml's nearest_int idiom).
    const float r = std::nearbyint(x[i] * s);
    const int v = int(std::clamp(r, -128.0f, 127.0f));
    q[i] = int8_t(v);
    total += v;
  }
  *scale = s;
  *sum = total;
}

I8Activations quantize_activations_i8(const float* x, int64_t n) {
  I8Activations a;
  a.q.resize(size_t(n > 0 ? n : 0));
  quantize_row_i8_s(x, a.q.data(), n, &a.scale, &a.sum);
  return a;
}

int32_t vec_dot_i2_s_i8_raw(int64_t n, const uint8_t* row, const int8_t* q) {
  int32_t sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = i / kQK_I2_S, j = i % kQK_I2_S;
    const int code = (row[b * kI2sBlockBytes + j % 32] >> shift_of_group(j / 32)) & 3;
    sum += code * int32_t(q[i]);
  }
  return sum;
}

int32_t vec_dot_i2_s_i8_raw_i16(int64_t n, const uint8_t* row, const int8_t* q) {
  constexpr int64_t kBlocksPerWiden = 32;  // blocks accumulated in int16 before _mm256_madd_epi16
  const int64_t nb = n / kQK_I2_S;
  int32_t total = 0;
  for (int64_t b0 = 0; b0 < nb; b0 += kBlocksPerWiden) {
    int32_t lane[16] = {};  // exact sums; wrapped to int16 when widened (add_epi16 is modular)
    for (int64_t b = b0; b < std::min(nb, b0 + kBlocksPerWiden); ++b) {
      for (int64_t j = 0; j < kQK_I2_S; ++j) {
        const int code = (row[b * kI2sBlockBytes + j % 32] >> shift_of_group(j / 32)) & 3;
        lane[(j % 32) / 2] += code * int32_t(q[b * kQK_I2_S + j]);
      }
    }
    for (int32_t v : lane) total += int16_t(uint16_t(uint32_t(v)));  // two's-complement wrap
  }
  return total;
}

float i2_s_epilogue(int32_t raw, int32_t act_sum, float act_scale, float wscale) {
  return (float(raw) - float(act_sum)) / act_scale * wscale;
}

float vec_dot_i2_s_i8(int64_t n, const uint8_t* row, float wscale, const I8Activations& act) {
  return i2_s_epilogue(vec_dot_i2_s_i8_raw(n, row, act.q.data()), act.sum, act.scale, wscale);
}

}  // namespace trit::quant
