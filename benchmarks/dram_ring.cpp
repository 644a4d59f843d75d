#include "dram_ring.h"

#include <algorithm>
#include <cstring>

#include "core/page_buffer.h"

namespace trit::bench_ring {

uint8_t* data() {
  static PageBuffer buffer(kBytes);
  return buffer.data();
}

Copies fill(const uint8_t* bytes, size_t n) {
  Copies c;
  c.stride = (n + 63) / 64 * 64;
  c.count = std::max<size_t>(1, kBytes / c.stride);
  for (size_t i = 0; i < c.count; ++i) std::memcpy(data() + i * c.stride, bytes, n);
  c.used = {data(), c.count * c.stride};
  return c;
}

}  // namespace trit::bench_ring
