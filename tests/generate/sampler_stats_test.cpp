// Statistical sanity: with a fixed seed, draw frequencies match the softmax (and the truncated,
// tempered softmax). Fixed seeds make these deterministic; the bounds are wide enough that any
// correct sampler passes for almost every seed, so a failure means a real bias.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "generate/sampler.h"

namespace trit {
namespace {

constexpr int kDraws = 100000;
// A binomial frequency lies within 5 standard deviations of p with probability 1 - 6e-7.
constexpr double kSigmas = 5.0;

std::vector<double> softmax(const std::vector<float>& logits, float temperature) {
  double max_l = -INFINITY, sum = 0;
  for (float l : logits) max_l = std::max(max_l, double(l) / temperature);
  std::vector<double> p;
  for (float l : logits) p.push_back(std::exp(double(l) / temperature - max_l));
  for (double v : p) sum += v;
  for (double& v : p) v /= sum;
  return p;
}

void expect_frequencies(const SamplerParams& params, const std::vector<float>& logits,
                        const std::vector<double>& expected) {
  auto sampler = Sampler::create(params);
  ASSERT_TRUE(sampler.ok());
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < kDraws; ++i) {
    const int32_t id = sampler->sample(logits);
    ASSERT_GE(id, 0);
    ASSERT_LT(size_t(id), logits.size());
    ++counts[size_t(id)];
  }
  for (size_t i = 0; i < logits.size(); ++i) {
    const double p = expected[i];
    const double freq = double(counts[i]) / kDraws;
    const double sigma = std::sqrt(p * (1 - p) / kDraws);
    if (p == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " is outside the truncation";
    } else {
      EXPECT_NEAR(freq, p, kSigmas * sigma) << "token " << i;
    }
  }
}

const std::vector<float> kLogits = {1.0f, 2.0f, 0.5f, 3.0f, -1.0f, 2.5f};

TEST(SamplerStats, PlainSoftmax) {
  expect_frequencies({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 7},
                     kLogits, softmax(kLogits, 1.0f));
}

TEST(SamplerStats, Temperature) {
  for (float t : {0.5f, 2.0f}) {
    SCOPED_TRACE(t);
    expect_frequencies({.temperature = t, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 11},
                       kLogits, softmax(kLogits, t));
  }
}

TEST(SamplerStats, TopKRenormalizesTheSurvivors) {
  // top-3 keeps logits 3, 2.5, 2 (ids 3, 5, 1); the rest have probability 0.
  const std::vector<float> kept = {2.0f, 3.0f, 2.5f};
  const std::vector<double> p3 = softmax(kept, 0.7f);
  std::vector<double> expected(kLogits.size(), 0.0);
  expected[1] = p3[0];
  expected[3] = p3[1];
  expected[5] = p3[2];
  expect_frequencies({.temperature = 0.7f, .top_k = 3, .top_p = 1.0f, .min_p = 0.0f, .seed = 3},
                     kLogits, expected);
}

TEST(SamplerStats, DefaultChainMatchesItsCandidates) {
  // Whatever the default chain keeps, sample() draws in the proportions candidates() reports.
  SamplerParams p;  // llama.cpp defaults
  p.seed = 99;
  std::vector<float> logits;
  for (int i = 0; i < 64; ++i) logits.push_back(std::sin(float(i) * 1.7f) * 2.0f);
  auto s = Sampler::create(p);
  ASSERT_TRUE(s.ok());
  std::vector<double> expected(logits.size(), 0.0);
  for (const TokenProb& c : s->candidates(logits)) expected[size_t(c.id)] = c.p;
  expect_frequencies(p, logits, expected);
}

}  // namespace
}  // namespace trit
