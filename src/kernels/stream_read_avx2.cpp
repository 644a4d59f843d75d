// AVX2 xor_stream (stream_read.h): 256-bit loads, four accumulators.
#include <immintrin.h>

#include <algorithm>

#include "core/prefetch.h"
#include "kernels/stream_read.h"

namespace trit::avx2 {

uint64_t xor_stream(const uint8_t* p, size_t n, int streams) {
  streams = std::max(streams, 1);
  const size_t part = stream_part_bytes(n, streams);
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  auto read128 = [&](const uint8_t* q) {
    a = _mm256_xor_si256(a, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)));
    b = _mm256_xor_si256(b, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32)));
    c = _mm256_xor_si256(c, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 64)));
    d = _mm256_xor_si256(d, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 96)));
  };
  for (size_t off = 0; off < part; off += kStreamTurnBytes)
    for (int s = 0; s < streams; ++s) {
      const uint8_t* q = p + size_t(s) * part + off;
      prefetch_stream_ahead(q, kStreamTurnBytes);
      read128(q);
      read128(q + 128);
    }
  size_t i = size_t(streams) * part;
  for (; i + 128 <= n; i += 128) {
    prefetch_stream_ahead(p + i, 128);
    read128(p + i);
  }
  const __m256i v = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
  alignas(32) uint64_t w[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(w), v);
  // Each lane holds the xor of the words at its offset mod 32; their xor is that of all words.
  return (w[0] ^ w[1] ^ w[2] ^ w[3]) ^ xor_stream_scalar(p + i, n - i);
}

}  // namespace trit::avx2
