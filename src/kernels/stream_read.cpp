#include "kernels/stream_read.h"

#include <algorithm>
#include <cstring>

#include "core/cpu.h"
#include "core/prefetch.h"

namespace trit {

namespace {

// Words [0, n) of p, 64 bytes at a time into a[8], asking ahead; returns how many bytes it read.
size_t xor_lines(const uint8_t* p, size_t n, uint64_t (&a)[8]) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    prefetch_stream_ahead(p + i, 64);
    for (int k = 0; k < 8; ++k) {
      uint64_t v;
      std::memcpy(&v, p + i + 8 * size_t(k), 8);
      a[k] ^= v;
    }
  }
  return i;
}

}  // namespace

uint64_t xor_stream_scalar(const uint8_t* p, size_t n, int streams) {
  // Eight independent accumulators, so the loop is load-bound.
  uint64_t a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  streams = std::max(streams, 1);
  const size_t part = stream_part_bytes(n, streams);
  for (size_t off = 0; off < part; off += kStreamTurnBytes)
    for (int s = 0; s < streams; ++s) xor_lines(p + size_t(s) * part + off, kStreamTurnBytes, a);
  size_t i = size_t(streams) * part;
  i += xor_lines(p + i, n - i, a);
  uint64_t s = a[0] ^ a[1] ^ a[2] ^ a[3] ^ a[4] ^ a[5] ^ a[6] ^ a[7];
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    s ^= v;
  }
  if (i < n) {
    uint64_t v = 0;
    std::memcpy(&v, p + i, n - i);
    s ^= v;
  }
  return s;
}

namespace {

using XorStream = uint64_t (*)(const uint8_t*, size_t, int);

struct Choice {
  const char* isa;
  XorStream fn;
};

Choice pick() {
#if TRIT_KERNELS_X86
  const auto& f = cpu_features();
  if (f.avx512f) return {"avx512", avx512::xor_stream};
  if (f.avx2) return {"avx2", avx2::xor_stream};
#endif
  return {"scalar", xor_stream_scalar};
}

const Choice& choice() {
  static const Choice c = pick();
  return c;
}

}  // namespace

uint64_t xor_stream(const uint8_t* p, size_t n, int streams) { return choice().fn(p, n, streams); }

const char* xor_stream_isa() { return choice().isa; }

}  // namespace trit
