// Each format's dot against its activation format equals the sum of the dequantized products:
// exactly where the scales make every step exact, within a stated float tolerance otherwise.
// (libggml-base exports no scalar vec_dot to compare with; the CPU backend's are SIMD.)
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "quant/formats.h"
#include "quant/q4_0.h"
#include "quant/q6_k.h"
#include "quant/q8_0.h"
#include "quant/q8_k.h"
#include "quant/quant_test_util.h"
#include "quant/tq1_0.h"
#include "quant/tq2_0.h"

namespace trit::quant {
namespace {

using test::Dist;

// Float accumulation: each block adds a few roundings (2^-24 each) and the running sum one per
// block; with up to 64 blocks the error stays below (64 + 4) * 2^-24 ~= 4.1e-6 of sum|x_i * y_i|.
constexpr double kDotRelTol = 1e-5;

struct Rows {
  std::vector<uint8_t> x, y;            // quantized weights and activations
  std::vector<float> xd, yd;            // their dequantized values
};

Rows make_rows(const FormatTraits& f, Dist dist, int64_t n, uint32_t seed) {
  const FormatTraits& act = *format_traits(f.vec_dot_type);
  Rows r;
  r.x.resize(static_cast<size_t>(n / f.block_size * f.type_size));
  r.y.resize(static_cast<size_t>(n / act.block_size * act.type_size));
  r.xd.resize(static_cast<size_t>(n));
  r.yd.resize(static_cast<size_t>(n));
  f.quantize_row(test::random_row(dist, n, seed).data(), r.x.data(), n);
  act.quantize_row(test::random_row(Dist::kNormal, n, seed + 100).data(), r.y.data(), n);
  f.dequantize_row(r.x.data(), r.xd.data(), n);
  act.dequantize_row(r.y.data(), r.yd.data(), n);
  return r;
}

class VecDot : public ::testing::TestWithParam<TensorType> {};

TEST_P(VecDot, MatchesSumOfDequantizedProducts) {
  const FormatTraits& f = *format_traits(GetParam());
  const int64_t unit = std::max<int64_t>(format_traits(f.vec_dot_type)->block_size, f.block_size == 1 ? 32 : f.block_size);
  for (Dist dist : {Dist::kNormal, Dist::kUniform, Dist::kOutliers, Dist::kTernary, Dist::kZeros}) {
    for (int64_t blocks : {int64_t(1), int64_t(7), int64_t(64)}) {
      const int64_t n = blocks * unit;
      const Rows r = make_rows(f, dist, n, 11);
      double exact = 0, magnitude = 0;
      for (int64_t i = 0; i < n; ++i) {
        exact += double(r.xd[size_t(i)]) * double(r.yd[size_t(i)]);
        magnitude += std::fabs(double(r.xd[size_t(i)]) * double(r.yd[size_t(i)]));
      }
      const double got = f.vec_dot(n, r.x.data(), r.y.data());
      EXPECT_NEAR(got, exact, kDotRelTol * magnitude + 1e-30)
          << f.name << " " << test::dist_name(dist) << " n=" << n;
      if (dist == Dist::kZeros) {
        EXPECT_EQ(got, 0.0) << f.name;
      }
    }
  }
}

std::vector<TensorType> types_with_dot() {
  std::vector<TensorType> v;
  for (const auto& f : formats())
    if (f.vec_dot != nullptr) v.push_back(f.type);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Formats, VecDot, ::testing::ValuesIn(types_with_dot()),
                         [](const auto& p) { return std::string(format_traits(p.param)->name); });

// With every scale 1 (or a power of two) and integer codes, every float step is exact, so the dot
// must equal the integer sum of code products exactly: this checks the integer path itself.
constexpr fp16_t kHalfOne = 0x3C00;

TEST(VecDotExact, Q8_0TimesQ8_0IsTheIntegerSum) {
  std::mt19937 rng(1);
  std::vector<Q8_0Block> x(5), y(5);
  int64_t expected = 0;
  for (size_t b = 0; b < x.size(); ++b) {
    x[b].d = kHalfOne;
    y[b].d = 0x4000;  // 2.0
    for (int j = 0; j < 32; ++j) {
      x[b].qs[j] = int8_t(int(rng() % 255) - 127);
      y[b].qs[j] = int8_t(int(rng() % 256) - 128);
      expected += int64_t(x[b].qs[j]) * y[b].qs[j] * 2;
    }
  }
  EXPECT_EQ(vec_dot_q8_0_q8_0(5 * 32, x.data(), y.data()), float(expected));
}

TEST(VecDotExact, Q4_0TimesQ8_0IsTheIntegerSum) {
  std::mt19937 rng(2);
  std::vector<Q4_0Block> x(3);
  std::vector<Q8_0Block> y(3);
  int64_t expected = 0;
  for (size_t b = 0; b < x.size(); ++b) {
    x[b].d = kHalfOne;
    y[b].d = kHalfOne;
    for (int j = 0; j < 32; ++j) y[b].qs[j] = int8_t(int(rng() % 256) - 128);
    for (int j = 0; j < 16; ++j) {
      x[b].qs[j] = uint8_t(rng());
      expected += int64_t((x[b].qs[j] & 15) - 8) * y[b].qs[j] + int64_t((x[b].qs[j] >> 4) - 8) * y[b].qs[j + 16];
    }
  }
  EXPECT_EQ(vec_dot_q4_0_q8_0(3 * 32, x.data(), y.data()), float(expected));
}

Q8KBlock random_q8k(std::mt19937& rng, float d) {
  Q8KBlock y{};
  y.d = d;
  for (auto& q : y.qs) q = int8_t(int(rng() % 255) - 127);
  return y;
}

TEST(VecDotExact, TernaryAndQ6KTimesQ8KAreTheIntegerSums) {
  std::mt19937 rng(3);
  const int64_t nb = 4, n = nb * kQK_K;
  std::vector<Q8KBlock> y;
  for (int64_t b = 0; b < nb; ++b) y.push_back(random_q8k(rng, 0.5f));

  std::vector<TQ2_0Block> t2(nb);
  std::vector<TQ1_0Block> t1(nb);
  std::vector<Q6KBlock> q6(nb);
  for (int64_t b = 0; b < nb; ++b) {
    for (auto& v : t2[size_t(b)].qs) v = uint8_t(rng() % 256) & 0xAA;  // codes 0 and 2 only: -1 / +1
    t2[size_t(b)].d = kHalfOne;
    for (auto& v : t1[size_t(b)].qs) v = uint8_t(rng());
    for (auto& v : t1[size_t(b)].qh) v = uint8_t(rng());
    t1[size_t(b)].d = kHalfOne;
    for (auto& v : q6[size_t(b)].ql) v = uint8_t(rng());
    for (auto& v : q6[size_t(b)].qh) v = uint8_t(rng());
    for (auto& v : q6[size_t(b)].scales) v = int8_t(int(rng() % 31) - 15);  // keeps sums < 2^24
    q6[size_t(b)].d = kHalfOne;
  }
  int64_t e2 = 0, e1 = 0, e6 = 0;
  for (int64_t b = 0; b < nb; ++b) {
    int8_t c2[kQK_K], c1[kQK_K], c6[kQK_K];
    unpack_tq2_0(t2[size_t(b)], c2);
    unpack_tq1_0(t1[size_t(b)], c1);
    unpack_q6_K(q6[size_t(b)], c6);
    for (int i = 0; i < kQK_K; ++i) {
      const int64_t a = y[size_t(b)].qs[i];
      e2 += c2[i] * a;
      e1 += c1[i] * a;
      e6 += int64_t(q6[size_t(b)].scales[i / 16]) * c6[i] * a;
    }
  }
  EXPECT_EQ(vec_dot_tq2_0_q8_K(n, t2.data(), y.data()), float(e2) * 0.5f);
  EXPECT_EQ(vec_dot_tq1_0_q8_K(n, t1.data(), y.data()), float(e1) * 0.5f);
  // Q6_K sums 8 float lanes; with power-of-two scales and |lane| < 2^24 every step is still exact.
  EXPECT_EQ(vec_dot_q6_K_q8_K(n, q6.data(), y.data()), float(e6) * 0.5f);
}

TEST(VecDotExact, FloatDotsSumFloatProductsInDouble) {
  // 1 + 2^-30 is lost in float but kept by the double accumulator: matches ggml's ggml_float sum.
  const float x[3] = {1.0f, 0x1p-15f, -1.0f};
  const float y[3] = {1.0f, 0x1p-15f, 1.0f};
  EXPECT_EQ(format_traits(TensorType::F32)->vec_dot(3, x, y), 0x1p-30f);
  fp16_t hx[3], hy[3];
  bf16_t bx[3], by[3];
  for (int i = 0; i < 3; ++i) {
    hx[i] = fp32_to_fp16(x[i]);
    hy[i] = fp32_to_fp16(y[i]);
    bx[i] = fp32_to_bf16(x[i]);
    by[i] = fp32_to_bf16(y[i]);
  }
  EXPECT_EQ(format_traits(TensorType::F16)->vec_dot(3, hx, hy), 0x1p-30f);
  EXPECT_EQ(format_traits(TensorType::BF16)->vec_dot(3, bx, by), 0x1p-30f);
}

}  // namespace
}  // namespace trit::quant
