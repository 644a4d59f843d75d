// The attention fp16 helpers against plain loops.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/fp16.h"
#include "kernel_test_util.h"
#include "kernels/attention.h"

namespace trit {
namespace {

// dot_f16_f16 sums 32 float lanes instead of sequentially: for n <= 256 the difference is below
// 256 * 2^-24 * sum|terms|; 2e-5 relative to sum|terms| bounds it with margin.
constexpr double kDotRelTol = 2e-5;

TEST(AttentionKernels, DotF16) {
  for (int64_t n : {1, 7, 64, 128, 131}) {
    const auto a = test::random_floats(n, uint32_t(n)), b = test::random_floats(n, uint32_t(n + 1));
    std::vector<fp16_t> ha(static_cast<size_t>(n)), hb(static_cast<size_t>(n));
    double want = 0.0, mag = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      ha[size_t(i)] = fp32_to_fp16(a[size_t(i)]);
      hb[size_t(i)] = fp32_to_fp16(b[size_t(i)]);
      const double p = double(fp16_to_fp32(ha[size_t(i)])) * fp16_to_fp32(hb[size_t(i)]);
      want += p;
      mag += std::fabs(p);
    }
    EXPECT_NEAR(dot_f16_f16(ha.data(), hb.data(), n), want, kDotRelTol * mag + 1e-30) << n;
  }
}

TEST(AttentionKernels, AxpyF16ExactlyAsScalar) {
  for (int64_t n : {5, 64, 133}) {
    const auto v = test::random_floats(n, 3);
    std::vector<fp16_t> hv(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) hv[size_t(i)] = fp32_to_fp16(v[size_t(i)]);
    auto out = test::random_floats(n, 4), want = out;
    const float p = 0.3125f + 1e-3f;
    for (int64_t i = 0; i < n; ++i) want[size_t(i)] += p * fp16_to_fp32(hv[size_t(i)]);
    axpy_f16(p, hv.data(), out.data(), n);
    EXPECT_EQ(out, want);
  }
}

std::vector<fp16_t> random_f16(int64_t n, uint32_t seed) {
  const auto f = test::random_floats(n, seed);
  std::vector<fp16_t> h(size_t(n), 0);
  for (int64_t i = 0; i < n; ++i) h[size_t(i)] = fp32_to_fp16(f[size_t(i)]);
  return h;
}

// One query against a cache of n_kv rows (stride wider than the head, as with GQA): the same bits
// as the per-key calls, for head sizes with and without 32- and 8-element tails and odd key counts.
TEST(AttentionKernels, ScoresAndPvEqualPerKeyCalls) {
  for (int64_t n : {7, 64, 80, 100, 128}) {
    for (int64_t n_kv : {1, 2, 3, 17}) {
      const int64_t stride = n * 3;
      const auto q = random_f16(n, uint32_t(n)), k = random_f16(n_kv * stride, uint32_t(n + n_kv)),
                 v = random_f16(n_kv * stride, uint32_t(2 * n + n_kv)), p = random_f16(n_kv, uint32_t(n_kv));
      const float scale = 0.0883883f;
      std::vector<float> scores(size_t(n_kv), NAN), out(size_t(n), NAN), want_out(size_t(n), 0.0f);
      qk_scores_f16(q.data(), k.data(), stride, n_kv, n, scale, scores.data());
      pv_f16(p.data(), v.data(), stride, n_kv, n, out.data());
      for (int64_t j = 0; j < n_kv; ++j) {
        EXPECT_EQ(scores[size_t(j)], dot_f16_f16(q.data(), k.data() + j * stride, n) * scale) << n << " " << j;
        axpy_f16(fp16_to_fp32(p[size_t(j)]), v.data() + j * stride, want_out.data(), n);
      }
      EXPECT_EQ(out, want_out) << "n=" << n << " n_kv=" << n_kv;
    }
  }
}

}  // namespace
}  // namespace trit
