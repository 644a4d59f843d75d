#include "core/tensor_type.h"

#include <array>

#include "core/assert.h"
#include "core/checked_math.h"

namespace trit {
namespace {

// One row per type (ggml's type_traits, block sizes from ggml-common.h).
constexpr std::array kTypes = {
    TensorTypeInfo{TensorType::F32, "f32", 1, 4, true},
    TensorTypeInfo{TensorType::F16, "f16", 1, 2, true},
    TensorTypeInfo{TensorType::Q4_0, "q4_0", 32, 18, true},
    TensorTypeInfo{TensorType::Q4_1, "q4_1", 32, 20, false},
    TensorTypeInfo{TensorType::Q5_0, "q5_0", 32, 22, false},
    TensorTypeInfo{TensorType::Q5_1, "q5_1", 32, 24, false},
    TensorTypeInfo{TensorType::Q8_0, "q8_0", 32, 34, true},
    TensorTypeInfo{TensorType::Q8_1, "q8_1", 32, 36, false},
    TensorTypeInfo{TensorType::Q2_K, "q2_k", 256, 84, false},
    TensorTypeInfo{TensorType::Q3_K, "q3_k", 256, 110, false},
    TensorTypeInfo{TensorType::Q4_K, "q4_k", 256, 144, false},
    TensorTypeInfo{TensorType::Q5_K, "q5_k", 256, 176, false},
    TensorTypeInfo{TensorType::Q6_K, "q6_k", 256, 210, true},
    TensorTypeInfo{TensorType::Q8_K, "q8_k", 256, 292, true},
    TensorTypeInfo{TensorType::I8, "i8", 1, 1, false},
    TensorTypeInfo{TensorType::I16, "i16", 1, 2, false},
    TensorTypeInfo{TensorType::I32, "i32", 1, 4, false},
    TensorTypeInfo{TensorType::I64, "i64", 1, 8, false},
    TensorTypeInfo{TensorType::F64, "f64", 1, 8, false},
    TensorTypeInfo{TensorType::BF16, "bf16", 1, 2, true},
    TensorTypeInfo{TensorType::TQ1_0, "tq1_0", 256, 54, true},
    TensorTypeInfo{TensorType::TQ2_0, "tq2_0", 256, 66, true},
    // I2_S: 4 codes per byte; the per-tensor scale lives in a trailer (kI2sTrailerBytes).
    TensorTypeInfo{TensorType::I2_S, "i2_s", 128, 32, true},
};

}  // namespace

std::optional<TensorTypeInfo> tensor_type_info(uint32_t id) {
  for (const auto& t : kTypes)
    if (static_cast<uint32_t>(t.type) == id) return t;
  return std::nullopt;
}

const TensorTypeInfo& tensor_type_info(TensorType t) {
  for (const auto& info : kTypes)
    if (info.type == t) return info;
  TRIT_ASSERT(!"unknown TensorType");
  return kTypes[0];
}

std::string_view tensor_type_name(TensorType t) { return tensor_type_info(t).name; }

std::optional<TensorType> tensor_type_from_name(std::string_view name) {
  for (const auto& t : kTypes) {
    if (t.name.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < name.size() && eq; ++i) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
      eq = c == t.name[i];
    }
    if (eq) return t.type;
  }
  return std::nullopt;
}

std::optional<uint64_t> row_bytes(TensorType t, uint64_t n) {
  const auto& info = tensor_type_info(t);
  if (n % info.block_size != 0) return std::nullopt;
  return checked_mul(n / info.block_size, uint64_t(info.type_size));
}

std::optional<uint64_t> tensor_bytes(TensorType t, uint64_t row_len, uint64_t n_elements) {
  if (row_len == 0) return n_elements == 0 ? std::optional<uint64_t>(0) : std::nullopt;
  if (n_elements % row_len != 0) return std::nullopt;
  auto row = row_bytes(t, row_len);
  if (!row) return std::nullopt;
  auto bytes = checked_mul(*row, n_elements / row_len);
  if (!bytes) return std::nullopt;
  if (t == TensorType::I2_S) return checked_add(*bytes, kI2sTrailerBytes);
  return bytes;
}

}  // namespace trit
