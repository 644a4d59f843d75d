// kernels/rowops.h against its plain-loop definitions (whichever variant this CPU dispatches to).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/rowops.h"

namespace trit {
namespace {

TEST(RowOps, Relu2GateEqualsThePlainLoopBitForBit) {
  for (int64_t n : {1, 7, 8, 9, 64, 133}) {
    auto g = test::random_floats(n, uint32_t(n), 4.0f);
    const auto u = test::random_floats(n, uint32_t(n + 1), 4.0f);
    // The edge cases of `g > 0 ? g : 0`: NaN, both zeros and infinities.
    const float specials[] = {std::numeric_limits<float>::quiet_NaN(), -0.0f, 0.0f,
                              std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
    for (int64_t i = 0; i < n && i < 5; ++i) g[size_t(i * 7 % n)] = specials[i];
    std::vector<float> want(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const float r = g[size_t(i)] > 0.0f ? g[size_t(i)] : 0.0f;
      want[size_t(i)] = r * r * u[size_t(i)];
    }
    relu2_gate(g.data(), u.data(), n);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(g[size_t(i)]), std::bit_cast<uint32_t>(want[size_t(i)])) << n << " " << i;
  }
}

// The documented order: 16 partial sums (element i into i % 16), then the fixed tree, then the tail.
double sum_squares_spec(const std::vector<float>& x) {
  const int64_t n = int64_t(x.size());
  double s[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) s[k] += double(x[size_t(i + k)] * x[size_t(i + k)]);
  double r[4];
  for (int k = 0; k < 4; ++k) r[k] = (s[k] + s[k + 4]) + (s[k + 8] + s[k + 12]);
  double sum = (r[0] + r[2]) + (r[1] + r[3]);
  for (; i < n; ++i) sum += double(x[size_t(i)] * x[size_t(i)]);
  return sum;
}

TEST(RowOps, SumSquaresFollowsItsOrderAndStaysNearTheSequentialSum) {
  for (int64_t n : {1, 15, 16, 17, 100, 2560, 6913}) {
    // Values over many binades, so that the order of the double adds can show.
    auto x = test::random_floats(n, uint32_t(n), 1.0f);
    for (int64_t i = 0; i < n; i += 3) x[size_t(i)] *= 1e5f;
    const double got = sum_squares_f64(x.data(), n);
    EXPECT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(sum_squares_spec(x))) << n;
    double sequential = 0.0;
    for (float v : x) sequential += double(v * v);
    EXPECT_NEAR(got, sequential, 1e-12 * sequential) << n;
  }
}

}  // namespace
}  // namespace trit
