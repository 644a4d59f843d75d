// Asking for a range of memory ahead of its use (software prefetch, into L1).
#pragma once

#include <cstddef>
#include <cstdint>

namespace trit {

// Asks for every 64-byte cache line of [p, p + bytes). Always inlined, and so must be any helper
// around it: GCC treats a function whose only effect is a prefetch as having none and drops its
// calls (kernels/attention_avx512.cpp's first prefetching helper compiled to nothing).
__attribute__((always_inline)) inline void prefetch_lines(const void* p, size_t bytes) {
  const auto* c = static_cast<const char*>(p);
  for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(c + o);
}

}  // namespace trit
