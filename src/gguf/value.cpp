// Metadata values: typed access with range checks, and a short text form for `trit inspect`.
#include <cmath>
#include <limits>
#include <sstream>

#include "gguf/gguf.h"

namespace trit::gguf {

std::string_view value_type_name(ValueType t) {
  switch (t) {
    case ValueType::U8: return "u8";
    case ValueType::I8: return "i8";
    case ValueType::U16: return "u16";
    case ValueType::I16: return "i16";
    case ValueType::U32: return "u32";
    case ValueType::I32: return "i32";
    case ValueType::F32: return "f32";
    case ValueType::BOOL: return "bool";
    case ValueType::STRING: return "string";
    case ValueType::ARRAY: return "array";
    case ValueType::U64: return "u64";
    case ValueType::I64: return "i64";
    case ValueType::F64: return "f64";
  }
  return "unknown";
}

std::optional<int64_t> Value::as_int() const {
  return std::visit(
      [](const auto& x) -> std::optional<int64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, uint64_t>) {
          if (x > uint64_t(std::numeric_limits<int64_t>::max())) return std::nullopt;
          return int64_t(x);
        } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          return int64_t(x);
        } else {
          return std::nullopt;
        }
      },
      v);
}

std::optional<uint64_t> Value::as_uint() const {
  if (auto u = std::get_if<uint64_t>(&v)) return *u;
  auto i = as_int();
  if (!i || *i < 0) return std::nullopt;
  return uint64_t(*i);
}

std::optional<double> Value::as_float() const {
  if (auto f = std::get_if<float>(&v)) return double(*f);
  if (auto d = std::get_if<double>(&v)) return *d;
  if (auto i = as_int()) return double(*i);
  if (auto u = std::get_if<uint64_t>(&v)) return double(*u);
  return std::nullopt;
}

std::optional<bool> Value::as_bool() const {
  if (auto b = std::get_if<bool>(&v)) return *b;
  return std::nullopt;
}

std::string Value::to_string(size_t max_items) const {
  std::ostringstream os;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          std::string s = x.size() > 120 ? x.substr(0, 117) + "..." : x;
          os << '"';
          for (char c : s) {
            if (c == '\n') os << "\\n";
            else if (c == '"') os << "\\\"";
            else os << c;
          }
          os << '"';
        } else if constexpr (std::is_same_v<T, Array>) {
          os << '[';
          for (size_t i = 0; i < x.items.size() && i < max_items; ++i) {
            if (i) os << ", ";
            os << x.items[i].to_string(max_items);
          }
          if (x.items.size() > max_items) os << ", ... (" << x.items.size() << " items)";
          os << ']';
        } else if constexpr (std::is_same_v<T, bool>) {
          os << (x ? "true" : "false");
        } else if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t>) {
          os << int(x);
        } else {
          os << x;
        }
      },
      v);
  return os.str();
}

uint64_t TensorInfo::n_elements() const {
  uint64_t n = 1;
  for (auto d : shape) n *= d;  // validated against overflow by the reader
  return n;
}

}  // namespace trit::gguf
