// Shared helpers for the kernel tests: random weight matrices in any format.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "core/assert.h"
#include "kernels/matmul.h"
#include "kernels/repack.h"
#include "quant/formats.h"
#include "quant/i2_s.h"

namespace trit::test {

inline std::vector<float> random_floats(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

struct OwnedWeights {
  std::vector<uint8_t> bytes;
  WeightMatrix w;
};

// rows x cols floats f quantized to `type`.
inline OwnedWeights weights_from_floats(TensorType type, const std::vector<float>& f, int64_t rows, int64_t cols) {
  OwnedWeights o;
  auto bytes = quant::quantized_tensor_bytes(type, rows, cols);
  TRIT_ASSERT(bytes.ok());
  o.bytes.resize(size_t(*bytes));
  TRIT_ASSERT(quant::quantize_tensor(type, f.data(), rows, cols, o.bytes.data()).ok());
  o.w.type = type;
  o.w.data = o.bytes.data();
  o.w.rows = rows;
  o.w.cols = cols;
  const auto* traits = quant::format_traits(type);
  o.w.row_bytes = size_t(cols / traits->block_size * traits->type_size);
  if (type == TensorType::I2_S) o.w.tensor_scale = quant::i2_s_scale(o.bytes.data(), rows * cols);
  o.w.out_scale = 0.75f;  // exercise the optional per-tensor output scale
  return o;
}

inline OwnedWeights random_weights(TensorType type, int64_t rows, int64_t cols, uint32_t seed) {
  return weights_from_floats(type, random_floats(rows * cols, seed, 0.05f), rows, cols);
}

// o's matrix rewritten in kernels/repack.h's 16-row layout (rows a multiple of 16).
inline OwnedWeights interleaved(const OwnedWeights& o) {
  OwnedWeights p;
  p.bytes.resize(o.bytes.size());
  repack_interleaved(o.w.type, o.bytes.data(), p.bytes.data(), o.w.rows, o.w.cols);
  p.w = o.w;
  p.w.data = p.bytes.data();
  p.w.interleave = kInterleaveRows;
  return p;
}

}  // namespace trit::test
