// One buffer, far larger than the last-level cache, for the microbenchmarks' memory-resident runs:
// a run copies its data into it back to back and cycles through the copies, so every iteration
// reads memory, as decode does (it streams the whole model per token, evicting everything else).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace trit::bench_ring {

// 16 times this project's 32 MiB L3, on transparent huge pages like the model's rewritten weights.
inline constexpr size_t kBytes = size_t(512) << 20;

// The process's buffer (mapped on first use, kBytes).
uint8_t* data();

// Copies of bytes[0, n) filling the buffer, each at a multiple of 64 bytes: the copies' stride and
// count, and the span of buffer they cover (what a read pass over the same bytes reads).
struct Copies {
  size_t stride = 0;
  size_t count = 0;
  std::span<const uint8_t> used;
  const uint8_t* at(size_t i) const { return used.data() + i * stride; }
};
Copies fill(const uint8_t* bytes, size_t n);

}  // namespace trit::bench_ring
