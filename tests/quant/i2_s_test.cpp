// I2_S (bitnet.cpp): the packed layout, the per-tensor trailer, per-token int8 activations and the
// integer dot with its epilogue.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "quant/formats.h"
#include "quant/i2_s.h"
#include "quant/quant_test_util.h"
#include "quant/ternary.h"

namespace trit::quant {
namespace {

TEST(I2S, PackedLayoutMatchesBitnetCpp) {
  // One 128-block: element k at bits 7-6 of byte k, k+32 at 5-4, k+64 at 3-2, k+96 at 1-0.
  std::vector<int8_t> codes(128, 0);  // code 1 everywhere
  codes[0] = 1;                       // +1 -> code 2, byte 0 bits 7-6
  codes[32 + 5] = -1;                 // -1 -> code 0, byte 5 bits 5-4
  codes[64 + 31] = 1;                 // byte 31 bits 3-2
  codes[96 + 2] = -1;                 // byte 2 bits 1-0
  std::vector<uint8_t> packed(static_cast<size_t>(i2_s_tensor_bytes(128)));
  pack_i2_s(codes.data(), 128, 0.75f, packed.data());
  ASSERT_EQ(packed.size(), 32u + 32u);
  EXPECT_EQ(packed[0], 0b10'01'01'01);
  EXPECT_EQ(packed[5], 0b01'00'01'01);
  EXPECT_EQ(packed[31], 0b01'01'10'01);
  EXPECT_EQ(packed[2], 0b01'01'01'00);
  EXPECT_EQ(packed[7], 0b01'01'01'01);
  EXPECT_EQ(i2_s_scale(packed.data(), 128), 0.75f);
  for (size_t i = 32 + 4; i < packed.size(); ++i) EXPECT_EQ(packed[i], 0) << "trailer padding byte " << i;

  std::vector<int8_t> back(128);
  unpack_i2_s(packed.data(), 128, back.data());
  EXPECT_EQ(back, codes);
}

TEST(I2S, QuantizeMatchesBitnetCppOnTernaryWeights) {
  // bitnet.cpp's converter hands quantize_i2_s weights in {-a, 0, a}: scale = max|x| = a, codes by sign.
  const int64_t rows = 3, cols = 256, n = rows * cols;
  const auto x = test::random_row(test::Dist::kTernary, n, 9);  // 0, +-0.37
  std::vector<uint8_t> data(static_cast<size_t>(*quantized_tensor_bytes(TensorType::I2_S, rows, cols)));
  ASSERT_EQ(int64_t(data.size()), n / 4 + 32);
  ASSERT_TRUE(quantize_tensor(TensorType::I2_S, x.data(), rows, cols, data.data()).ok());
  EXPECT_EQ(i2_s_scale(data.data(), n), 0.37f);
  std::vector<float> y(static_cast<size_t>(n));
  ASSERT_TRUE(dequantize_tensor(TensorType::I2_S, data.data(), rows, cols, y.data()).ok());
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[size_t(i)], x[size_t(i)]) << i;
}

TEST(I2S, QuantizeThresholdsNearZeroAndKeepsSignOtherwise) {
  std::vector<float> x(128, 0.0f);
  x[0] = 5e-7f;    // below bitnet.cpp's 1e-6 threshold: code for 0
  x[1] = -2e-6f;   // above: -1
  x[2] = 0.001f;   // +1, however small against the max
  x[3] = -4.0f;    // the max magnitude: scale 4
  std::vector<uint8_t> data(static_cast<size_t>(i2_s_tensor_bytes(128)));
  quantize_i2_s(x.data(), 128, data.data());
  std::vector<int8_t> codes(128);
  unpack_i2_s(data.data(), 128, codes.data());
  EXPECT_EQ(codes[0], 0);
  EXPECT_EQ(codes[1], -1);
  EXPECT_EQ(codes[2], 1);
  EXPECT_EQ(codes[3], -1);
  EXPECT_EQ(i2_s_scale(data.data(), 128), 4.0f);
}

TEST(I2S, AllZeroTensor) {
  const std::vector<float> x(256, 0.0f);
  std::vector<uint8_t> data(static_cast<size_t>(i2_s_tensor_bytes(256)));
  quantize_i2_s(x.data(), 256, data.data());
  for (int64_t i = 0; i < 64; ++i) EXPECT_EQ(data[size_t(i)], 0b01010101);  // every code "0"
  EXPECT_EQ(i2_s_scale(data.data(), 256), 0.0f);
  std::vector<float> y(256, 1.0f);
  dequantize_i2_s(data.data(), 256, y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

TEST(I2S, AbsmeanQuantizeUsesTernarizeCodesAndMeanScale) {
  const auto x = test::random_row(test::Dist::kNormal, 384, 4);
  std::vector<uint8_t> data(static_cast<size_t>(i2_s_tensor_bytes(384)));
  quantize_i2_s_absmean(x.data(), 384, data.data());
  const float scale = absmean_scale(x.data(), 384);
  std::vector<int8_t> expected(384), got(384);
  ternarize(x.data(), scale, expected.data(), 384);
  unpack_i2_s(data.data(), 384, got.data());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(i2_s_scale(data.data(), 384), scale);
}

TEST(I2S, ActivationsArePerTokenInt8WithTiesToEven) {
  // max|x| = 127 makes s = 1 exactly, so x * s lands on the ties as written.
  std::vector<float> x = {127.0f, 2.5f, -2.5f, 3.5f, 0.5f, -0.5f, -127.0f, 1.49f};
  const I8Activations a = quantize_activations_i8(x.data(), int64_t(x.size()));
  EXPECT_EQ(a.scale, 1.0f);
  EXPECT_EQ(a.q, (std::vector<int8_t>{127, 2, -2, 4, 0, 0, -127, 1}));
  EXPECT_EQ(a.sum, 127 + 2 - 2 + 4 + 0 + 0 - 127 + 1);
}

TEST(I2S, ActivationsOfAZeroRowUseTheMinimumMax) {
  const std::vector<float> x(64, 0.0f);
  const I8Activations a = quantize_activations_i8(x.data(), 64);
  EXPECT_EQ(a.scale, float(127.0 / kI8ActMinMax));
  EXPECT_EQ(a.sum, 0);
  for (int8_t q : a.q) EXPECT_EQ(q, 0);
}

TEST(I2S, ActivationScaleComesFromDoubleMax) {
  const auto x = test::random_row(test::Dist::kHeavyTail, 1000, 2);
  double max = 0;
  for (float v : x) max = std::max(max, std::fabs(double(v)));
  const I8Activations a = quantize_activations_i8(x.data(), 1000);
  EXPECT_EQ(a.scale, float(127.0 / max));
  int32_t sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(a.q[i], int8_t(std::nearbyint(x[i] * a.scale))) << i;
    sum += a.q[i];
  }
  EXPECT_EQ(a.sum, sum);
}

TEST(I2S, DotIsTheExactIntegerSumAndTheEpilogueUndoesTheBias) {
  const int64_t n = 512;
  std::mt19937 rng(5);
  std::vector<int8_t> codes(static_cast<size_t>(n));
  for (auto& c : codes) c = int8_t(int(rng() % 3) - 1);
  std::vector<uint8_t> data(static_cast<size_t>(i2_s_tensor_bytes(n)));
  pack_i2_s(codes.data(), n, 0.5f, data.data());
  const auto x = test::random_row(test::Dist::kNormal, n, 6);
  const I8Activations a = quantize_activations_i8(x.data(), n);

  int64_t raw = 0, ternary = 0;
  for (int64_t i = 0; i < n; ++i) {
    raw += int64_t(codes[size_t(i)] + 1) * a.q[size_t(i)];
    ternary += int64_t(codes[size_t(i)]) * a.q[size_t(i)];
  }
  EXPECT_EQ(vec_dot_i2_s_i8_raw(n, data.data(), a.q.data()), raw);
  EXPECT_EQ(raw - a.sum, ternary);
  const float y = vec_dot_i2_s_i8(n, data.data(), 0.5f, a);
  EXPECT_EQ(y, (float(raw) - float(a.sum)) / a.scale * 0.5f);
  // And it approximates the float dot of the dequantized weights with the activations.
  double ref = 0, mag = 0;
  for (int64_t i = 0; i < n; ++i) {
    ref += 0.5 * codes[size_t(i)] * x[size_t(i)];
    mag += std::fabs(0.5 * x[size_t(i)]);
  }
  // int8 activations: each element off by at most half a step (0.5 / s).
  EXPECT_NEAR(y, ref, 0.5 / a.scale * 0.5 * double(n) + 1e-6 * mag);
}

// bitnet.cpp's AVX2 kernel step by step, as it adds: per block, lane += (g0 + g1); lane += (g2 + g3)
// in int16 with wrap-around, widened every 32 blocks. An independent spelling of the same order.
int32_t avx2_i16_model(int64_t n, const uint8_t* row, const int8_t* q) {
  const int64_t nb = n / kQK_I2_S;
  int32_t total = 0;
  for (int64_t b0 = 0; b0 < nb; b0 += 32) {
    int16_t acc[16] = {};
    for (int64_t b = b0; b < std::min<int64_t>(nb, b0 + 32); ++b) {
      int16_t g[4][16];
      for (int grp = 0; grp < 4; ++grp) {
        for (int l = 0; l < 16; ++l) {
          int v = 0;
          for (int t = 0; t < 2; ++t) {
            const int k = 2 * l + t;
            v += ((row[b * 32 + k] >> (6 - 2 * grp)) & 3) * q[b * 128 + grp * 32 + k];
          }
          g[grp][l] = int16_t(v);  // maddubs: |v| <= 512, no saturation
        }
      }
      for (int l = 0; l < 16; ++l) {
        acc[l] = int16_t(uint16_t(acc[l] + int16_t(uint16_t(g[0][l] + g[1][l]))));
        acc[l] = int16_t(uint16_t(acc[l] + int16_t(uint16_t(g[2][l] + g[3][l]))));
      }
    }
    for (int l = 0; l < 16; ++l) total += acc[l];
  }
  return total;
}

TEST(I2S, Int16LaneDotEqualsExactDotOnOrdinaryActivations) {
  const int64_t n = 4096 * 2 + 128 * 3;  // two full 32-block windows and a ragged one
  std::mt19937 rng(11);
  std::vector<int8_t> codes(static_cast<size_t>(n));
  for (auto& c : codes) c = int8_t(int(rng() % 3) - 1);
  std::vector<uint8_t> data(static_cast<size_t>(i2_s_tensor_bytes(n)));
  pack_i2_s(codes.data(), n, 1.0f, data.data());
  const auto x = test::random_row(test::Dist::kNormal, n, 12);
  const I8Activations a = quantize_activations_i8(x.data(), n);
  EXPECT_EQ(vec_dot_i2_s_i8_raw_i16(n, data.data(), a.q.data()), vec_dot_i2_s_i8_raw(n, data.data(), a.q.data()));
  EXPECT_EQ(vec_dot_i2_s_i8_raw_i16(n, data.data(), a.q.data()), avx2_i16_model(n, data.data(), a.q.data()));
}

TEST(I2S, Int16LaneDotWrapsLikeBitnetCppOnAConstantRow) {
  // All weights +1 (code 2), all activations 127: each lane sums 256 products of 254 = 65024,
  // which wraps to -512 in int16; bitnet.cpp returns 16 * -512 per 4096 elements.
  const int64_t n = 4096;
  std::vector<int8_t> codes(static_cast<size_t>(n), 1);
  std::vector<uint8_t> data(static_cast<size_t>(i2_s_tensor_bytes(n)));
  pack_i2_s(codes.data(), n, 1.0f, data.data());
  std::vector<float> x(static_cast<size_t>(n), 1.0f);
  const I8Activations a = quantize_activations_i8(x.data(), n);
  ASSERT_EQ(a.q[0], 127);
  EXPECT_EQ(vec_dot_i2_s_i8_raw(n, data.data(), a.q.data()), 4096 * 254);
  EXPECT_EQ(vec_dot_i2_s_i8_raw_i16(n, data.data(), a.q.data()), -8192);
  EXPECT_EQ(avx2_i16_model(n, data.data(), a.q.data()), -8192);
  // Random codes with large same-sign activations: the two spellings still agree.
  std::mt19937 rng(13);
  for (auto& c : codes) c = int8_t(int(rng() % 3) - 1);
  pack_i2_s(codes.data(), n, 1.0f, data.data());
  std::vector<int8_t> q(static_cast<size_t>(n));
  for (auto& v : q) v = int8_t(100 + int(rng() % 28));
  EXPECT_EQ(vec_dot_i2_s_i8_raw_i16(n, data.data(), q.data()), avx2_i16_model(n, data.data(), q.data()));
}

}  // namespace
}  // namespace trit::quant
