// kernels/ggml_order: the scalar spellings of ggml's SIMD loops. Bit-exactness against a real
// reference is checked by the Lane A tests (tests/convert/lane_a_test.cpp, with bitnet.cpp); here,
// that each is the function it claims to be, in the order it claims.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/ggml_order.h"

namespace trit {
namespace {

TEST(GgmlOrder, ExpfIsWithinTwoUlpOfExpf) {
  // ggml_v_expf's documented accuracy is 1.5 ulp over the range softmax uses.
  for (float x = -87.0f; x <= 0.0f; x += 0.01f) {
    const float want = std::exp(x), got = ggml_expf(x);
    EXPECT_LE(std::fabs(got - want), 2.0f * (std::nextafter(want, INFINITY) - want)) << x;
  }
  EXPECT_EQ(ggml_expf(0.0f), 1.0f);
  EXPECT_EQ(ggml_expf(-INFINITY), 0.0f);
}

TEST(GgmlOrder, SoftmaxSumIsTheLaneTreeInFloatThenDouble) {
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  std::vector<float> x(37), y(37);
  for (auto& v : x) v = nd(rng);
  float mx = -INFINITY;
  for (float v : x) mx = std::max(mx, v);
  for (int lanes : {8, 16}) {
    const double sum = softmax_exp_ggml(x.data(), mx, y.data(), 37, lanes);
    double want = 0;
    for (int i0 = 0; i0 < 37; i0 += lanes) {
      float v[16] = {};
      for (int k = 0; k < lanes && i0 + k < 37; ++k) v[k] = ggml_expf(x[size_t(i0 + k)] - mx);
      for (int h = lanes / 2; h >= 1; h /= 2)
        for (int k = 0; k < h; ++k) v[k] += v[k + h];
      want += double(v[0]);
    }
    EXPECT_EQ(sum, want) << lanes;
    for (int i = 0; i < 37; ++i) EXPECT_EQ(y[size_t(i)], ggml_expf(x[size_t(i)] - mx));
  }
  // One lane: plain expf, as ggml's scalar fallback.
  const double s1 = softmax_exp_ggml(x.data(), mx, y.data(), 37, 1);
  double want1 = 0;
  for (float v : x) want1 += double(std::exp(v - mx));
  EXPECT_EQ(s1, want1);
}

TEST(GgmlOrder, SiluUsesTheVectorExpOnWholeVectorsOnly) {
  std::vector<float> x(21);
  for (size_t i = 0; i < x.size(); ++i) x[i] = -3.0f + 0.3f * float(i);
  std::vector<float> y = x;
  silu_ggml(y.data(), 21, 16);
  for (size_t i = 0; i < 16; ++i) EXPECT_EQ(y[i], x[i] / (1.0f + ggml_expf(0.0f - x[i]))) << i;
  for (size_t i = 16; i < 21; ++i) EXPECT_EQ(y[i], x[i] / (1.0f + std::exp(-x[i]))) << i;
}

// silu_expf runs 8 at a time on AVX2 CPUs: the same bits as the scalar form for every input,
// including the ones its fast path hands back to the scalar code (|n| > 126: x beyond about
// +-87, infinities, NaN) and vectors that mix the two.
TEST(GgmlOrder, SiluExpfEqualsTheScalarFormBitForBit) {
  std::vector<float> x;
  for (float v = -120.0f; v <= 120.0f; v += 0.037f) x.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 87.5f, -87.5f, 89.0f, -104.0f, INFINITY, -INFINITY, NAN}) x.push_back(v);
  std::vector<float> y = x;
  silu_expf(y.data(), int64_t(y.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const float want = x[i] / (1.0f + ggml_expf(0.0f - x[i]));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(y[i])) << x[i];
      continue;
    }
    EXPECT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(want)) << "x = " << x[i];
  }
}

TEST(GgmlOrder, DotsAgreeWithDoublePrecision) {
  std::mt19937 rng(2);
  std::normal_distribution<float> nd;
  const int n = 160;  // two AVX-512 steps of 64 and a remainder of 32
  std::vector<fp16_t> a(n), b(n);
  std::vector<float> p(n);
  for (int i = 0; i < n; ++i) a[size_t(i)] = fp32_to_fp16(nd(rng)), b[size_t(i)] = fp32_to_fp16(nd(rng)),
                              p[size_t(i)] = std::fabs(nd(rng));
  double ab = 0, pa = 0, mag = 0;
  for (int i = 0; i < n; ++i) {
    ab += double(fp16_to_fp32(a[size_t(i)])) * fp16_to_fp32(b[size_t(i)]);
    pa += double(p[size_t(i)]) * fp16_to_fp32(a[size_t(i)]);
    mag += std::fabs(double(fp16_to_fp32(a[size_t(i)])) * fp16_to_fp32(b[size_t(i)]));
  }
  for (int lanes : {8, 16}) {
    EXPECT_NEAR(dot_f16_ggml(a.data(), b.data(), n, lanes), ab, 1e-6 * mag) << lanes;
    float out = 0;
    pv_tinyblas(p.data(), a.data(), 1, n, 1, lanes, &out);
    EXPECT_NEAR(out, pa, 1e-5 * std::fabs(pa)) << lanes;
  }
  // The AVX-512 reduction: four accumulators of 16 combined (0+2, 1+3, then 0+1), then halving.
  std::vector<fp16_t> ones(64, fp32_to_fp16(1.0f));
  EXPECT_EQ(dot_f16_ggml(ones.data(), ones.data(), 64, 16), 64.0f);
}

}  // namespace
}  // namespace trit
