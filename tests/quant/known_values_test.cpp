// Hand-made blocks with values worked out by hand from the format definitions: each test pins a
// layout or rounding rule that a bit-exact comparison alone would not explain.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/fp16.h"
#include "quant/bf16.h"
#include "quant/f16.h"
#include "quant/q4_0.h"
#include "quant/q6_k.h"
#include "quant/q8_0.h"
#include "quant/q8_k.h"
#include "quant/tq1_0.h"
#include "quant/tq2_0.h"

namespace trit::quant {
namespace {

TEST(KnownValues, HalfRoundsToNearestEven) {
  const float x[] = {1.0f, 65504.0f, 65520.0f, 1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f, -2.0f, 0x1p-24f, 0x1p-26f};
  fp16_t h[8];
  quantize_row_f16_ref(x, h, 8);
  EXPECT_EQ(h[0], 0x3C00);
  EXPECT_EQ(h[1], 0x7BFF);  // largest half
  EXPECT_EQ(h[2], 0x7C00);  // halfway to the next binade rounds up to inf
  EXPECT_EQ(h[3], 0x3C00);  // tie: to even (down)
  EXPECT_EQ(h[4], 0x3C02);  // tie: to even (up)
  EXPECT_EQ(h[5], 0xC000);
  EXPECT_EQ(h[6], 0x0001);  // smallest subnormal
  EXPECT_EQ(h[7], 0x0000);  // a quarter of it rounds to zero
}

TEST(KnownValues, Bfloat16RoundsToNearestEvenAndQuietsNaN) {
  const float x[] = {1.0f, bits_float(0x3F808000u), bits_float(0x3F818000u), bits_float(0x7F800001u)};
  bf16_t b[4];
  quantize_row_bf16_ref(x, b, 4);
  EXPECT_EQ(b[0], 0x3F80);
  EXPECT_EQ(b[1], 0x3F80);  // tie: to even (down)
  EXPECT_EQ(b[2], 0x3F82);  // tie: to even (up)
  EXPECT_EQ(b[3], 0x7FC0);  // signalling NaN comes back quiet
}

TEST(KnownValues, Q8_0ScaleIsAbsmaxOver127AndRoundsHalfAway) {
  float x[32] = {};
  x[0] = -127.0f;  // absmax 127: d = 1
  x[1] = 2.5f;     // roundf: away from zero
  x[2] = -2.5f;
  x[3] = 0.49f;
  Q8_0Block b;
  quantize_row_q8_0_ref(x, &b, 32);
  EXPECT_EQ(b.d, 0x3C00);
  EXPECT_EQ(b.qs[0], -127);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[2], -3);
  EXPECT_EQ(b.qs[3], 0);
  float y[32];
  dequantize_row_q8_0(&b, y, 32);
  EXPECT_EQ(y[0], -127.0f);
  EXPECT_EQ(y[1], 3.0f);
}

TEST(KnownValues, Q4_0MapsTheSignedMaxToMinus8AndPacksHalvesInNibbles) {
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = float(j % 16 - 8);  // -8..7, twice; -8 is the signed max: d = 1
  Q4_0Block b;
  quantize_row_q4_0_ref(x, &b, 32);
  EXPECT_EQ(b.d, 0x3C00);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(b.qs[j], uint8_t(j | (j << 4))) << j;  // q = x + 8 in both nibbles
  float y[32];
  dequantize_row_q4_0(&b, y, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], x[j]);

  // A positive max gives a negative scale, and the value at -max clips from +8 to +7 steps.
  float z[32] = {};
  z[0] = 8.0f;
  z[1] = -8.0f;
  quantize_row_q4_0_ref(z, &b, 32);
  EXPECT_EQ(fp16_to_fp32(b.d), -1.0f);
  EXPECT_EQ(b.qs[0] & 15, 0);   // 8 / -1 + 8 = 0
  EXPECT_EQ(b.qs[1] & 15, 15);  // -8 / -1 + 8 = 16, clipped
  dequantize_row_q4_0(&b, z, 32);
  EXPECT_EQ(z[0], 8.0f);
  EXPECT_EQ(z[1], -7.0f);
}

TEST(KnownValues, Q8KUsesTheSignedMaxAndFillsBsums) {
  std::vector<float> x(256, 0.0f);
  x[0] = 127.0f;  // signed max 127: iscale = -1, d = -1, q = -x
  x[1] = -3.0f;
  x[17] = 5.5f;   // nearest_int: ties to even -> -6
  Q8KBlock b;
  quantize_row_q8_K_ref(x.data(), &b, 256);
  EXPECT_EQ(b.d, -1.0f);
  EXPECT_EQ(b.qs[0], -127);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[17], -6);
  EXPECT_EQ(b.bsums[0], -124);
  EXPECT_EQ(b.bsums[1], -6);
  EXPECT_EQ(b.bsums[2], 0);
}

TEST(KnownValues, Q6KDecodesItsBitLayout) {
  Q6KBlock b{};
  b.d = 0x3800;  // 0.5
  for (auto& s : b.scales) s = 2;
  b.scales[2] = -4;        // group of elements 32..47
  // Element 0: low nibble of ql[0] = 5, qh[0] bits 0-1 = 2 -> q = 5 + 32 = 37 -> 37 - 32 = 5.
  // Element 64: high nibble of ql[0] = 1, qh[0] bits 4-5 = 3 -> 49 - 32 = 17.
  // Element 32: low nibble of ql[32] = 0, qh[0] bits 2-3 = 0 -> 0 - 32 = -32.
  b.ql[0] = 0x15;
  b.qh[0] = 0b00'11'00'10;
  // Element 96 + 128 (second half): high nibble of ql[64 + 32], qh[32] bits 6-7.
  b.ql[96] = 0xF0;
  b.qh[32] = 0b11'00'00'00;
  float y[256];
  dequantize_row_q6_K(&b, y, 256);
  EXPECT_EQ(y[0], 0.5f * 2 * 5);
  EXPECT_EQ(y[64], 0.5f * 2 * 17);
  EXPECT_EQ(y[32], 0.5f * -4 * -32);
  EXPECT_EQ(y[224], 0.5f * 2 * 31);  // q = 15 | 3 << 4 = 63 -> 31
  EXPECT_EQ(y[1], 0.5f * 2 * -32);   // untouched codes are 0 -> -32
}

TEST(KnownValues, TQ2_0PacksLowBitsFirstInTwoGroupsOf128) {
  std::vector<float> x(256, 0.0f);
  x[0] = 1.0f;          // group 0, m 0, k 0 -> byte 0 bits 0-1
  x[32 + 3] = -1.0f;    // group 0, m 3, k 1 -> byte 3 bits 2-3
  x[128 + 96 + 31] = 1.0f;  // group 1, m 31, k 3 -> byte 63 bits 6-7
  TQ2_0Block b;
  quantize_row_tq2_0_ref(x.data(), &b, 256);
  EXPECT_EQ(b.d, 0x3C00);
  EXPECT_EQ(b.qs[0], 0b01'01'01'10);
  EXPECT_EQ(b.qs[3], 0b01'01'00'01);
  EXPECT_EQ(b.qs[63], 0b10'01'01'01);
  EXPECT_EQ(b.qs[10], 0b01'01'01'01);
  std::vector<float> y(256);
  dequantize_row_tq2_0(&b, y.data(), 256);
  EXPECT_EQ(y, x);
}

TEST(KnownValues, TQ1_0StoresBase3CeilingScaled) {
  std::vector<float> x(256, 0.0f);
  TQ1_0Block b;
  // All zeros (d = 0, every code 1); five trits 11111_3 = 121 -> ceil(121 * 256 / 243) = 128; four trits
  // 1111_3 = 40, shifted one trit: 120 -> ceil(120 * 256 / 243) = 127.
  quantize_row_tq1_0_ref(x.data(), &b, 256);
  for (int j = 0; j < 48; ++j) EXPECT_EQ(b.qs[j], 128) << j;
  for (int j = 0; j < 4; ++j) EXPECT_EQ(b.qh[j], 127) << j;

  // All +1: 22222_3 = 242 -> 255; four trits 2222_3 = 80, * 3 = 240 -> ceil(240 * 256 / 243) = 253.
  std::fill(x.begin(), x.end(), 2.0f);
  quantize_row_tq1_0_ref(x.data(), &b, 256);
  EXPECT_EQ(b.d, 0x4000);
  for (int j = 0; j < 48; ++j) EXPECT_EQ(b.qs[j], 255) << j;
  for (int j = 0; j < 4; ++j) EXPECT_EQ(b.qh[j], 253) << j;

  // Element order: element 32k + m is trit k of qs[m]; 160 + 16k + m of qs[32 + m]; 240 + 4k + j of qh[j].
  std::fill(x.begin(), x.end(), 0.0f);
  x[2 * 32 + 7] = -1.0f;     // qs[7] trit 2: 11011_3 = 112 -> ceil(112 * 256 / 243) = 118
  x[160 + 16 * 4 + 1] = 1.0f;  // qs[33] trit 4: 11112_3 = 122 -> 129
  x[240 + 4 * 0 + 3] = 1.0f;   // qh[3] trit 0: 2111_3 = 67, * 3 = 201 -> 212
  quantize_row_tq1_0_ref(x.data(), &b, 256);
  EXPECT_EQ(b.qs[7], 118);
  EXPECT_EQ(b.qs[33], 129);
  EXPECT_EQ(b.qh[3], 212);
  std::vector<float> y(256);
  dequantize_row_tq1_0(&b, y.data(), 256);
  EXPECT_EQ(y, x);
}

}  // namespace
}  // namespace trit::quant
