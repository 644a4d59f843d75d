// The scalar variants: thin adapters over quant/'s reference per-row functions.
#include "kernels/kernels_scalar.h"

#include <cstring>

#include "core/assert.h"
#include "kernels/i2s_rows.h"
#include "quant/f16.h"
#include "quant/formats.h"
#include "quant/i2_s.h"
#include "quant/q8_0.h"
#include "quant/q8_k.h"

namespace trit::scalar {

void quantize_q8_K(const float* x, uint8_t* out, int64_t n) {
  quant::quantize_row_q8_K_ref(x, reinterpret_cast<quant::Q8KBlock*>(out), n);
}
void quantize_q8_0(const float* x, uint8_t* out, int64_t n) {
  // What llama.cpp runs for activations, not the format's _ref (quant/q8_0.h).
  quant::quantize_row_q8_0_act(x, reinterpret_cast<quant::Q8_0Block*>(out), n);
}
void quantize_f16(const float* x, uint8_t* out, int64_t n) {
  quant::quantize_row_f16_ref(x, reinterpret_cast<fp16_t*>(out), n);
}
void quantize_i8_s(const float* x, uint8_t* out, int64_t n) {
  I8ActHeader h{};
  quant::quantize_row_i8_s(x, reinterpret_cast<int8_t*>(out + sizeof h), n, &h.scale, &h.sum);
  std::memcpy(out, &h, sizeof h);
}

void matmul_rows_vec_dot(const MatmulArgs& a, int64_t r0, int64_t r1) {
  const WeightMatrix& w = *a.w;
  const auto* traits = quant::format_traits(w.type);
  TRIT_ASSERT(traits && traits->vec_dot);
  for (int64_t t = 0; t < a.n_tokens; ++t)
    for (int64_t r = r0; r < r1; ++r)
      a.y[t * w.rows + r] = traits->vec_dot(w.cols, w.data + r * w.row_bytes, a.xq + t * a.xq_stride) * w.out_scale;
}

void matmul_rows_i2_s(const MatmulArgs& a, int64_t r0, int64_t r1) {
  i2s_rows(a, r0, r1, [](const uint8_t* row, const int8_t* q, int64_t cols) {
    return quant::vec_dot_i2_s_i8_raw(cols, row, q);
  });
}

}  // namespace trit::scalar
