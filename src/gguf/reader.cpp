// GGUF reader: mmap + a bounds-checked cursor. Nothing is allocated on a count the file claims
// until that count has been checked against the bytes actually left in the file.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "core/checked_math.h"
#include "gguf/gguf.h"

namespace trit::gguf {

struct File::Mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (addr) munmap(addr, size);
  }
};

File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

namespace {

// Nested arrays deeper than this are rejected (real files use depth 1).
constexpr int kMaxArrayDepth = 8;
// Smallest encoded size of one element, used to bound counts before allocating.
uint64_t min_encoded_size(ValueType t) {
  switch (t) {
    case ValueType::U8: case ValueType::I8: case ValueType::BOOL: return 1;
    case ValueType::U16: case ValueType::I16: return 2;
    case ValueType::U32: case ValueType::I32: case ValueType::F32: return 4;
    case ValueType::U64: case ValueType::I64: case ValueType::F64: return 8;
    case ValueType::STRING: return 8;   // u64 length
    case ValueType::ARRAY: return 12;   // u32 type + u64 count
  }
  return 1;
}

bool valid_value_type(uint32_t t) { return t <= uint32_t(ValueType::F64); }

}  // namespace

struct Parser {
  std::span<const uint8_t> bytes;
  std::string name;
  uint64_t pos = 0;

  uint64_t left() const { return bytes.size() - pos; }

  Error fail(uint64_t at, const std::string& what) const {
    return make_error(name + ": offset " + std::to_string(at) + ": " + what);
  }

  template <class T>
  Status read(T* out, const char* what) {
    if (left() < sizeof(T))
      return fail(pos, std::string("file truncated while reading ") + what + " (needs " +
                           std::to_string(sizeof(T)) + " bytes, " + std::to_string(left()) + " left)");
    std::memcpy(out, bytes.data() + pos, sizeof(T));
    pos += sizeof(T);
    return {};
  }

  Status read_string(std::string* out, const char* what) {
    uint64_t at = pos, n = 0;
    TRIT_TRY(read(&n, what));
    if (n > left())
      return fail(at, std::string(what) + " claims " + std::to_string(n) + " bytes but only " +
                          std::to_string(left()) + " remain in the file");
    out->assign(reinterpret_cast<const char*>(bytes.data() + pos), n);
    pos += n;
    return {};
  }

  Status read_value(ValueType type, Value* out, int depth) {
    switch (type) {
      case ValueType::U8: { uint8_t x; TRIT_TRY(read(&x, "u8 value")); out->v = x; return {}; }
      case ValueType::I8: { int8_t x; TRIT_TRY(read(&x, "i8 value")); out->v = x; return {}; }
      case ValueType::U16: { uint16_t x; TRIT_TRY(read(&x, "u16 value")); out->v = x; return {}; }
      case ValueType::I16: { int16_t x; TRIT_TRY(read(&x, "i16 value")); out->v = x; return {}; }
      case ValueType::U32: { uint32_t x; TRIT_TRY(read(&x, "u32 value")); out->v = x; return {}; }
      case ValueType::I32: { int32_t x; TRIT_TRY(read(&x, "i32 value")); out->v = x; return {}; }
      case ValueType::F32: { float x; TRIT_TRY(read(&x, "f32 value")); out->v = x; return {}; }
      case ValueType::U64: { uint64_t x; TRIT_TRY(read(&x, "u64 value")); out->v = x; return {}; }
      case ValueType::I64: { int64_t x; TRIT_TRY(read(&x, "i64 value")); out->v = x; return {}; }
      case ValueType::F64: { double x; TRIT_TRY(read(&x, "f64 value")); out->v = x; return {}; }
      case ValueType::BOOL: {
        uint64_t at = pos;
        uint8_t x;
        TRIT_TRY(read(&x, "bool value"));
        if (x > 1) return fail(at, "bool value is " + std::to_string(x) + ", expected 0 or 1");
        out->v = bool(x);
        return {};
      }
      case ValueType::STRING: {
        std::string s;
        TRIT_TRY(read_string(&s, "string value"));
        out->v = std::move(s);
        return {};
      }
      case ValueType::ARRAY: {
        uint64_t at = pos;
        if (depth >= kMaxArrayDepth)
          return fail(at, "arrays nested deeper than " + std::to_string(kMaxArrayDepth));
        uint32_t et = 0;
        uint64_t n = 0;
        TRIT_TRY(read(&et, "array element type"));
        if (!valid_value_type(et))
          return fail(at, "array element type " + std::to_string(et) + " is not a GGUF value type (0..12)");
        TRIT_TRY(read(&n, "array length"));
        Array arr;
        arr.elem_type = ValueType(et);
        auto need = checked_mul(n, min_encoded_size(arr.elem_type));
        if (!need || *need > left())
          return fail(at, "array of " + std::to_string(n) + " " +
                              std::string(value_type_name(arr.elem_type)) +
                              " values cannot fit in the " + std::to_string(left()) +
                              " bytes left in the file");
        arr.items.resize(n);
        for (uint64_t i = 0; i < n; ++i) TRIT_TRY(read_value(arr.elem_type, &arr.items[i], depth + 1));
        out->v = std::move(arr);
        return {};
      }
    }
    return fail(pos, "unknown value type");
  }

  Status parse(File* f) {
    uint32_t magic = 0;
    TRIT_TRY(read(&magic, "magic"));
    if (magic != kMagic) return fail(0, "not a GGUF file (magic bytes are not \"GGUF\")");
    TRIT_TRY(read(&f->version_, "version"));
    if (f->version_ == 1) return fail(4, "GGUF version 1 is not supported (only v2 and v3)");
    if (f->version_ < 2 || f->version_ > 3)
      return fail(4, "unsupported GGUF version " + std::to_string(f->version_) + " (expected 2 or 3)");
    uint64_t n_tensors = 0, n_kv = 0;
    TRIT_TRY(read(&n_tensors, "tensor count"));
    TRIT_TRY(read(&n_kv, "metadata count"));
    // Each key/value needs at least 8 (key length) + 4 (type) + 1 bytes; each tensor info 8+4+8+4+8.
    if (auto need = checked_mul(n_kv, 13); !need || *need > left())
      return fail(16, "metadata count " + std::to_string(n_kv) + " cannot fit in the file");
    if (auto need = checked_mul(n_tensors, 32); !need || *need > left())
      return fail(8, "tensor count " + std::to_string(n_tensors) + " cannot fit in the file");

    std::unordered_set<std::string> keys;
    f->kv_.reserve(n_kv);
    for (uint64_t i = 0; i < n_kv; ++i) {
      uint64_t at = pos;
      KeyValue kv;
      TRIT_TRY(read_string(&kv.key, "metadata key"));
      if (kv.key.empty()) return fail(at, "metadata key " + std::to_string(i) + " is empty");
      if (!keys.insert(kv.key).second) return fail(at, "duplicate metadata key '" + kv.key + "'");
      uint32_t type = 0;
      uint64_t type_at = pos;
      TRIT_TRY(read(&type, "metadata value type"));
      if (!valid_value_type(type))
        return fail(type_at, "metadata '" + kv.key + "' has value type " + std::to_string(type) +
                                 ", not a GGUF value type (0..12)");
      TRIT_TRY(read_value(ValueType(type), &kv.value, 0));
      f->kv_.push_back(std::move(kv));
    }

    if (const Value* a = f->find("general.alignment")) {
      auto al = a->as_uint();
      if (a->type() != ValueType::U32 || !al || *al == 0 || (*al & (*al - 1)) != 0)
        return fail(0, "general.alignment must be a u32 power of two, got " + a->to_string());
      f->alignment_ = *al;
    }

    std::unordered_set<std::string> names;
    f->tensors_.reserve(n_tensors);
    for (uint64_t i = 0; i < n_tensors; ++i) {
      uint64_t at = pos;
      TensorInfo t;
      TRIT_TRY(read_string(&t.name, "tensor name"));
      if (t.name.empty()) return fail(at, "tensor " + std::to_string(i) + " has an empty name");
      if (!names.insert(t.name).second) return fail(at, "duplicate tensor name '" + t.name + "'");
      uint32_t n_dims = 0;
      TRIT_TRY(read(&n_dims, "tensor dimension count"));
      if (n_dims == 0 || n_dims > kMaxDims)
        return fail(at, "tensor '" + t.name + "' has " + std::to_string(n_dims) +
                            " dimensions (expected 1.." + std::to_string(kMaxDims) + ")");
      t.shape.resize(n_dims);
      uint64_t n_el = 1;
      for (uint32_t d = 0; d < n_dims; ++d) {
        TRIT_TRY(read(&t.shape[d], "tensor dimension"));
        auto prod = checked_mul(n_el, t.shape[d]);
        if (!prod || *prod > uint64_t(INT64_MAX))
          return fail(at, "tensor '" + t.name + "' element count overflows 64 bits");
        n_el = *prod;
      }
      uint32_t type = 0;
      uint64_t type_at = pos;
      TRIT_TRY(read(&type, "tensor type"));
      auto info = tensor_type_info(type);
      if (!info)
        return fail(type_at, "tensor '" + t.name + "' has unknown type id " + std::to_string(type));
      t.type = info->type;
      if (t.shape[0] % info->block_size != 0)
        return fail(at, "tensor '" + t.name + "' row length " + std::to_string(t.shape[0]) +
                            " is not a multiple of the " + std::string(info->name) + " block size " +
                            std::to_string(info->block_size));
      auto nb = tensor_bytes(t.type, t.shape[0], n_el);
      if (!nb) return fail(at, "tensor '" + t.name + "' byte size overflows 64 bits");
      t.n_bytes = *nb;
      TRIT_TRY(read(&t.offset, "tensor data offset"));
      if (t.offset % f->alignment_ != 0)
        return fail(pos - 8, "tensor '" + t.name + "' data offset " + std::to_string(t.offset) +
                                 " is not a multiple of the alignment " + std::to_string(f->alignment_));
      f->tensors_.push_back(std::move(t));
    }

    auto data_offset = checked_align(pos, f->alignment_);
    if (!data_offset) return fail(pos, "data section offset overflows");
    f->data_offset_ = *data_offset;
    if (!f->tensors_.empty() && f->data_offset_ > bytes.size())
      return fail(pos, "file truncated: the tensor data section should start at " +
                           std::to_string(f->data_offset_) + " but the file has " +
                           std::to_string(bytes.size()) + " bytes");
    const uint64_t data_size = f->tensors_.empty() ? 0 : bytes.size() - f->data_offset_;

    // Every tensor inside the data section, and no two overlapping.
    std::vector<const TensorInfo*> by_offset;
    for (auto& t : f->tensors_) {
      auto end = checked_add(t.offset, t.n_bytes);
      if (!end || *end > data_size)
        return fail(f->data_offset_, "tensor '" + t.name + "' data [" + std::to_string(t.offset) +
                                         ", +" + std::to_string(t.n_bytes) +
                                         ") lies outside the data section of " +
                                         std::to_string(data_size) + " bytes (file truncated or lying)");
      t.data = bytes.data() + f->data_offset_ + t.offset;
      // The kernels read F32 as float, F16 and the blocks' fp16 scales as uint16: a file with
      // general.alignment 1 (legal GGUF) must not place them at odd addresses (found by
      // fuzz/model_gguf). Natural alignment: the largest power of two dividing the element or
      // block size, at most 4 (F32 and Q8_K's float scale).
      const uint32_t ts = tensor_type_info(t.type).type_size;
      const uint64_t need = std::min<uint64_t>(4, ts & (~ts + 1));
      if (t.n_bytes && reinterpret_cast<uintptr_t>(t.data) % need != 0)
        return fail(f->data_offset_ + t.offset, "tensor '" + t.name + "' data at file offset " +
                                                    std::to_string(f->data_offset_ + t.offset) + " is not aligned to " +
                                                    std::to_string(need) + " bytes, as " +
                                                    std::string(tensor_type_name(t.type)) + " needs");
      by_offset.push_back(&t);
    }
    std::sort(by_offset.begin(), by_offset.end(),
              [](auto* a, auto* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
      const auto* prev = by_offset[i - 1];
      if (prev->n_bytes && by_offset[i]->n_bytes && prev->offset + prev->n_bytes > by_offset[i]->offset)
        return fail(f->data_offset_ + by_offset[i]->offset,
                    "tensors '" + prev->name + "' and '" + by_offset[i]->name + "' overlap");
    }
    return {};
  }
};

Result<File> File::parse(std::span<const uint8_t> bytes, std::string display_name) {
  File f;
  f.path_ = display_name;
  f.size_ = bytes.size();
  Parser p{bytes, std::move(display_name)};
  if (auto st = p.parse(&f); !st) return st.error();
  return f;
}

Result<File> File::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    return make_error(path + ": cannot stat: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(path + ": not a regular file");
  }
  if (st.st_size == 0) {
    ::close(fd);
    return make_error(path + ": empty file (not GGUF)");
  }
  auto mapping = std::make_unique<Mapping>();
  mapping->size = size_t(st.st_size);
  void* addr = mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (addr == MAP_FAILED) return make_error(path + ": mmap failed: " + std::strerror(errno));
  mapping->addr = addr;
  auto r = parse({static_cast<const uint8_t*>(addr), mapping->size}, path);
  if (!r) return r.error();
  File f = std::move(r).value();
  f.mapping_ = std::move(mapping);
  return f;
}

const Value* File::find(std::string_view key) const {
  for (const auto& kv : kv_)
    if (kv.key == key) return &kv.value;
  return nullptr;
}

std::optional<std::string> File::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (!v || !v->as_string()) return std::nullopt;
  return *v->as_string();
}

std::optional<uint64_t> File::get_uint(std::string_view key) const {
  const Value* v = find(key);
  return v ? v->as_uint() : std::nullopt;
}

std::optional<double> File::get_float(std::string_view key) const {
  const Value* v = find(key);
  return v ? v->as_float() : std::nullopt;
}

std::optional<bool> File::get_bool(std::string_view key) const {
  const Value* v = find(key);
  return v ? v->as_bool() : std::nullopt;
}

Result<std::vector<std::string>> File::get_string_array(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return make_error(path_ + ": metadata '" + std::string(key) + "' is missing");
  const Array* a = v->as_array();
  if (!a || a->elem_type != ValueType::STRING)
    return make_error(path_ + ": metadata '" + std::string(key) + "' should be an array of strings");
  std::vector<std::string> out;
  out.reserve(a->items.size());
  for (const auto& item : a->items) out.push_back(*item.as_string());
  return out;
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace trit::gguf
