// The scalar reference matmul: quant/'s per-row functions, parallel over output rows.
// Every fast kernel is tested against this (tests/kernels/).
#include "kernels/matmul_ref.h"

#include <vector>

#include "core/assert.h"
#include "kernels/repack.h"
#include "quant/formats.h"
#include "quant/i2_s.h"
#include "quant/q8_0.h"

namespace trit {

void matmul_ref(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  if (w.type == TensorType::I2_S) {
    std::vector<quant::I8Activations> acts(n_tokens);
    for (int64_t t = 0; t < n_tokens; ++t) acts[t] = quant::quantize_activations_i8(x + t * w.cols, w.cols);
    pool.parallel_for(w.rows, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t t = 0; t < n_tokens; ++t)
        for (int64_t r = r0; r < r1; ++r)
          y[t * w.rows + r] =
              quant::vec_dot_i2_s_i8(w.cols, w.data + r * w.row_bytes, w.tensor_scale, acts[t]) * w.out_scale;
    });
    return;
  }
  const auto* traits = quant::format_traits(w.type);
  TRIT_ASSERT(traits && traits->vec_dot);
  const auto* act = quant::format_traits(traits->vec_dot_type);
  TRIT_ASSERT(act && act->quantize_row);
  const int64_t act_row = w.cols / act->block_size * act->type_size;
  std::vector<uint8_t> xq(size_t(act_row * n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t) {
    uint8_t* q = xq.data() + t * act_row;
    // Q8_0 activations: the variant llama.cpp runs (quant/q8_0.h), not the format's _ref.
    if (traits->vec_dot_type == TensorType::Q8_0) {
      quant::quantize_row_q8_0_act(x + t * w.cols, reinterpret_cast<quant::Q8_0Block*>(q), w.cols);
    } else {
      act->quantize_row(x + t * w.cols, q, w.cols);
    }
  }
  pool.parallel_for(w.rows, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t t = 0; t < n_tokens; ++t)
      for (int64_t r = r0; r < r1; ++r)
        y[t * w.rows + r] =
            traits->vec_dot(w.cols, w.data + r * w.row_bytes, xq.data() + t * act_row) * w.out_scale;
  });
}

void dequantize_weight_row(const WeightMatrix& w, int64_t row, float* out) {
  if (w.interleave != 0) {
    // Only F16 embeddings are rewritten in 16-row groups (a tied head, model/weights.cpp).
    TRIT_ASSERT(w.type == TensorType::F16 && w.interleave == kInterleaveRows);
    thread_local std::vector<uint16_t> values;
    values.resize(size_t(w.cols));
    f16_x16_row(w.data, w.rows, w.cols, row, values.data());
    quant::format_traits(w.type)->dequantize_row(reinterpret_cast<const uint8_t*>(values.data()), out, w.cols);
    return;
  }
  if (w.type == TensorType::I2_S) {
    quant::dequantize_row_i2_s(w.data + row * w.row_bytes, w.tensor_scale, out, w.cols);
    return;
  }
  const auto* traits = quant::format_traits(w.type);
  TRIT_ASSERT(traits && traits->dequantize_row);
  traits->dequantize_row(w.data + row * w.row_bytes, out, w.cols);
}

}  // namespace trit
