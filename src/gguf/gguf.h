// GGUF v2/v3 files: read (mmap, fully validated) and write.
//
// Layout (ggml/docs/gguf.md): magic "GGUF", u32 version, u64 n_tensors, u64 n_kv, then n_kv
// key/value pairs, then n_tensors tensor infos (name, u32 n_dims, u64 ne[n_dims], u32 type,
// u64 offset), then padding to `general.alignment` (default 32), then the tensor data section.
// Every offset and size is checked against the real file size before anything is allocated, so a
// file that lies gets an Error naming the byte offset and what was wrong.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "core/tensor_type.h"

namespace trit::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
inline constexpr uint64_t kDefaultAlignment = 32;
inline constexpr uint32_t kMaxDims = 4;  // GGML_MAX_DIMS

enum class ValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};
std::string_view value_type_name(ValueType t);

struct Value;
struct Array {
  ValueType elem_type = ValueType::U8;
  std::vector<Value> items;
};

// One metadata value. The variant index order follows ValueType's numbering.
struct Value {
  std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool, std::string,
               Array, uint64_t, int64_t, double>
      v;
  ValueType type() const { return static_cast<ValueType>(v.index()); }

  // Any integer type that fits; nullopt for other types or values out of range.
  std::optional<int64_t> as_int() const;
  std::optional<uint64_t> as_uint() const;
  std::optional<double> as_float() const;  // float, double, or an integer
  const std::string* as_string() const { return std::get_if<std::string>(&v); }
  const Array* as_array() const { return std::get_if<Array>(&v); }
  std::optional<bool> as_bool() const;
  std::string to_string(size_t max_items = 8) const;  // for `trit inspect`
};

struct KeyValue {
  std::string key;
  Value value;
};

struct TensorInfo {
  std::string name;
  TensorType type = TensorType::F32;
  std::vector<uint64_t> shape;  // ggml order: shape[0] is the row length (contiguous dim)
  uint64_t offset = 0;          // from the start of the data section
  uint64_t n_bytes = 0;         // validated against the file size
  const uint8_t* data = nullptr;  // into the mapping; valid while the File lives

  uint64_t n_elements() const;
  uint64_t n_rows() const { return shape.empty() || shape[0] == 0 ? 0 : n_elements() / shape[0]; }
};

class File {
 public:
  // mmap the file and validate it completely (header, metadata, tensor infos, data ranges).
  static Result<File> open(const std::string& path);
  // Parse bytes already in memory (tests, fuzzing). The bytes must outlive the File.
  static Result<File> parse(std::span<const uint8_t> bytes, std::string display_name = "<memory>");

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return size_; }

  const std::vector<KeyValue>& metadata() const { return kv_; }
  const Value* find(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<uint64_t> get_uint(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  // An array of strings (e.g. tokenizer.ggml.tokens); Error if present with another type.
  Result<std::vector<std::string>> get_string_array(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;

 private:
  File() = default;
  struct Mapping;
  std::unique_ptr<Mapping> mapping_;
  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  uint64_t size_ = 0;
  std::vector<KeyValue> kv_;
  std::vector<TensorInfo> tensors_;
  friend struct Parser;
};

// Writes GGUF v3. Tensor data is written in insertion order, each aligned to `alignment`.
// write() goes to PATH.tmp and renames over PATH, so a failed write never leaves a half file.
class Writer {
 public:
  explicit Writer(uint64_t alignment = kDefaultAlignment) : alignment_(alignment) {}

  void set(std::string key, Value value);  // replaces an existing key, keeps first position
  void set_string(std::string key, std::string v) { set(std::move(key), Value{std::move(v)}); }
  void set_u32(std::string key, uint32_t v) { set(std::move(key), Value{v}); }
  void set_i32(std::string key, int32_t v) { set(std::move(key), Value{v}); }
  void set_f32(std::string key, float v) { set(std::move(key), Value{v}); }
  void set_bool(std::string key, bool v) { set(std::move(key), Value{v}); }
  void set_string_array(std::string key, std::vector<std::string> v);
  void set_f32_array(std::string key, const std::vector<float>& v);
  void set_i32_array(std::string key, const std::vector<int32_t>& v);

  // data.size() must equal tensor_bytes(type, shape[0], n_elements); checked.
  Status add_tensor(std::string name, TensorType type, std::vector<uint64_t> shape,
                    std::vector<uint8_t> data);

  Status write(const std::string& path) const;
  std::vector<uint8_t> to_bytes() const;  // the whole file in memory (tests)

 private:
  struct PendingTensor {
    std::string name;
    TensorType type;
    std::vector<uint64_t> shape;
    std::vector<uint8_t> data;
  };
  std::vector<KeyValue> metadata_with_alignment() const;
  uint64_t alignment_;
  std::vector<KeyValue> kv_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace trit::gguf
