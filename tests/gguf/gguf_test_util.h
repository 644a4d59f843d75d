// Helpers for building small GGUF byte streams by hand (to make files that lie).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/gguf.h"

namespace trit::gguf::testing {

struct Bytes {
  std::vector<uint8_t> b;
  template <class T>
  Bytes& pod(T x) {
    const auto* p = reinterpret_cast<const uint8_t*>(&x);
    b.insert(b.end(), p, p + sizeof x);
    return *this;
  }
  Bytes& str(const std::string& s) {
    pod<uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return pod<uint32_t>(kMagic).pod<uint32_t>(version).pod<uint64_t>(n_tensors).pod<uint64_t>(n_kv);
  }
  Bytes& pad(size_t alignment = kDefaultAlignment) {
    while (b.size() % alignment) b.push_back(0);
    return *this;
  }
};

// A small valid file: two metadata values and two F32 tensors.
inline std::vector<uint8_t> small_valid_file() {
  Writer w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 2);
  w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "c"});
  std::vector<uint8_t> d1(4 * 8, 1), d2(4 * 4, 2);
  (void)w.add_tensor("t1", TensorType::F32, {8}, d1);
  (void)w.add_tensor("t2", TensorType::F32, {2, 2}, d2);
  return w.to_bytes();
}

}  // namespace trit::gguf::testing
