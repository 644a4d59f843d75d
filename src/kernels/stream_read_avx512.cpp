// AVX-512 xor_stream (stream_read.h): 512-bit loads, four accumulators, one turn of a stream each. On the Zen 5 VM a read
// pass over 2B4T's weights with these ran 35 GB/s at 1 thread where 64-bit words ran 32, and 65
// against 62 at 2 threads (before the prefetch, which both take).
#include <immintrin.h>

#include <algorithm>

#include "core/prefetch.h"
#include "kernels/stream_read.h"

namespace trit::avx512 {

uint64_t xor_stream(const uint8_t* p, size_t n, int streams) {
  streams = std::max(streams, 1);
  const size_t part = stream_part_bytes(n, streams);
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  for (size_t off = 0; off < part; off += kStreamTurnBytes)
    for (int s = 0; s < streams; ++s) {
      const uint8_t* q = p + size_t(s) * part + off;
      prefetch_stream_ahead(q, kStreamTurnBytes);
      a = _mm512_xor_si512(a, _mm512_loadu_si512(q));
      b = _mm512_xor_si512(b, _mm512_loadu_si512(q + 64));
      c = _mm512_xor_si512(c, _mm512_loadu_si512(q + 128));
      d = _mm512_xor_si512(d, _mm512_loadu_si512(q + 192));
    }
  const __m512i v = _mm512_xor_si512(_mm512_xor_si512(a, b), _mm512_xor_si512(c, d));
  alignas(64) uint64_t w[8];
  _mm512_store_si512(w, v);
  uint64_t s = 0;
  for (uint64_t x : w) s ^= x;  // each lane: the words at its offset mod 64 (parts start at multiples of 256)
  const size_t done = size_t(streams) * part;
  return s ^ xor_stream_scalar(p + done, n - done);
}

}  // namespace trit::avx512
