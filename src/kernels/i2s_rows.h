// The I2_S row loop shared by the scalar and NEON kernels: each token's I8ActHeader and int8
// values, each row's exact raw dot, then quant/i2_s.h's float epilogue.
// Internal linkage on purpose (see avx2_common.h).
#pragma once

#include <cstring>

#include "kernels/matmul_variants.h"
#include "quant/i2_s.h"

namespace trit {
namespace {

// Rows [r0, r1) for every token; raw_dot(row bytes, int8 activations, cols) is the exact sum of
// code * q over the row (quant::vec_dot_i2_s_i8_raw).
template <class RawDot>
void i2s_rows(const MatmulArgs& a, int64_t r0, int64_t r1, RawDot&& raw_dot) {
  const WeightMatrix& w = *a.w;
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    const uint8_t* xt = a.xq + t * a.xq_stride;
    I8ActHeader h;
    std::memcpy(&h, xt, sizeof h);
    const auto* q = reinterpret_cast<const int8_t*>(xt + sizeof h);
    for (int64_t r = r0; r < r1; ++r) {
      const int32_t raw = raw_dot(w.data + r * int64_t(w.row_bytes), q, w.cols);
      a.y[t * w.rows + r] = quant::i2_s_epilogue(raw, h.sum, h.scale, w.tensor_scale) * w.out_scale;
    }
  }
}

}  // namespace
}  // namespace trit
