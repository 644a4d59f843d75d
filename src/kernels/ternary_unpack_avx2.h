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

// TQ1_0 trit extraction without multiplies. With t = (uint8_t)(q * 3^k), trit k of byte q is
// (t * 3) >> 8 = [t >= 86] + [t >= 171]. The bytes are kept as u = t ^ 0x80 (t biased into signed
// order) so that signed compares give those two tests; the bias survives multiplication by 3:
// 3 * (t + 128) = 3t + 384 = 3t + 128 (mod 256), so u_k = 3^k * u_0 (mod 256) for every k.

// 3 * u per byte (mod 256).
inline __m256i times3(__m256i u) { return _mm256_add_epi8(_mm256_add_epi8(u, u), u); }

// 9 * u per byte (mod 256): u + (u << 3), the 16-bit shift's carries between bytes masked off.
inline __m256i times9(__m256i u) {
  return _mm256_add_epi8(u, _mm256_and_si256(_mm256_slli_epi16(u, 3), _mm256_set1_epi8(int8_t(0xF8))));
}

// Code 0, 1, 2 of each biased byte u = t ^ 0x80: [t > 85] + [t > 170] as 0 - mask - mask, with
// th85 / th170 = 85 ^ 0x80 / 170 ^ 0x80 in every byte (see UnpackTq1::codes).
inline __m256i trits(__m256i u, __m256i th85, __m256i th170) {
  return _mm256_sub_epi8(_mm256_sub_epi8(_mm256_setzero_si256(), _mm256_cmpgt_epi8(u, th85)),
                         _mm256_cmpgt_epi8(u, th170));
}

// The 8 registers of codes of one TQ1_0 block (layout in quant/tq1_0.h), one at a time in element
// order: f(k, c) with c the codes of elements 32k .. 32k + 31, so that a caller can use each
// register as it comes (tiles of many tokens keep few codes live beside their sums).
template <class F>
__attribute__((always_inline)) inline void tq1_codes_each(const quant::TQ1_0Block& b, F&& f) {
  const __m256i bias = _mm256_set1_epi8(int8_t(0x80));
  __m256i th85 = _mm256_set1_epi8(int8_t(85 ^ 0x80)), th170 = _mm256_set1_epi8(int8_t(170 ^ 0x80));
  // Opaque to the optimizer: GCC 12 otherwise turns one of the two compares into vpminsb + vpcmpeqb.
  __asm__("" : "+x"(th85), "+x"(th170));
  const auto trits = [&](__m256i x) { return avx2::trits(x, th85, th170); };
  // qs[0..31]: element 32k + m is trit k of byte m, k = 0..4.
  __m256i u = _mm256_xor_si256(loadu(b.qs), bias);
  f(0, trits(u));
  for (int k = 1; k < 5; ++k) {
    u = times3(u);
    f(k, trits(u));
  }
  // qs[32..47]: element 160 + 16k + m; both halves hold the 16 bytes, times 1 | 3 for trits 0 | 1,
  // then times 9 for trits 2 | 3.
  const __m128i q16 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 32));
  const __m256i w = _mm256_xor_si256(_mm256_broadcastsi128_si256(q16), bias);
  const __m256i w01 = _mm256_blend_epi32(w, times3(w), 0xF0);
  f(5, trits(w01));
  f(6, trits(times9(w01)));
  // Elements 224..239 (trit 4 of qs[32..47]) then 240..255: byte 4k+j is trit k of qh[j]. Per-byte
  // multipliers 81 | 1, 3, 9, 27 (one per 4 bytes) from two 16-bit multiplies: the low byte of
  // each 16-bit product is exact, so even bytes come from v * m, odd ones from (v & 0xFF00) * m.
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  const __m256i v7 = _mm256_xor_si256(
      _mm256_inserti128_si256(_mm256_castsi128_si256(q16), _mm_set1_epi32(int(qh)), 1), bias);
  const __m256i m7 = _mm256_setr_epi16(81, 81, 81, 81, 81, 81, 81, 81, 1, 1, 3, 3, 9, 9, 27, 27);
  const __m256i hi_bytes = _mm256_set1_epi16(int16_t(0xFF00));
  const __m256i even = _mm256_mullo_epi16(v7, m7);
  const __m256i odd = _mm256_mullo_epi16(_mm256_and_si256(v7, hi_bytes), m7);
  f(7, trits(_mm256_blendv_epi8(even, odd, hi_bytes)));
}

// 256 codes of one TQ1_0 block in element order, all 8 registers.
struct UnpackTq1 {
  using Block = quant::TQ1_0Block;
  static constexpr bool kGgmlLanes = false;  // ggml's TQ1_0 AVX2 lanes hold other element sets
  static void codes(const Block& b, __m256i c[8]) {
    tq1_codes_each(b, [&](int k, __m256i v) { c[k] = v; });
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
