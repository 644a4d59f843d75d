// The generation loop with a fake logits source: every stop condition, the streaming callback,
// batching of the prompt, and errors, without a model.
#include "generate/generate.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace trit {
namespace {

constexpr int kVocab = 8;
constexpr int32_t kEos = 7;

// A "model" whose next-token logits are a function of the context so far. Records every eval.
class FakeSource : public LogitsSource {
 public:
  using NextFn = std::function<int32_t(const std::vector<int32_t>& context)>;
  FakeSource(int n_ctx, NextFn next) : n_ctx_(n_ctx), next_(std::move(next)) {}

  Status eval(std::span<const int32_t> tokens, std::vector<float>* logits) override {
    if (fail_at_ >= 0 && int(context_.size()) >= fail_at_) return make_error("fake eval failed");
    if (int(context_.size() + tokens.size()) > n_ctx_) return make_error("context overflow");
    context_.insert(context_.end(), tokens.begin(), tokens.end());
    batch_sizes.push_back(int(tokens.size()));
    // One strongly preferred token (next_ < 0: none, all equal); the rest equal at 1.
    logits->assign(kVocab, 1.0f);
    if (const int32_t next = next_(context_); next >= 0) (*logits)[size_t(next)] = 10.0f;
    return {};
  }
  int n_past() const override { return int(context_.size()); }
  int n_ctx() const override { return n_ctx_; }

  std::vector<int> batch_sizes;
  int fail_at_ = -1;

 private:
  int n_ctx_;
  NextFn next_;
  std::vector<int32_t> context_;
};

// Counts upward modulo 7 from the last token; never says EOS.
int32_t count_up(const std::vector<int32_t>& ctx) { return (ctx.back() + 1) % kEos; }

const TokenText kText{
    .is_eog = [](int32_t id) { return id == kEos; },
    .piece = [](int32_t id) { return std::string(1, char('a' + id)); },
};
const GenerateOptions kGreedy{.n_predict = 5, .sampler = {.greedy = true}};
const std::vector<int32_t> kPrompt = {0, 1};

TEST(Generate, StopsAtLengthAndEvaluatesThePromptInOneBatch) {
  FakeSource src(64, count_up);
  auto r = generate(src, kPrompt, kGreedy, kText);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->prompt_tokens, kPrompt);
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{2, 3, 4, 5, 6}));
  EXPECT_EQ(r->text, "cdefg");
  EXPECT_EQ(r->stop, StopReason::kLength);
  EXPECT_EQ(stop_reason_name(r->stop), "length");
  // One batch for the prompt, then one token at a time; the last token is not evaluated.
  EXPECT_EQ(src.batch_sizes, (std::vector<int>{2, 1, 1, 1, 1}));
  EXPECT_EQ(r->timing.n_gen_evals, 4);
  EXPECT_GE(r->timing.prompt_tok_s, 0.0);
}

TEST(Generate, StopsAtEndOfGenerationWithoutEmittingIt) {
  // After token 3 the model says EOS.
  FakeSource src(
      64, [](const std::vector<int32_t>& ctx) { return ctx.back() == 3 ? kEos : ctx.back() + 1; });
  std::vector<int32_t> streamed;
  auto r = generate(src, kPrompt, {.n_predict = 50, .sampler = {.greedy = true}}, kText,
                    [&](int32_t id, std::string_view) {
                      streamed.push_back(id);
                      return true;
                    });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(streamed, r->tokens);
  EXPECT_EQ(r->text, "cd");
  EXPECT_EQ(r->stop, StopReason::kEog);
  EXPECT_EQ(stop_reason_name(r->stop), "eog");
}

TEST(Generate, EosAsTheFirstTokenGivesNoOutput) {
  FakeSource src(64, [](const std::vector<int32_t>&) { return kEos; });
  auto r = generate(src, kPrompt, kGreedy, kText);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->tokens.empty());
  EXPECT_EQ(r->stop, StopReason::kEog);
  EXPECT_EQ(src.batch_sizes, (std::vector<int>{2}));
}

TEST(Generate, CallbackCancels) {
  FakeSource src(64, count_up);
  std::string streamed;
  auto r = generate(src, kPrompt, {.n_predict = 50, .sampler = {.greedy = true}}, kText,
                    [&](int32_t, std::string_view piece) {
                      streamed += piece;
                      return streamed.size() < 3;
                    });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stop, StopReason::kCancel);
  EXPECT_EQ(stop_reason_name(r->stop), "cancel");
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{2, 3, 4}));  // the cancelled token is still reported
  EXPECT_EQ(r->text, streamed);
}

TEST(Generate, StopsWhenTheContextIsFull) {
  // Context 6, prompt 2: tokens 2..5 are evaluated into positions 2..5, the 5th sampled token
  // (6) has no room, so it is emitted (it came from valid logits) and the loop stops.
  FakeSource src(6, count_up);
  auto r = generate(src, kPrompt, {.n_predict = -1, .sampler = {.greedy = true}}, kText);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->stop, StopReason::kContext);
  EXPECT_EQ(stop_reason_name(r->stop), "ctx");
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{2, 3, 4, 5, 6}));
  EXPECT_EQ(src.n_past(), 6);
}

TEST(Generate, LengthWinsOverAFullContextAtTheSameToken) {
  FakeSource src(6, count_up);
  auto r = generate(src, kPrompt, kGreedy, kText);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stop, StopReason::kLength);
  EXPECT_EQ(r->tokens.size(), 5u);
}

TEST(Generate, ZeroTokensOnlyEvaluatesThePrompt) {
  FakeSource src(64, count_up);
  auto r = generate(src, kPrompt, {.n_predict = 0, .sampler = {.greedy = true}}, kText);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->tokens.empty());
  EXPECT_EQ(r->stop, StopReason::kLength);
  EXPECT_EQ(src.batch_sizes, (std::vector<int>{2}));
}

TEST(Generate, ContinuesFromTheSourcePosition) {
  FakeSource src(8, count_up);
  ASSERT_TRUE(generate(src, kPrompt, {.n_predict = 2, .sampler = {.greedy = true}}, kText).ok());
  EXPECT_EQ(src.n_past(), 3);  // prompt + the first generated token
  const std::vector<int32_t> more = {4};
  auto r = generate(src, more, {.n_predict = 10, .sampler = {.greedy = true}}, kText);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stop, StopReason::kContext);
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{5, 6, 0, 1, 2}));
}

TEST(Generate, WorksWithoutTextFunctions) {
  FakeSource src(64, count_up);
  auto r = generate(src, kPrompt, kGreedy, TokenText{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tokens.size(), 5u);
  EXPECT_EQ(r->text, "");
}

TEST(Generate, SampledRunIsReproducibleForASeed) {
  // Flat logits: every token equally likely, so the output is all randomness.
  auto flat = [](const std::vector<int32_t>&) { return int32_t(-1); };
  GenerateOptions o{
      .n_predict = 20,
      .sampler = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 5}};
  FakeSource a(64, flat), b(64, flat);
  auto ra = generate(a, kPrompt, o, TokenText{});
  auto rb = generate(b, kPrompt, o, TokenText{});
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->tokens, rb->tokens);
  EXPECT_EQ(ra->tokens.size(), 20u);
  std::set<int32_t> distinct(ra->tokens.begin(), ra->tokens.end());
  EXPECT_GT(distinct.size(), 3u);  // really sampled, not a constant
}

TEST(Generate, RepeatPenaltyCountsThePrompt) {
  // Logits favour token 1 (10 vs 1), but 1 is in the prompt and a penalty of 100 makes it 0.1.
  FakeSource src(64, [](const std::vector<int32_t>&) { return int32_t(1); });
  auto r = generate(src, kPrompt,
                    {.n_predict = 1, .sampler = {.repeat_penalty = 100.0f, .greedy = true}}, kText);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->tokens[0], 1);
}

TEST(Generate, Errors) {
  FakeSource src(4, count_up);
  auto empty = generate(src, std::vector<int32_t>{}, kGreedy, kText);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("prompt"), std::string::npos);

  auto too_long = generate(src, std::vector<int32_t>{0, 1, 2, 3, 4}, kGreedy, kText);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message.find("5 tokens"), std::string::npos)
      << too_long.error().message;
  EXPECT_NE(too_long.error().message.find("--ctx"), std::string::npos);

  auto bad_n = generate(src, kPrompt, {.n_predict = -2, .sampler = {}}, kText);
  ASSERT_FALSE(bad_n.ok());
  EXPECT_NE(bad_n.error().message.find("n_predict"), std::string::npos);

  auto bad_sampler = generate(src, kPrompt, {.sampler = {.top_p = 2.0f}}, kText);
  ASSERT_FALSE(bad_sampler.ok());
  EXPECT_NE(bad_sampler.error().message.find("top-p"), std::string::npos);
  EXPECT_EQ(src.n_past(), 0);  // nothing evaluated before the checks

  FakeSource failing(64, count_up);
  failing.fail_at_ = 3;
  auto failed = generate(failing, kPrompt, kGreedy, kText);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "fake eval failed");
}

}  // namespace
}  // namespace trit
