// I2_S (bitnet.cpp type 36, x86 layout): ternary weights as 2-bit codes, 2 bits per weight plus
// ONE float scale for the whole tensor in a 32-byte trailer after all packed rows
// (data size = n/4 + 32 for n elements).
//
// Why it has its own entry points instead of a per-row row in formats.h: the scale is per tensor
// (a row alone cannot be decoded without the tensor's trailer) and the activations are per-token
// int8 with a float scale and an integer sum (not a block format). formats.h lists I2_S with
// null per-row functions; quantize_tensor / dequantize_tensor (formats.h) handle the trailer.
//
// Layout: codes 0 = -1, 1 = 0, 2 = +1; elements in flat row-major order in blocks of 128 held in
// 32 bytes: byte b*32 + k holds element b*128 + k at bits 7-6, + 32 at bits 5-4, + 64 at bits
// 3-2, + 96 at bits 1-0. Rows must be a multiple of 128 so a row is whole blocks.
#pragma once

#include <cstdint>
#include <vector>

namespace trit::quant {

inline constexpr int64_t kQK_I2_S = 128;          // elements per packed block
inline constexpr int64_t kI2sBlockBytes = 32;     // bytes per packed block
inline constexpr int64_t kI2sTrailer = 32;        // bytes after the codes; the scale is the first 4

// Bytes of an I2_S tensor of n elements: n/4 codes + the trailer.
inline int64_t i2_s_tensor_bytes(int64_t n) { return n / 4 + kI2sTrailer; }

// Matches bitnet.cpp quantize_i2_s (its converter feeds it weights already ternary, {-a, 0, a}):
// scale = max|x| over the whole tensor (in double, stored as float); code = 1 where |x| < 1e-6,
// else 2 for x > 0 and 0 for x < 0. Writes i2_s_tensor_bytes(n) bytes (trailer padding zeroed).
// n must be a multiple of kQK_I2_S.
void quantize_i2_s(const float* x, int64_t n, uint8_t* dst);

// Absmean ternarization (ternary.h) of float weights, then packing: scale = absmean_scale(x),
// codes = ternarize(x, scale). Use this to make I2_S from arbitrary float weights.
void quantize_i2_s_absmean(const float* x, int64_t n, uint8_t* dst);

// Packs codes in {-1, 0, +1} and a scale into i2_s_tensor_bytes(n) bytes.
void pack_i2_s(const int8_t* codes, int64_t n, float scale, uint8_t* dst);
// Unpacks n codes (n a multiple of kQK_I2_S) from packed bytes as -1, 0, +1.
void unpack_i2_s(const uint8_t* packed, int64_t n, int8_t* codes);

// The tensor scale stored in the trailer of a tensor of n elements.
float i2_s_scale(const uint8_t* data, int64_t n);

// Dequantizes one packed row (n elements, a multiple of kQK_I2_S) with the tensor's scale:
// y = scale * code_value, as bitnet.cpp dequantize_i2_s.
void dequantize_row_i2_s(const uint8_t* row, float scale, float* y, int64_t n);
// Dequantizes a whole tensor of n elements, reading the scale from its trailer.
void dequantize_i2_s(const uint8_t* data, int64_t n, float* y);

// Per-token int8 activations (bitnet.cpp quantize_row_i8_s): q = clamp(round_half_even(x * s),
// -128, 127) with s = 127 / max(1e-5, max|x|) (max in double, s rounded to float), sum = sum(q).
struct I8Activations {
  std::vector<int8_t> q;
  float scale = 0.0f;  // s: q ~= x * s
  int32_t sum = 0;     // sum of q, to undo the +1 bias of the codes
};

// The smallest max|x| bitnet.cpp uses, so an all-zero row gets a finite scale.
inline constexpr double kI8ActMinMax = 1e-5;

void quantize_row_i8_s(const float* x, int8_t* q, int64_t n, float* scale, int32_t* sum);
I8Activations quantize_activations_i8(const float* x, int64_t n);

// Matches bitnet.cpp ggml_vec_dot_i2_i8_s: sum over the row of code (0, 1, 2) * q, exact int32.
int32_t vec_dot_i2_s_i8_raw(int64_t n, const uint8_t* row, const int8_t* q);

// What bitnet.cpp's x86 kernel actually returns (ggml_vec_dot_i2_i8_s, __AVX2__ branch, in
// src/ggml-bitnet-mad.cpp of the 2024-10 release and, unchanged, its later 1x1 / 1xN variants):
// _mm256_maddubs_epi16 pairs code*q products into 16 int16 lanes (lane l of 32-byte group g of
// block b holds elements b*128 + g*32 + 2l and + 2l + 1), _mm256_add_epi16 accumulates the lanes
// over up to 32 blocks (4096 elements) WITHOUT widening, then _mm256_madd_epi16 widens to int32.
// So each lane's sum wraps modulo 2^16. Equal to vec_dot_i2_s_i8_raw unless some lane's sum of
// 256 products leaves [-32768, 32767] (e.g. a constant activation row: 256 * 2 * 127 = 65024).
int32_t vec_dot_i2_s_i8_raw_i16(int64_t n, const uint8_t* row, const int8_t* q);

// The epilogue (REFERENCE.md section 3): y = (float(raw) - float(sum)) / s * wscale, in float, in
// that order. raw - sum = sum((code - 1) * q) is the true ternary dot.
float i2_s_epilogue(int32_t raw, int32_t act_sum, float act_scale, float wscale);

// Raw dot and epilogue in one: one output element of an I2_S matmul.
float vec_dot_i2_s_i8(int64_t n, const uint8_t* row, float wscale, const I8Activations& act);

}  // namespace trit::quant
