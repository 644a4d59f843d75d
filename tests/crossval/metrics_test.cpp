// Metrics on hand-made logits whose answers can be worked out on paper.
#include "crossval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace trit::crossval {
namespace {

// Double-precision metrics on float inputs: agreement with the closed forms to 1e-12.
constexpr double kExact = 1e-12;
// Near-tie margin used in these tests (the strict profile's).
constexpr double kTie = 1e-2;

TEST(Metrics, LogSoftmaxIsStableForHugeLogits) {
  const std::vector<float> x = {1000.0f, 1000.0f};
  const std::vector<double> l = log_softmax(x);
  EXPECT_NEAR(l[0], -std::log(2.0), kExact);
  EXPECT_NEAR(l[1], -std::log(2.0), kExact);
}

TEST(Metrics, IdenticalRowsAreAPerfectMatch) {
  const std::vector<float> a = {0.5f, -1.0f, 3.0f, 2.0f};
  const PositionMetrics m = compare_position(a, a, 0, 7, 2, 2, kTie);
  EXPECT_DOUBLE_EQ(m.cos, 1.0);
  EXPECT_EQ(m.l2, 0.0);
  EXPECT_EQ(m.max_abs, 0.0);
  EXPECT_EQ(m.kl, 0.0);
  EXPECT_TRUE(m.top1_match);
  EXPECT_EQ(m.top1_ours, 2);
  EXPECT_DOUBLE_EQ(m.topk_overlap, 1.0);
  EXPECT_TRUE(m.has_next);
  EXPECT_NEAR(m.nll_ours, m.nll_ref, kExact);
}

TEST(Metrics, CosineL2MaxAbsByHand) {
  const std::vector<float> a = {1, 0, 0}, b = {0, 1, 0}, c = {2, 0, 0};
  EXPECT_NEAR(cosine(a, b), 0.0, kExact);
  EXPECT_NEAR(cosine(a, c), 1.0, kExact);  // scale does not change cosine
  EXPECT_NEAR(l2_distance(a, b), std::sqrt(2.0), kExact);
  EXPECT_NEAR(max_abs_diff(a, c), 1.0, kExact);
  const std::vector<float> z = {0, 0, 0};
  EXPECT_EQ(cosine(z, z), 1.0);
  EXPECT_EQ(cosine(a, z), 0.0);
}

TEST(Metrics, KlMatchesClosedFormForTwoOutcomes) {
  // P_ref = softmax(0, 0) = (1/2, 1/2); P_ours = softmax(log 3, 0) = (3/4, 1/4).
  const std::vector<float> ref = {0.0f, 0.0f}, ours = {static_cast<float>(std::log(3.0)), 0.0f};
  const double expected = 0.5 * std::log(0.5 / 0.75) + 0.5 * std::log(0.5 / 0.25);
  EXPECT_NEAR(kl_divergence(ref, ours), expected, 1e-7);  // log(3) rounded to float
  EXPECT_GT(kl_divergence(ref, ours), 0.0);
}

TEST(Metrics, KlIsInvariantToAShiftOfAllLogits) {
  const std::vector<float> a = {1, 2, 3, 4}, b = {101, 102, 103, 104};
  EXPECT_NEAR(kl_divergence(a, b), 0.0, 1e-9);
}

TEST(Metrics, TopKBreaksTiesTowardTheLowestId) {
  const std::vector<float> x = {1, 5, 5, 3, 5};
  EXPECT_EQ(top_k(x, 3), (std::vector<int32_t>{1, 2, 4}));
  EXPECT_EQ(arg_max(x), 1);
  const std::vector<float> y = {5, 1, 1, 4, 3};  // top-3 {0,3,4} vs x's {1,2,4}: one shared
  EXPECT_NEAR(topk_overlap(x, y, 3), 1.0 / 3.0, kExact);
}

TEST(Metrics, NearTieNeedsBothEnginesWithinTheMargin) {
  // Arg-max flips between ids 0 and 1, which are 0.005 apart in both engines.
  const std::vector<float> ref = {1.000f, 0.995f, -3.0f}, ours = {0.995f, 1.000f, -3.0f};
  PositionMetrics m = compare_position(ours, ref, 0, 0, -1, 2, kTie);
  EXPECT_FALSE(m.top1_match);
  EXPECT_TRUE(m.top1_tie);
  // A real flip: the reference ranks them 2.0 apart.
  const std::vector<float> ref2 = {3.0f, 1.0f, -3.0f}, ours2 = {3.0f, 3.5f, -3.0f};
  m = compare_position(ours2, ref2, 0, 0, -1, 2, kTie);
  EXPECT_FALSE(m.top1_match);
  EXPECT_FALSE(m.top1_tie);
}

TEST(Metrics, NonFiniteLogitsAreFlagged) {
  const std::vector<float> ref = {1, 2, 3}, ours = {1, NAN, 3};
  const PositionMetrics m = compare_position(ours, ref, 0, 0, 1, 2, kTie);
  EXPECT_FALSE(m.finite);
  EXPECT_TRUE(std::isnan(m.cos));
}

TEST(Metrics, NllIsMinusLogProbabilityOfTheNextToken) {
  const std::vector<float> x = {0.0f, 0.0f, 0.0f, 0.0f};
  const PositionMetrics m = compare_position(x, x, 0, 0, 3, 2, kTie);
  EXPECT_NEAR(m.nll_ours, std::log(4.0), kExact);
}

}  // namespace
}  // namespace trit::crossval
