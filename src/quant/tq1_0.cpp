#include "quant/tq1_0.h"

#include <cmath>

namespace trit::quant {
namespace {

constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};

// Base-3 value t (< 243) scaled to a byte, rounding up, so that trit k can be read back with one
// 8-bit multiply and a shift (ggml's "ceiling division" by 243).
uint8_t pack_trits(int t) { return uint8_t((t * 256 + 242) / 243); }

// Trit k (0 = most significant) of a byte written by pack_trits; the uint8_t wrap is the point.
int read_trit(uint8_t v, int k) {
  const uint8_t shifted = uint8_t(v * kPow3[k]);
  return (int(shifted) * 3) >> 8;
}

int ternary_code(float x, float id) { return int(std::lround(x * id)) + 1; }

}  // namespace

void quantize_row_tq1_0_ref(const float* x, TQ1_0Block* y, int64_t n) {
  const int64_t nb = n / kQK_K;
  for (int64_t b = 0; b < nb; ++b, x += kQK_K) {
    float amax = 0.0f;
    for (int64_t j = 0; j < kQK_K; ++j) {
      const float a = std::fabs(x[j]);
      amax = amax > a ? amax : a;  // ggml's MAX macro
    }
    const float d = amax;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = fp32_to_fp16(d);
    for (int m = 0; m < 32; ++m) {
      int t = 0;
      for (int k = 0; k < 5; ++k) t = t * 3 + ternary_code(x[32 * k + m], id);
      y[b].qs[m] = pack_trits(t);
    }
    for (int m = 0; m < 16; ++m) {
      int t = 0;
      for (int k = 0; k < 5; ++k) t = t * 3 + ternary_code(x[160 + 16 * k + m], id);
      y[b].qs[32 + m] = pack_trits(t);
    }
    for (int j = 0; j < 4; ++j) {
      int t = 0;
      for (int k = 0; k < 4; ++k) t = t * 3 + ternary_code(x[240 + 4 * k + j], id);
      y[b].qh[j] = pack_trits(t * 3);  // 4 trits: shift up so the first is the most significant
    }
  }
}

void unpack_tq1_0(const TQ1_0Block& block, int8_t out[kQK_K]) {
  for (int k = 0; k < 5; ++k)
    for (int m = 0; m < 32; ++m) out[32 * k + m] = int8_t(read_trit(block.qs[m], k) - 1);
  for (int k = 0; k < 5; ++k)
    for (int m = 0; m < 16; ++m) out[160 + 16 * k + m] = int8_t(read_trit(block.qs[32 + m], k) - 1);
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 4; ++j) out[240 + 4 * k + j] = int8_t(read_trit(block.qh[j], k) - 1);
}

void dequantize_row_tq1_0(const TQ1_0Block* x, float* y, int64_t n) {
  const int64_t nb = n / kQK_K;
  int8_t q[kQK_K];
  for (int64_t b = 0; b < nb; ++b) {
    const float d = fp16_to_fp32(x[b].d);
    unpack_tq1_0(x[b], q);
    for (int i = 0; i < kQK_K; ++i) y[b * kQK_K + i] = float(q[i]) * d;
  }
}

float vec_dot_tq1_0_q8_K(int64_t n, const TQ1_0Block* x, const Q8KBlock* y) {
  const int64_t nb = n / kQK_K;
  float sum = 0.0f;
  int8_t q[kQK_K];
  for (int64_t b = 0; b < nb; ++b) {
    unpack_tq1_0(x[b], q);
    int32_t sumi = 0;
    for (int i = 0; i < kQK_K; ++i) sumi += int32_t(q[i]) * int32_t(y[b].qs[i]);
    sum += float(sumi) * (fp16_to_fp32(x[b].d) * y[b].d);
  }
  return sum;
}

}  // namespace trit::quant
