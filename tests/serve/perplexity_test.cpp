// generate/perplexity.h against an independent computation from Session logits.
#include "generate/perplexity.h"

#include <gtest/gtest.h>

#include <cmath>

#include "serve_test_util.h"

namespace trit::testing {
namespace {

// The text: English-ish words the synthetic byte-level vocab has merges for, repeated.
std::string sample_text(int words) {
  const char* kWords[] = {"the", "cat", "sat", "on", "a", "mat", "and", "then", "it", "ran", "to", "house"};
  std::string s;
  for (int i = 0; i < words; ++i) {
    s += kWords[(i * 7 + i / 3) % 12];
    s += i % 9 == 8 ? ".\n" : " ";
  }
  return s;
}

// NLL of the scored positions, computed here without the library: each window in one batch with
// all logits, log-softmax in long double.
double independent_nll_mean(const std::vector<int32_t>& tokens, int ctx, int32_t bos) {
  const TestModel& m = test_model();
  Session session(*m.model);
  long double sum = 0;
  int64_t n = 0;
  std::vector<float> logits;
  for (size_t w = 0; (w + 1) * size_t(ctx) <= tokens.size(); ++w) {
    std::vector<int32_t> window(tokens.begin() + long(w) * ctx, tokens.begin() + long(w + 1) * ctx);
    window[0] = bos;
    session.reset();
    EXPECT_TRUE(session.eval(window, &logits, /*all_logits=*/true));
    const size_t n_vocab = logits.size() / size_t(ctx);
    for (int pos = ctx / 2; pos < ctx - 1; ++pos) {
      const float* row = logits.data() + size_t(pos) * n_vocab;
      long double z = 0;
      for (size_t v = 0; v < n_vocab; ++v) z += std::exp((long double)row[v]);
      sum += std::log(z) - (long double)row[window[size_t(pos) + 1]];
      ++n;
    }
  }
  return double(sum / n);
}

TEST(Perplexity, EqualsExpOfMeanNllFromSessionLogits) {
  const TestModel& m = test_model();
  const std::string text = sample_text(400);
  constexpr int kCtx = 100;  // not a multiple of the library's 64-position scoring batch
  int calls = 0;
  auto r = perplexity(*m.model, *m.tokenizer, text, kCtx, [&](int done, int total) {
    ++calls;
    EXPECT_EQ(done, calls);
    EXPECT_GT(total, 0);
  });
  ASSERT_TRUE(r) << r.error().message;
  const auto tokens = m.tokenizer->tokenize(text, true, false);
  ASSERT_EQ(tokens.front(), m.tokenizer->bos());
  EXPECT_EQ(r->n_tokens, int64_t(tokens.size()));
  EXPECT_EQ(r->n_windows, int(tokens.size() / kCtx));
  EXPECT_EQ(calls, r->n_windows);
  EXPECT_EQ(r->n_scored, int64_t(r->n_windows) * (kCtx - 1 - kCtx / 2));
  EXPECT_TRUE(std::isfinite(r->ppl));
  EXPECT_GT(r->ppl, 1.0);
  EXPECT_DOUBLE_EQ(r->ppl, std::exp(r->nll_mean));
  ASSERT_EQ(r->window_nll.size(), size_t(r->n_windows));

  // The library scores in batches of 64 positions, this test in one batch per window, and sums
  // in double vs long double: the logits agree to float rounding, so 1e-5 relative is ample.
  constexpr double kRelTol = 1e-5;
  const double expected = independent_nll_mean(tokens, kCtx, m.tokenizer->bos());
  EXPECT_NEAR(r->nll_mean, expected, kRelTol * expected);
  EXPECT_NEAR(r->ppl, std::exp(expected), kRelTol * 10 * std::exp(expected));
  EXPECT_GT(r->tok_s, 0);
}

TEST(Perplexity, RefusesWhatItCannotScore) {
  const TestModel& m = test_model();
  auto short_text = perplexity(*m.model, *m.tokenizer, "the cat", 64);
  ASSERT_FALSE(short_text);
  EXPECT_NE(short_text.error().message.find("fewer than one window"), std::string::npos) << short_text.error().message;
  auto tiny_ctx = perplexity(*m.model, *m.tokenizer, sample_text(50), 2);
  ASSERT_FALSE(tiny_ctx);
  EXPECT_NE(tiny_ctx.error().message.find("at least 3"), std::string::npos);
  auto huge_ctx = perplexity(*m.model, *m.tokenizer, sample_text(3000), kTestCtx + 1);
  ASSERT_FALSE(huge_ctx);
  EXPECT_NE(huge_ctx.error().message.find("larger than the model context"), std::string::npos);
}

TEST(Perplexity, TokenNllIsLogSoftmax) {
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(token_nll(logits, 2), std::log(z) - 3.0, 1e-6);
  EXPECT_NEAR(token_nll(logits, 0), std::log(z) - 1.0, 1e-6);
}

}  // namespace
}  // namespace trit::testing
