// The formats table: one constexpr row per tensor type trit computes with, so the engine and the
// tests loop over formats instead of naming them (ggml's type_traits). Also the checked
// whole-tensor entry points, which are the only ones that handle I2_S's per-tensor trailer.
//
// Per-row functions take void* and a count n of elements that must be a multiple of block_size
// (unchecked here: the callers are trit's own code; quantize_tensor / dequantize_tensor check).
// I2_S does not fit the per-row model (one scale per tensor, per-token int8 activations): its row
// has per_tensor_scale = true and null function pointers; use i2_s.h, or the tensor functions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/result.h"
#include "core/tensor_type.h"

namespace trit::quant {

using QuantizeRowFn = void (*)(const float* x, void* y, int64_t n);
using DequantizeRowFn = void (*)(const void* x, float* y, int64_t n);
// Dot of n elements of a row of this format with a row of its vec_dot_type.
using VecDotFn = float (*)(int64_t n, const void* x, const void* y);

struct FormatTraits {
  TensorType type;
  std::string_view name;        // as core/tensor_type.h spells it
  int64_t block_size;           // elements per block
  int64_t type_size;            // bytes per block
  TensorType vec_dot_type;      // the activation format the dot pairs this with (ggml's vec_dot_type)
  QuantizeRowFn quantize_row;   // the reference quantizer (ggml's quantize_row_*_ref)
  DequantizeRowFn dequantize_row;
  VecDotFn vec_dot;             // null where ggml has none (Q8_K is only an activation format)
  bool per_tensor_scale;        // I2_S: rows alone cannot be (de)quantized; see i2_s.h
};

// All formats, in TensorType id order: F32, F16, Q4_0, Q8_0, Q6_K, Q8_K, BF16, TQ1_0, TQ2_0, I2_S.
std::span<const FormatTraits> formats();

// The row for a type, or nullptr if quant/ has no scalar reference for it.
const FormatTraits* format_traits(TensorType type);

// Bytes of a tensor of n_rows rows of row_len elements, I2_S trailer included; an Error when the
// type is not supported, row_len is not a multiple of the block size, or the size overflows.
Result<int64_t> quantized_tensor_bytes(TensorType type, int64_t n_rows, int64_t row_len);

// Quantizes n_rows x row_len floats into dst, which must hold quantized_tensor_bytes(...) bytes.
// I2_S uses bitnet.cpp's quantize_i2_s (scale = max|x|, sign codes; see i2_s.h) on the whole
// tensor; use quantize_i2_s_absmean for float weights that are not ternary yet.
Status quantize_tensor(TensorType type, const float* src, int64_t n_rows, int64_t row_len, void* dst);

// Dequantizes a whole tensor (quantized_tensor_bytes(...) bytes at data) into n_rows x row_len
// floats.
Status dequantize_tensor(TensorType type, const void* data, int64_t n_rows, int64_t row_len, float* out);

}  // namespace trit::quant
