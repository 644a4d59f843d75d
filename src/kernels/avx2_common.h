// Inline AVX2 helpers shared by the *_avx2.cpp files. Include ONLY from files compiled with
// -mavx2 -mfma -mf16c (CMakeLists.txt): anything else would emit AVX2 code into portable objects.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace trit::avx2 {
// Internal linkage on purpose: these inline functions are compiled into files with different ISA
// flags (AVX2, AVX-512); shared weak symbols would let the linker keep an AVX-512 copy for the
// AVX2 callers.
namespace {


// Sum of the 8 int32 lanes.
inline int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// {sum(a), sum(b), sum(c), sum(d)} of four int32x8 vectors. Integer addition is associative, so
// this equals the scalar reference's sequential int32 sum exactly.
inline __m128i hsum4_i32(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_hadd_epi32(a, b);
  const __m256i cd = _mm256_hadd_epi32(c, d);
  const __m256i abcd = _mm256_hadd_epi32(ab, cd);
  return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

// {sum(v[0]), ..., sum(v[7])}: each of 8 int32x8 vectors summed, in order (exact, as hsum4_i32).
inline __m256i hsum8_i32(const __m256i (&v)[8]) {
  const __m256i h0123 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
  const __m256i h4567 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
  // h0123: the low-half sums of v0..v3, then their high-half sums; h4567 the same for v4..v7.
  return _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20), _mm256_permute2x128_si256(h0123, h4567, 0x31));
}

inline float hsum_f32(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax_f32(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256 abs_ps(__m256 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }

inline __m256i loadu(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Four int32x8 (elements 0-7, 8-15, 16-23, 24-31) to 32 int8 in element order, saturating.
inline __m256i pack_i32_to_i8(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b);    // 16-bit, lanes interleaved per 128 bits
  const __m256i cd = _mm256_packs_epi32(c, d);
  const __m256i abcd = _mm256_packs_epi16(ab, cd);  // [0-3 8-11 16-19 24-27 | 4-7 12-15 20-23 28-31]
  return _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Sum of u8 x s8 products of 32 pairs, as int32x8 (each lane 4 products). Exact when each pair
// of products fits int16 (the callers' codes are <= 15, so |pair| <= 2 * 15 * 128).
inline __m256i dot_u8_i8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

}  // namespace
}  // namespace trit::avx2
