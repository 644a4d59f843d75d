// Ternary weight unpacking shared by the AVX2 and AVX-512 VNNI kernel files: each turns one
// block's packed trits into unsigned codes 0, 1, 2 (weight + 1) in element order, 32 per register.
// Include ONLY from files compiled with at least -mavx2 (CMakeLists.txt).
#pragma once

#include <cstring>

#include "kernels/avx2_common.h"
#include "quant/tq1_0.h"
#include "quant/tq2_0.h"

namespace trit::avx2 {
// Internal linkage on purpose: these inline functions are compiled into files with different ISA
// flags (AVX2, AVX-512); shared weak symbols would let the linker keep an AVX-512 copy for the
// AVX2 callers.
namespace {

// 256 codes (0, 1, 2) of one TQ2_0 block in element order: byte g*32+m holds element
// g*128 + 32k + m at bits 2k.
struct UnpackTq2 {
  using Block = quant::TQ2_0Block;
  // The float epilogue of ggml's x86 ggml_vec_dot_tq2_0_q8_K (see ggml_lane_fma), so that trit's
  // TQ2_0 outputs equal llama.cpp's to the last bit on AVX2 CPUs.
  static constexpr bool kGgmlLanes = true;
  static void codes(const Block& b, __m256i c[8]) {
    const __m256i mask = _mm256_set1_epi8(3);
    for (int g = 0; g < 2; ++g) {
      const __m256i v = loadu(b.qs + 32 * g);
      c[4 * g + 0] = _mm256_and_si256(v, mask);
      c[4 * g + 1] = _mm256_and_si256(_mm256_srli_epi16(v, 2), mask);
      c[4 * g + 2] = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
      c[4 * g + 3] = _mm256_and_si256(_mm256_srli_epi16(v, 6), mask);
    }
  }
};

// Trit of each byte for per-16-bit-lane multipliers m (3^k for both bytes of the lane):
// t = (uint8_t)(v * 3^k), trit = (t * 3) >> 8, computed as a high 16-bit product
// ((t << 8) * 3 >> 16 for odd bytes, t * 768 >> 16 for even ones).
inline __m256i trits(__m256i v, __m256i m) {
  const __m256i lo_mask = _mm256_set1_epi16(0x00FF);
  const __m256i even = _mm256_and_si256(_mm256_mullo_epi16(v, m), lo_mask);
  const __m256i odd = _mm256_mullo_epi16(_mm256_andnot_si256(lo_mask, v), m);  // x_hi * 3^k in the high byte
  const __m256i te = _mm256_mulhi_epu16(even, _mm256_set1_epi16(768));
  const __m256i to = _mm256_mulhi_epu16(_mm256_andnot_si256(lo_mask, odd), _mm256_set1_epi16(3));
  return _mm256_or_si256(te, _mm256_slli_epi16(to, 8));
}

// 256 codes of one TQ1_0 block in element order (layout in quant/tq1_0.h).
struct UnpackTq1 {
  using Block = quant::TQ1_0Block;
  static constexpr bool kGgmlLanes = false;  // ggml's TQ1_0 AVX2 lanes hold other element sets
  static void codes(const Block& b, __m256i c[8]) {
    const __m256i v = loadu(b.qs);  // elements 32k + m, k = 0..4
    static constexpr int16_t kPow[5] = {1, 3, 9, 27, 81};
    for (int k = 0; k < 5; ++k) c[k] = trits(v, _mm256_set1_epi16(kPow[k]));
    // qs[32..47]: element 160 + 16k + m; both halves hold the 16 bytes, trits k and k+1.
    const __m128i q16 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 32));
    const __m256i v16 = _mm256_broadcastsi128_si256(q16);
    c[5] = trits(v16, _mm256_setr_epi16(1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3));
    c[6] = trits(v16, _mm256_setr_epi16(9, 9, 9, 9, 9, 9, 9, 9, 27, 27, 27, 27, 27, 27, 27, 27));
    // elements 224..239 (trit 4 of qs[32..47]) then 240..255: byte 4k+j is trit k of qh[j].
    uint32_t qh;
    std::memcpy(&qh, b.qh, 4);
    const __m128i h = _mm_set1_epi32(int(qh));
    const __m256i v7 = _mm256_inserti128_si256(_mm256_castsi128_si256(q16), h, 1);
    c[7] = trits(v7, _mm256_setr_epi16(81, 81, 81, 81, 81, 81, 81, 81, 1, 1, 3, 3, 9, 9, 27, 27));
  }
};

// I2_S: 128 elements per 32 bytes; byte k holds elements k, k+32, k+64, k+96 at bits 7-6, 5-4,
// 3-2, 1-0. The raw dot sum(code * q) is exact int32 over the whole row.
inline void i2s_codes(const uint8_t* p, __m256i c[4]) {
  const __m256i mask = _mm256_set1_epi8(3);
  const __m256i v = loadu(p);
  c[0] = _mm256_and_si256(_mm256_srli_epi16(v, 6), mask);
  c[1] = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
  c[2] = _mm256_and_si256(_mm256_srli_epi16(v, 2), mask);
  c[3] = _mm256_and_si256(v, mask);
}

}  // namespace
}  // namespace trit::avx2
