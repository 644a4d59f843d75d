// Fuzz target: arbitrary bytes -> gguf::File::parse. A malformed file must give an Error (never a
// crash, an overread, a hang or a huge allocation); a file that parses must be self-consistent:
// every tensor's data lies inside the input, and the accessors work on every key.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "gguf/gguf.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trit;
  const std::span<const uint8_t> bytes(data, size);
  auto f = gguf::File::parse(bytes, "fuzz.gguf");
  if (!f.ok()) {
    check(!f.error().message.empty());
    return 0;
  }
  // (data_offset may lie past the end when no tensor has data: padding after the infos is optional.)
  uint64_t sum = 0;
  for (const auto& t : f->tensors()) {
    check(t.shape.size() >= 1 && t.shape.size() <= gguf::kMaxDims);
    check(f->find_tensor(t.name) == &t);
    if (t.n_bytes > 0) {
      check(t.data >= data && t.n_bytes <= size && t.data - data <= static_cast<ptrdiff_t>(size - t.n_bytes));
      sum += t.data[0] + t.data[t.n_bytes - 1];  // touch both ends (ASan)
    }
    sum += t.n_rows();
  }
  for (const auto& kv : f->metadata()) {
    check(f->find(kv.key) == &kv.value);
    sum += kv.value.to_string().size();
    (void)f->get_string_array(kv.key);
    (void)f->get_uint(kv.key);
    (void)f->get_float(kv.key);
  }
  return static_cast<int>(sum & 0);
}
