#include "quant/formats.h"

#include <array>
#include <string>

#include "core/checked_math.h"
#include "quant/bf16.h"
#include "quant/f16.h"
#include "quant/f32.h"
#include "quant/i2_s.h"
#include "quant/q4_0.h"
#include "quant/q6_k.h"
#include "quant/q8_0.h"
#include "quant/q8_k.h"
#include "quant/tq1_0.h"
#include "quant/tq2_0.h"

namespace trit::quant {
namespace {

// Adapters from the typed functions to the table's void* signatures: one template, no casts of
// function pointers (calling through a cast pointer is undefined behaviour).
template <class Block, void (*F)(const float*, Block*, int64_t)>
void quantize_as(const float* x, void* y, int64_t n) { F(x, static_cast<Block*>(y), n); }

template <class Block, void (*F)(const Block*, float*, int64_t)>
void dequantize_as(const void* x, float* y, int64_t n) { F(static_cast<const Block*>(x), y, n); }

template <class X, class Y, float (*F)(int64_t, const X*, const Y*)>
float vec_dot_as(int64_t n, const void* x, const void* y) {
  return F(n, static_cast<const X*>(x), static_cast<const Y*>(y));
}

constexpr std::array kFormats = {
    FormatTraits{TensorType::F32, "f32", 1, 4, TensorType::F32,
                 quantize_as<float, quantize_row_f32_ref>, dequantize_as<float, dequantize_row_f32>,
                 vec_dot_as<float, float, vec_dot_f32>, false},
    FormatTraits{TensorType::F16, "f16", 1, 2, TensorType::F16,
                 quantize_as<fp16_t, quantize_row_f16_ref>, dequantize_as<fp16_t, dequantize_row_f16>,
                 vec_dot_as<fp16_t, fp16_t, vec_dot_f16>, false},
    FormatTraits{TensorType::Q4_0, "q4_0", kQK4_0, sizeof(Q4_0Block), TensorType::Q8_0,
                 quantize_as<Q4_0Block, quantize_row_q4_0_ref>, dequantize_as<Q4_0Block, dequantize_row_q4_0>,
                 vec_dot_as<Q4_0Block, Q8_0Block, vec_dot_q4_0_q8_0>, false},
    FormatTraits{TensorType::Q8_0, "q8_0", kQK8_0, sizeof(Q8_0Block), TensorType::Q8_0,
                 quantize_as<Q8_0Block, quantize_row_q8_0_ref>, dequantize_as<Q8_0Block, dequantize_row_q8_0>,
                 vec_dot_as<Q8_0Block, Q8_0Block, vec_dot_q8_0_q8_0>, false},
    FormatTraits{TensorType::Q6_K, "q6_k", kQK_K, sizeof(Q6KBlock), TensorType::Q8_K,
                 quantize_as<Q6KBlock, quantize_row_q6_K_ref>, dequantize_as<Q6KBlock, dequantize_row_q6_K>,
                 vec_dot_as<Q6KBlock, Q8KBlock, vec_dot_q6_K_q8_K>, false},
    FormatTraits{TensorType::Q8_K, "q8_k", kQK_K, sizeof(Q8KBlock), TensorType::Q8_K,
                 quantize_as<Q8KBlock, quantize_row_q8_K_ref>, dequantize_as<Q8KBlock, dequantize_row_q8_K>,
                 nullptr, false},
    FormatTraits{TensorType::BF16, "bf16", 1, 2, TensorType::BF16,
                 quantize_as<bf16_t, quantize_row_bf16_ref>, dequantize_as<bf16_t, dequantize_row_bf16>,
                 vec_dot_as<bf16_t, bf16_t, vec_dot_bf16>, false},
    FormatTraits{TensorType::TQ1_0, "tq1_0", kQK_K, sizeof(TQ1_0Block), TensorType::Q8_K,
                 quantize_as<TQ1_0Block, quantize_row_tq1_0_ref>, dequantize_as<TQ1_0Block, dequantize_row_tq1_0>,
                 vec_dot_as<TQ1_0Block, Q8KBlock, vec_dot_tq1_0_q8_K>, false},
    FormatTraits{TensorType::TQ2_0, "tq2_0", kQK_K, sizeof(TQ2_0Block), TensorType::Q8_K,
                 quantize_as<TQ2_0Block, quantize_row_tq2_0_ref>, dequantize_as<TQ2_0Block, dequantize_row_tq2_0>,
                 vec_dot_as<TQ2_0Block, Q8KBlock, vec_dot_tq2_0_q8_K>, false},
    // Activations: per-token int8 (i2_s.h I8Activations), which ggml has no type for; I8 names it.
    FormatTraits{TensorType::I2_S, "i2_s", kQK_I2_S, kI2sBlockBytes, TensorType::I8,
                 nullptr, nullptr, nullptr, true},
};

Result<const FormatTraits*> checked_traits(TensorType type, int64_t n_rows, int64_t row_len) {
  const FormatTraits* f = format_traits(type);
  if (f == nullptr)
    return make_error("quant: no reference implementation for tensor type id " +
                      std::to_string(static_cast<uint32_t>(type)));
  if (n_rows < 0 || row_len < 0)
    return make_error("quant: negative tensor shape " + std::to_string(n_rows) + " x " + std::to_string(row_len));
  if (row_len % f->block_size != 0)
    return make_error("quant: " + std::string(f->name) + " rows must be a multiple of " +
                      std::to_string(f->block_size) + " elements, got a row of " + std::to_string(row_len));
  return f;
}

}  // namespace

std::span<const FormatTraits> formats() { return kFormats; }

const FormatTraits* format_traits(TensorType type) {
  for (const auto& f : kFormats)
    if (f.type == type) return &f;
  return nullptr;
}

Result<int64_t> quantized_tensor_bytes(TensorType type, int64_t n_rows, int64_t row_len) {
  auto f = checked_traits(type, n_rows, row_len);
  if (!f.ok()) return f.error();
  const auto row = checked_mul(uint64_t(row_len / (*f)->block_size), uint64_t((*f)->type_size));
  const auto all = row ? checked_mul(*row, uint64_t(n_rows)) : std::nullopt;
  const auto total = all && (*f)->per_tensor_scale ? checked_add(*all, uint64_t(kI2sTrailer)) : all;
  if (!total || *total > uint64_t(INT64_MAX))
    return make_error("quant: tensor of " + std::to_string(n_rows) + " x " + std::to_string(row_len) +
                      " " + std::string((*f)->name) + " overflows its byte size");
  return int64_t(*total);
}

Status quantize_tensor(TensorType type, const float* src, int64_t n_rows, int64_t row_len, void* dst) {
  auto bytes = quantized_tensor_bytes(type, n_rows, row_len);
  if (!bytes.ok()) return bytes.error();
  const FormatTraits& f = *format_traits(type);
  if (f.per_tensor_scale) {
    quantize_i2_s(src, n_rows * row_len, static_cast<uint8_t*>(dst));
    return {};
  }
  const int64_t row_bytes = row_len / f.block_size * f.type_size;
  for (int64_t r = 0; r < n_rows; ++r)
    f.quantize_row(src + r * row_len, static_cast<uint8_t*>(dst) + r * row_bytes, row_len);
  return {};
}

Status dequantize_tensor(TensorType type, const void* data, int64_t n_rows, int64_t row_len, float* out) {
  auto bytes = quantized_tensor_bytes(type, n_rows, row_len);
  if (!bytes.ok()) return bytes.error();
  const FormatTraits& f = *format_traits(type);
  if (f.per_tensor_scale) {
    dequantize_i2_s(static_cast<const uint8_t*>(data), n_rows * row_len, out);
    return {};
  }
  const int64_t row_bytes = row_len / f.block_size * f.type_size;
  for (int64_t r = 0; r < n_rows; ++r)
    f.dequantize_row(static_cast<const uint8_t*>(data) + r * row_bytes, out + r * row_len, row_len);
  return {};
}

}  // namespace trit::quant
