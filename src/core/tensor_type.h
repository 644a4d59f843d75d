// Tensor element types as GGUF stores them (ggml type ids; I2_S is bitnet.cpp's id 36) and their
// storage geometry. The math of each format lives in quant/; this is only what a file reader needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace trit {

enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  I2_S = 36,  // bitnet.cpp: 2-bit codes, one float scale per tensor in 32 trailing bytes
};

struct TensorTypeInfo {
  TensorType type;
  std::string_view name;  // lower-case, as `trit synth --type` and `trit inspect` spell it
  uint32_t block_size;    // elements per block
  uint32_t type_size;     // bytes per block
  bool supported;         // trit can compute with it (others are only recognised by the reader)
};

// nullopt for an id trit does not know (a reader reports it as an error naming the id).
std::optional<TensorTypeInfo> tensor_type_info(uint32_t id);
const TensorTypeInfo& tensor_type_info(TensorType t);
std::string_view tensor_type_name(TensorType t);
std::optional<TensorType> tensor_type_from_name(std::string_view name);

// I2_S stores one float scale per tensor after the packed codes, padded to this many bytes.
inline constexpr uint64_t kI2sTrailerBytes = 32;

// Bytes of one row of n elements (n must be a multiple of the block size; I2_S rows have no
// per-row trailer, see tensor_bytes). nullopt when n is not a multiple of the block size.
std::optional<uint64_t> row_bytes(TensorType t, uint64_t n);

// Bytes of a whole tensor of n_elements whose rows are row_len long, or nullopt on overflow or
// a row length that is not a multiple of the block size. Includes I2_S's trailing scale block.
std::optional<uint64_t> tensor_bytes(TensorType t, uint64_t row_len, uint64_t n_elements);

}  // namespace trit
