// AVX2 xor_stream (stream_read.h): 256-bit loads, four accumulators.
#include <immintrin.h>

#include "core/prefetch.h"
#include "kernels/stream_read.h"

namespace trit::avx2 {

uint64_t xor_stream(const uint8_t* p, size_t n) {
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    prefetch_stream_ahead(p + i, 128);
    a = _mm256_xor_si256(a, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    b = _mm256_xor_si256(b, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    c = _mm256_xor_si256(c, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    d = _mm256_xor_si256(d, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  const __m256i v = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
  alignas(32) uint64_t w[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(w), v);
  // Each lane holds the xor of the words at its offset mod 32; their xor is that of all words.
  return (w[0] ^ w[1] ^ w[2] ^ w[3]) ^ xor_stream_scalar(p + i, n - i);
}

}  // namespace trit::avx2
