// Sampler semantics on hand-made logits: which tokens can ever be drawn, in what order, and that a
// seed reproduces a run. Expected sets are worked out by hand in the comments.
#include "generate/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

namespace trit {
namespace {

// Every filter off, temperature 1: the plain softmax.
constexpr SamplerParams kPlain{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f};
constexpr int kDraws = 2000;  // enough that a token with p >= 0.01 shows up (miss prob < 1e-8)

Sampler make(const SamplerParams& p) {
  auto s = Sampler::create(p);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(s).value();
}

std::vector<int32_t> ids(const std::vector<TokenProb>& c) {
  std::vector<int32_t> out;
  for (const auto& t : c) out.push_back(t.id);
  return out;
}

std::set<int32_t> drawn(Sampler s, const std::vector<float>& logits, int n = kDraws) {
  std::set<int32_t> seen;
  for (int i = 0; i < n; ++i) seen.insert(s.sample(logits));
  return seen;
}

TEST(SamplerParams, DefaultsAreLlamaCppCommonDefaults) {
  SamplerParams p;
  EXPECT_FLOAT_EQ(p.temperature, 0.8f);
  EXPECT_EQ(p.top_k, 40);
  EXPECT_FLOAT_EQ(p.top_p, 0.95f);
  EXPECT_FLOAT_EQ(p.min_p, 0.05f);
  EXPECT_FLOAT_EQ(p.repeat_penalty, 1.0f);
  EXPECT_EQ(p.repeat_last_n, 64);
  EXPECT_FALSE(p.greedy);
  EXPECT_TRUE(validate(p).ok());
}

TEST(SamplerParams, ValidationNamesTheParameter) {
  struct Case {
    SamplerParams p;
    const char* word;
  };
  const float nan = std::nanf("");
  const Case cases[] = {
      {{.temperature = -0.1f}, "temperature"},
      {{.temperature = nan}, "temperature"},
      {{.top_k = -1}, "top-k"},
      {{.top_p = 0.0f}, "top-p"},
      {{.top_p = 1.5f}, "top-p"},
      {{.top_p = nan}, "top-p"},
      {{.min_p = -0.01f}, "min-p"},
      {{.min_p = 1.01f}, "min-p"},
      {{.repeat_penalty = 0.0f}, "repeat-penalty"},
      {{.repeat_penalty = -1.0f}, "repeat-penalty"},
      {{.repeat_last_n = -2}, "repeat-last-n"},
  };
  for (const Case& c : cases) {
    Status s = validate(c.p);
    ASSERT_FALSE(s.ok()) << c.word;
    EXPECT_NE(s.error().message.find(c.word), std::string::npos) << s.error().message;
    EXPECT_FALSE(Sampler::create(c.p).ok()) << c.word;
  }
  // The edges of each range are valid.
  EXPECT_TRUE(
      validate({.temperature = 0.0f, .top_k = 0, .top_p = 1.0f, .min_p = 1.0f, .repeat_last_n = -1})
          .ok());
}

TEST(Sampler, SameSeedSameTokensDifferentSeedDifferentTokens) {
  const std::vector<float> logits = {0.1f, 0.5f, 0.3f, 0.2f, 0.4f, 0.0f, 0.25f, 0.35f};
  SamplerParams p = kPlain;
  p.seed = 1234;
  Sampler a = make(p), b = make(p);
  p.seed = 1235;
  Sampler c = make(p);
  std::vector<int32_t> ra, rb, rc;
  for (int i = 0; i < 64; ++i) {
    ra.push_back(a.sample(logits));
    rb.push_back(b.sample(logits));
    rc.push_back(c.sample(logits));
  }
  EXPECT_EQ(ra, rb);
  EXPECT_NE(ra, rc);
  // reset() restarts the stream.
  a.reset();
  std::vector<int32_t> again;
  for (int i = 0; i < 64; ++i) again.push_back(a.sample(logits));
  EXPECT_EQ(ra, again);
}

TEST(Sampler, SeedStreamIsPinned) {
  // The hand-written RNG makes a seed mean the same tokens on every platform and standard library;
  // this pins the stream so an accidental change to Rng or the draw shows up here.
  const std::vector<float> logits = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  Sampler s = make({.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 42});
  std::vector<int32_t> got;
  for (int i = 0; i < 16; ++i) got.push_back(s.sample(logits));
  Rng rng(42);
  std::vector<int32_t> expect;  // uniform over 8 equal logits: floor(u * 8)
  for (int i = 0; i < 16; ++i) expect.push_back(int32_t(rng.uniform() * 8));
  EXPECT_EQ(got, expect);
  Rng r0(0);
  EXPECT_EQ(r0.next(), 0x99ec5f36cb75f2b4ull);  // xoshiro256** from splitmix64(0), first output
}

TEST(Sampler, GreedyIsArgmaxWithLowestIdOnTies) {
  Sampler s = make({.greedy = true});
  EXPECT_EQ(s.sample(std::vector<float>{0.0f, 3.0f, 1.0f, 3.0f}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{5.0f, 5.0f}), 0);
  EXPECT_EQ(s.sample(std::vector<float>{-2.0f, -1.0f, -1.0f}), 1);
  const auto c = s.candidates(std::vector<float>{0.0f, 3.0f, 1.0f, 3.0f});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].id, 1);
  EXPECT_FLOAT_EQ(c[0].p, 1.0f);
}

TEST(Sampler, NanLogitsAreNeverChosen) {
  const float nan = std::nanf("");
  Sampler g = make({.greedy = true});
  EXPECT_EQ(g.sample(std::vector<float>{nan, 1.0f, nan, 2.0f}), 3);
  EXPECT_EQ(drawn(make(kPlain), {nan, 1.0f, nan, 2.0f}), (std::set<int32_t>{1, 3}));
}

TEST(Sampler, TemperatureZeroIsGreedy) {
  const std::vector<float> logits = {0.2f, 1.5f, 1.5f, -3.0f, 1.4f};
  Sampler t0 = make({.temperature = 0.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f});
  Sampler g = make({.greedy = true});
  EXPECT_TRUE(t0.is_greedy());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(t0.sample(logits), g.sample(logits));
  EXPECT_EQ(t0.sample(logits), 1);
}

TEST(Sampler, TopKKeepsTheKLargest) {
  // Logits 0..9 ascending by id; top-3 keeps ids 9, 8, 7.
  std::vector<float> logits;
  for (int i = 0; i < 10; ++i) logits.push_back(float(i) * 0.1f);
  SamplerParams p = kPlain;
  p.top_k = 3;
  EXPECT_EQ(ids(make(p).candidates(logits)), (std::vector<int32_t>{9, 8, 7}));
  EXPECT_EQ(drawn(make(p), logits), (std::set<int32_t>{7, 8, 9}));
  p.top_k = 1;
  EXPECT_EQ(drawn(make(p), logits), (std::set<int32_t>{9}));
  p.top_k = 100;  // larger than the vocabulary: everything
  EXPECT_EQ(make(p).candidates(logits).size(), 10u);
}

TEST(Sampler, TopKTiesBreakByLowerId) {
  SamplerParams p = kPlain;
  p.top_k = 2;
  EXPECT_EQ(ids(make(p).candidates(std::vector<float>{1.0f, 2.0f, 1.0f, 2.0f, 2.0f})),
            (std::vector<int32_t>{1, 3}));
}

TEST(Sampler, TopPKeepsTheSmallestPrefixReachingP) {
  // Probabilities 0.5, 0.3, 0.15, 0.05 (logits are their logs).
  const std::vector<float> logits = {std::log(0.15f), std::log(0.5f), std::log(0.05f),
                                     std::log(0.3f)};
  SamplerParams p = kPlain;
  p.top_p = 0.5f;  // 0.5 alone reaches it
  EXPECT_EQ(ids(make(p).candidates(logits)), (std::vector<int32_t>{1}));
  p.top_p = 0.7f;  // 0.5 + 0.3
  EXPECT_EQ(ids(make(p).candidates(logits)), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(drawn(make(p), logits), (std::set<int32_t>{1, 3}));
  p.top_p = 0.9f;  // 0.5 + 0.3 + 0.15
  EXPECT_EQ(ids(make(p).candidates(logits)), (std::vector<int32_t>{1, 3, 0}));
  p.top_p = 1.0f;
  EXPECT_EQ(make(p).candidates(logits).size(), 4u);
  // The survivors are renormalized: 0.5 / 0.8 and 0.3 / 0.8.
  p.top_p = 0.7f;
  const auto c = make(p).candidates(logits);
  EXPECT_NEAR(c[0].p, 0.625f, 1e-6);
  EXPECT_NEAR(c[1].p, 0.375f, 1e-6);
}

TEST(Sampler, TopPSeesOnlyTheTopKSurvivors) {
  // After top-2 the probabilities are 0.5/0.8 = 0.625 and 0.375, so top-p 0.6 keeps one token;
  // over the whole vocabulary 0.5 < 0.6 would have kept two. Order as llama.cpp: top_k, then top_p.
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  SamplerParams p = kPlain;
  p.top_p = 0.6f;
  EXPECT_EQ(make(p).candidates(logits).size(), 2u);
  p.top_k = 2;
  EXPECT_EQ(make(p).candidates(logits).size(), 1u);
}

TEST(Sampler, MinPKeepsTokensWithinAFactorOfTheBest) {
  // Probabilities 0.6, 0.25, 0.1, 0.05; min-p 0.2 keeps p >= 0.12: ids of 0.6 and 0.25.
  const std::vector<float> logits = {std::log(0.1f), std::log(0.6f), std::log(0.05f),
                                     std::log(0.25f)};
  SamplerParams p = kPlain;
  p.min_p = 0.2f;
  EXPECT_EQ(ids(make(p).candidates(logits)), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(drawn(make(p), logits), (std::set<int32_t>{1, 3}));
  p.min_p = 0.1f;  // p >= 0.06: 0.6, 0.25, 0.1
  EXPECT_EQ(ids(make(p).candidates(logits)), (std::vector<int32_t>{1, 3, 0}));
  p.min_p = 1.0f;  // only the best
  EXPECT_EQ(ids(make(p).candidates(logits)), (std::vector<int32_t>{1}));
}

TEST(Sampler, TemperatureDoesNotChangeWhoSurvives) {
  // Truncation runs before temperature (llama.cpp's chain), so a hot sampler cannot resurrect a
  // token that min-p removed, and the survivors' ratios follow exp(dlogit / T).
  const std::vector<float> logits = {0.0f, 1.0f, 2.0f, -5.0f};
  for (float t : {0.1f, 1.0f, 10.0f}) {
    SamplerParams p = kPlain;
    p.min_p = 0.3f;  // keeps logits >= 2 + ln 0.3 = 0.80: ids 2, 1
    p.temperature = t;
    const auto c = make(p).candidates(logits);
    ASSERT_EQ(ids(c), (std::vector<int32_t>{2, 1})) << t;
    EXPECT_NEAR(c[0].p / c[1].p, std::exp(1.0f / t), 1e-3 * std::exp(1.0f / t)) << t;
  }
}

TEST(Sampler, RepeatPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  // Greedy makes the effect visible as a changed argmax.
  Sampler s = make({.repeat_penalty = 2.0f, .greedy = true});
  const std::vector<float> logits = {3.0f, 2.0f, -1.0f, -1.5f};
  EXPECT_EQ(s.sample(logits), 0);
  s.accept(0);  // 3 / 2 = 1.5 < 2
  EXPECT_EQ(s.sample(logits), 1);
  s.accept(0);  // accepted twice: still penalized once (3 / 2 = 1.5 > 1.2), not twice (0.75)
  EXPECT_EQ(s.sample(std::vector<float>{3.0f, 1.2f}), 0);
  const std::vector<float> negative = {-1.0f, -1.5f};
  Sampler n = make({.repeat_penalty = 2.0f, .greedy = true});
  n.accept(0);  // -1 * 2 = -2 < -1.5
  EXPECT_EQ(n.sample(negative), 1);
}

TEST(Sampler, RepeatPenaltyWindowAndOff) {
  const std::vector<float> logits = {3.0f, 2.0f, 0.0f, 0.0f};
  Sampler s = make({.repeat_penalty = 2.0f, .repeat_last_n = 2, .greedy = true});
  s.accept(0);
  EXPECT_EQ(s.sample(logits), 1);
  s.accept(2);
  s.accept(3);  // 0 has left the two-token window
  EXPECT_EQ(s.sample(logits), 0);

  Sampler off = make({.repeat_penalty = 1.0f, .greedy = true});
  off.accept(0);
  EXPECT_EQ(off.sample(logits), 0);
  Sampler no_window = make({.repeat_penalty = 2.0f, .repeat_last_n = 0, .greedy = true});
  no_window.accept(0);
  EXPECT_EQ(no_window.sample(logits), 0);
  Sampler all = make({.repeat_penalty = 2.0f, .repeat_last_n = -1, .greedy = true});
  all.accept(0);
  for (int i = 0; i < 200; ++i) all.accept(2);
  EXPECT_EQ(all.sample(logits), 1);
  all.reset();  // forgets the history
  EXPECT_EQ(all.sample(logits), 0);
}

TEST(Sampler, RepeatPenaltyLowersTheSampledShare) {
  const std::vector<float> logits = {1.0f, 1.0f};
  SamplerParams p = kPlain;
  p.repeat_penalty = 4.0f;  // logit 1 -> 0.25: p(0) = 1 / (1 + e^0.75) = 0.32
  Sampler s = make(p);
  s.accept(0);
  int zeros = 0;
  for (int i = 0; i < kDraws; ++i) zeros += s.sample(logits) == 0;
  EXPECT_GT(zeros, kDraws * 25 / 100);
  EXPECT_LT(zeros, kDraws * 40 / 100);
}

TEST(Sampler, DegenerateRows) {
  const float inf = INFINITY;
  Sampler s = make(kPlain);
  EXPECT_EQ(s.sample(std::vector<float>{}), -1);
  EXPECT_EQ(s.sample(std::vector<float>{0.7f}), 0);
  EXPECT_EQ(drawn(make(kPlain), {1.0f, inf, 2.0f}), (std::set<int32_t>{1}));
  // All -inf: still a token in range rather than NaN arithmetic.
  const int32_t id = s.sample(std::vector<float>{-inf, -inf, -inf});
  EXPECT_GE(id, 0);
  EXPECT_LT(id, 3);
}

}  // namespace
}  // namespace trit

namespace trit {
namespace {

// The chain written the plain way (sort everything, then each step in llama.cpp's order), as
// the spec for the sampler's shortcuts (min-p cut first, top-p sorted a chunk at a time).
std::vector<TokenProb> reference_chain(const SamplerParams& p, std::vector<float> logits) {
  struct C {
    int32_t id;
    double logit;
  };
  std::vector<C> c;
  for (size_t i = 0; i < logits.size(); ++i) c.push_back({int32_t(i), logits[i]});
  std::sort(c.begin(), c.end(), [](const C& a, const C& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  });
  if (p.top_k > 0 && size_t(p.top_k) < c.size()) c.resize(size_t(p.top_k));
  if (p.top_p < 1.0f) {
    double total = 0, cum = 0;
    for (const C& x : c) total += std::exp(x.logit - c[0].logit);
    for (size_t i = 0; i < c.size(); ++i) {
      cum += std::exp(c[i].logit - c[0].logit);
      if (cum >= p.top_p * total) {
        c.resize(i + 1);
        break;
      }
    }
  }
  if (p.min_p > 0.0f) {
    const float threshold = float(c[0].logit) + std::log(p.min_p);
    size_t keep = 1;
    while (keep < c.size() && float(c[keep].logit) >= threshold) ++keep;
    c.resize(keep);
  }
  double total = 0;
  for (const C& x : c) total += std::exp((x.logit - c[0].logit) / p.temperature);
  std::vector<TokenProb> out;
  for (const C& x : c)
    out.push_back({x.id, float(std::exp((x.logit - c[0].logit) / p.temperature) / total)});
  return out;
}

TEST(Sampler, ChainMatchesThePlainReference) {
  // Vocabularies past 256 so that top-p's chunked sort has to grow; flat and peaked rows.
  Rng rng(2024);
  int compared = 0;
  for (size_t n_vocab : {7u, 300u, 5000u}) {
    for (double spread : {0.5, 4.0, 20.0}) {
      std::vector<float> logits(n_vocab);
      for (float& l : logits) l = float((rng.uniform() - 0.5) * spread);
      for (int top_k : {0, 1, 40, 1000}) {
        for (float top_p : {0.3f, 0.95f, 1.0f}) {
          for (float min_p : {0.0f, 0.05f, 0.5f}) {
            const SamplerParams p{
                .temperature = 0.7f, .top_k = top_k, .top_p = top_p, .min_p = min_p};
            const auto want = reference_chain(p, logits);
            const auto got = make(p).candidates(logits);
            ASSERT_EQ(ids(got), ids(want))
                << "n_vocab " << n_vocab << " spread " << spread << " top_k " << top_k << " top_p "
                << top_p << " min_p " << min_p;
            for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i].p, want[i].p, 1e-5);
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_EQ(compared, 3 * 3 * 4 * 3 * 3);
}

}  // namespace
}  // namespace trit
