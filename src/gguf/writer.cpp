// GGUF v3 writer. Streams to PATH.tmp and renames, so a failed or interrupted write never
// replaces a good file with half a file.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>

#include "core/checked_math.h"
#include "gguf/gguf.h"

namespace trit::gguf {
namespace {

using Sink = std::function<bool(const void*, size_t)>;

struct Out {
  Sink sink;
  uint64_t written = 0;
  bool ok = true;
  void bytes(const void* p, size_t n) {
    if (ok && n) ok = sink(p, n);
    written += n;
  }
  template <class T>
  void pod(T x) { bytes(&x, sizeof x); }
  void str(const std::string& s) {
    pod<uint64_t>(s.size());
    bytes(s.data(), s.size());
  }
  void pad_to(uint64_t alignment) {
    static const uint8_t zeros[256] = {};
    uint64_t target = *checked_align(written, alignment);
    while (written < target) bytes(zeros, std::min<uint64_t>(sizeof zeros, target - written));
  }
};

void write_value(Out& out, const Value& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out.str(x);
        } else if constexpr (std::is_same_v<T, Array>) {
          out.pod<uint32_t>(uint32_t(x.elem_type));
          out.pod<uint64_t>(x.items.size());
          for (const auto& item : x.items) write_value(out, item);
        } else if constexpr (std::is_same_v<T, bool>) {
          out.pod<uint8_t>(x ? 1 : 0);
        } else {
          out.pod<T>(x);
        }
      },
      v.v);
}

}  // namespace

void Writer::set(std::string key, Value value) {
  for (auto& kv : kv_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  kv_.push_back({std::move(key), std::move(value)});
}

void Writer::set_string_array(std::string key, std::vector<std::string> v) {
  Array a{ValueType::STRING, {}};
  a.items.reserve(v.size());
  for (auto& s : v) a.items.push_back(Value{std::move(s)});
  set(std::move(key), Value{std::move(a)});
}

void Writer::set_f32_array(std::string key, const std::vector<float>& v) {
  Array a{ValueType::F32, {}};
  for (float x : v) a.items.push_back(Value{x});
  set(std::move(key), Value{std::move(a)});
}

void Writer::set_i32_array(std::string key, const std::vector<int32_t>& v) {
  Array a{ValueType::I32, {}};
  for (int32_t x : v) a.items.push_back(Value{x});
  set(std::move(key), Value{std::move(a)});
}

Status Writer::add_tensor(std::string name, TensorType type, std::vector<uint64_t> shape,
                          std::vector<uint8_t> data) {
  if (shape.empty() || shape.size() > kMaxDims)
    return make_error("tensor '" + name + "': " + std::to_string(shape.size()) + " dimensions (expected 1..4)");
  uint64_t n = 1;
  for (auto d : shape) {
    auto p = checked_mul(n, d);
    if (!p) return make_error("tensor '" + name + "': element count overflows");
    n = *p;
  }
  auto bytes = tensor_bytes(type, shape[0], n);
  if (!bytes || *bytes != data.size())
    return make_error("tensor '" + name + "': " + std::to_string(data.size()) + " bytes of data, expected " +
                      (bytes ? std::to_string(*bytes) : std::string("a whole number of blocks")) + " for " +
                      std::string(tensor_type_name(type)));
  for (const auto& t : tensors_)
    if (t.name == name) return make_error("tensor '" + name + "' added twice");
  tensors_.push_back({std::move(name), type, std::move(shape), std::move(data)});
  return {};
}

// The whole file: header, metadata, tensor infos, aligned data. `tensors` is Writer's pending list.
static void serialize(const std::vector<KeyValue>& kv, uint64_t alignment, const auto& tensors, Out& out) {
  out.pod<uint32_t>(kMagic);
  out.pod<uint32_t>(3);
  out.pod<uint64_t>(tensors.size());
  out.pod<uint64_t>(kv.size());
  for (const auto& e : kv) {
    out.str(e.key);
    out.pod<uint32_t>(uint32_t(e.value.type()));
    write_value(out, e.value);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    out.str(t.name);
    out.pod<uint32_t>(uint32_t(t.shape.size()));
    for (auto d : t.shape) out.pod<uint64_t>(d);
    out.pod<uint32_t>(uint32_t(t.type));
    out.pod<uint64_t>(offset);
    offset = *checked_align(offset + t.data.size(), alignment);
  }
  out.pad_to(alignment);
  const uint64_t data_start = out.written;
  for (const auto& t : tensors) {
    out.bytes(t.data.data(), t.data.size());
    // Pad relative to the data section start (which is itself aligned).
    uint64_t rel = out.written - data_start;
    uint64_t target = *checked_align(rel, alignment);
    static const uint8_t zeros[256] = {};
    while (rel < target) {
      uint64_t n = std::min<uint64_t>(sizeof zeros, target - rel);
      out.bytes(zeros, n);
      rel += n;
    }
  }
}

// A non-default alignment must be recorded in the file for readers to find the data.
std::vector<KeyValue> Writer::metadata_with_alignment() const {
  std::vector<KeyValue> kv = kv_;
  bool has_alignment = false;
  for (const auto& e : kv) has_alignment |= e.key == "general.alignment";
  if (alignment_ != kDefaultAlignment && !has_alignment)
    kv.push_back({"general.alignment", Value{uint32_t(alignment_)}});
  return kv;
}

std::vector<uint8_t> Writer::to_bytes() const {
  std::vector<uint8_t> buf;
  Out out{[&](const void* p, size_t n) {
    auto* b = static_cast<const uint8_t*>(p);
    buf.insert(buf.end(), b, b + n);
    return true;
  }};
  serialize(metadata_with_alignment(), alignment_, tensors_, out);
  return buf;
}

Status Writer::write(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  std::unique_ptr<FILE, decltype(&std::fclose)> f(std::fopen(tmp.c_str(), "wb"), std::fclose);
  if (!f) return make_error(tmp + ": cannot create: " + std::strerror(errno));
  Out out{[&](const void* p, size_t n) { return std::fwrite(p, 1, n, f.get()) == n; }};
  serialize(metadata_with_alignment(), alignment_, tensors_, out);
  bool ok = out.ok && std::fflush(f.get()) == 0;
  int err = errno;
  f.reset();
  if (!ok) {
    std::remove(tmp.c_str());
    return make_error(tmp + ": write failed: " + std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    std::remove(tmp.c_str());
    return make_error(path + ": cannot rename from " + tmp + ": " + std::strerror(err));
  }
  return {};
}

}  // namespace trit::gguf
