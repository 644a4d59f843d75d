// The runner on fake engines: agreement passes strict, a perturbation fails with the right
// position, tokenization differences stop the lane, reports carry the same numbers.
#include "crossval/runner.h"

#include <gtest/gtest.h>

#include "crossval/fake_engine.h"
#include "crossval/report.h"

namespace trit::crossval {
namespace {

using testing::FakeEngine;

RunOptions options(int decode = 4) {
  RunOptions o;
  o.prompts = {"Hello world", "The quick brown fox"};
  o.decode = decode;
  o.profile = *profile_by_name("strict");
  return o;
}

TEST(Runner, IdenticalEnginesPassStrict) {
  FakeEngine ours, ref;
  const LaneRun run = run_parity(ours, ref, options());
  EXPECT_EQ(run.status, LaneStatus::kPass) << run.reason;
  EXPECT_TRUE(run.tokenization_match);
  ASSERT_EQ(run.cases.size(), 2u);
  EXPECT_EQ(run.summary.positions, 12 + 20);  // BOS + bytes
  EXPECT_DOUBLE_EQ(run.summary.cos_min, 1.0);
  EXPECT_EQ(run.summary.kl_max, 0.0);
  EXPECT_EQ(run.summary.top1_agreement, 1.0);
  EXPECT_EQ(run.summary.decode_match_rate, 1.0);
  EXPECT_FALSE(run.summary.first_divergence);
  EXPECT_NEAR(run.summary.nll_ours, run.summary.nll_ref, 1e-12);
}

TEST(Runner, TinyNoisePassesStrictAndLargeErrorFails) {
  FakeEngine ours, ref;
  ours.perturb = [](int, std::span<float> row) { row[0] += 1e-5f; };
  EXPECT_EQ(run_parity(ours, ref, options()).status, LaneStatus::kPass);

  // One corrupted position (5) in every prompt: the verdict is fail and names position 5.
  ours.perturb = [](int pos, std::span<float> row) {
    if (pos == 5) row[3] += 12.0f;
  };
  const LaneRun run = run_parity(ours, ref, options(0));
  EXPECT_EQ(run.status, LaneStatus::kFail);
  ASSERT_TRUE(run.summary.first_divergence);
  EXPECT_EQ(run.summary.first_divergence->case_index, 0);
  EXPECT_EQ(run.summary.first_divergence->pos, 5);
  EXPECT_GT(run.summary.kl_max, 1e-3);
  EXPECT_NE(run.reason.find("kl_max"), std::string::npos) << run.reason;
}

TEST(Runner, NaNLogitsFail) {
  FakeEngine ours, ref;
  ours.perturb = [](int pos, std::span<float> row) {
    if (pos == 2) row[1] = NAN;
  };
  const LaneRun run = run_parity(ours, ref, options(0));
  EXPECT_EQ(run.status, LaneStatus::kFail);
  EXPECT_FALSE(run.summary.finite);
  LaneReport r;
  r.lane = "llama";
  r.status = run.status;
  r.run = run;
  r.ran = true;
  const nlohmann::json j = parity_json(r);
  EXPECT_TRUE(j["summary"]["kl_max"].is_null());  // JSON has no NaN
}

// Non-finite logits from the reference mean the reference is broken: error, never pass or fail
// (issue 11; trit's own NaNs are a fail, above).
TEST(Runner, NonFiniteReferenceLogitsAreAnError) {
  FakeEngine ours, ref;
  ref.perturb = [](int pos, std::span<float> row) {
    if (pos == 3) row[7] = INFINITY;
  };
  const LaneRun run = run_parity(ours, ref, options(0));
  EXPECT_EQ(run.status, LaneStatus::kError);
  EXPECT_NE(run.reason.find("non-finite logits (position 3 of prompt 0)"), std::string::npos) << run.reason;
}

TEST(Runner, DecodeMismatchIsReported) {
  FakeEngine ours, ref;
  // From position 12 on, push a far-from-top token to the top: the prompt has 12 tokens, so the
  // teacher-forced part is untouched and the first decoded token (from position 11) still agrees;
  // the second one (from position 12) differs.
  ours.perturb = [](int pos, std::span<float> row) {
    if (pos >= 12) row[63] += 100.0f;
  };
  RunOptions o = options(4);
  o.prompts = {"Hello world"};
  const LaneRun run = run_parity(ours, ref, o);
  ASSERT_EQ(run.cases.size(), 1u);
  const DecodeResult& d = run.cases[0].decode;
  ASSERT_TRUE(d.first_mismatch);
  EXPECT_EQ(*d.first_mismatch, 1);
  EXPECT_FALSE(d.tie);
  EXPECT_EQ(d.ours[1], 63);
  EXPECT_DOUBLE_EQ(run.summary.decode_match_rate, 0.25);
  EXPECT_FALSE(run.summary.first_divergence);  // teacher-forced logits all agree
  EXPECT_EQ(run.status, LaneStatus::kFail);
  EXPECT_NE(run.reason.find("decode_match_rate"), std::string::npos);
}

TEST(Runner, TokenizationMismatchStopsTheLane) {
  FakeEngine ours, ref;
  ours.tokenizer = [](std::string_view) { return std::vector<int32_t>{1, 5, 6, 7}; };
  ref.tokenizer = [](std::string_view) { return std::vector<int32_t>{1, 5, 9, 7}; };
  const LaneRun run = run_parity(ours, ref, options());
  EXPECT_EQ(run.status, LaneStatus::kFail);
  EXPECT_FALSE(run.tokenization_match);
  ASSERT_EQ(run.mismatches.size(), 2u);
  EXPECT_EQ(run.mismatches[0].first_diff, 2);
  EXPECT_TRUE(run.cases.empty());
}

TEST(Runner, PositionsExtendsByRepeatingThePromptAfterBos) {
  FakeEngine ours, ref;
  RunOptions o = options(0);
  o.prompts = {"ab"};
  o.positions = 7;
  const LaneRun run = run_parity(ours, ref, o);
  ASSERT_EQ(run.cases.size(), 1u);
  EXPECT_EQ(run.cases[0].tokens, (std::vector<int32_t>{1, 'a' % 64, 'b' % 64, 'a' % 64, 'b' % 64, 'a' % 64, 'b' % 64}));
}

TEST(Runner, ContextOverflowIsAnErrorNotACrash) {
  FakeEngine ours(64, 8), ref(64, 8);
  const LaneRun run = run_parity(ours, ref, options());
  EXPECT_EQ(run.status, LaneStatus::kError);
  EXPECT_NE(run.reason.find("context"), std::string::npos) << run.reason;
}

TEST(Runner, VocabularyMismatchIsAnError) {
  FakeEngine ours(64), ref(65);
  EXPECT_EQ(run_parity(ours, ref, options()).status, LaneStatus::kError);
}

TEST(Profiles, TableIsOrderedAndNamed) {
  ASSERT_FALSE(profiles().empty());
  EXPECT_EQ(profiles()[0].name, "strict");
  EXPECT_TRUE(profile_by_name("loose").ok());
  EXPECT_TRUE(profile_by_name("actquant").ok());
  EXPECT_FALSE(profile_by_name("nope").ok());
  for (const Profile& p : profiles()) {
    EXPECT_LE(p.cos_min, 1.0);
    EXPECT_GE(p.kl_max, 0.0);
    EXPECT_FALSE(p.why.empty());
  }
}

TEST(Reports, ParityJsonFollowsTheContract) {
  FakeEngine ours, ref;
  LaneReport r;
  r.lane = "llama";
  r.model.path = "m.gguf", r.model.sha256 = "ab", r.model.arch = "bitnet", r.model.ftype = "TQ2_0";
  r.reference.name = "llama.cpp", r.reference.version = "3.22.1", r.reference.commit = "0ad4a86";
  r.reference.library = "/x.so";
  r.run = run_parity(ours, ref, options());
  r.status = r.run.status;
  r.reason = r.run.reason;
  r.ran = true;
  r.deviations = {"reference uses SiLU; the model declares relu^2"};
  const nlohmann::json j = parity_json(r);
  EXPECT_EQ(j["schema"], "trit.crossval.parity/1");
  EXPECT_EQ(j["status"], "pass");
  for (const char* k : {"path", "sha256", "arch", "ftype", "n_params"}) EXPECT_TRUE(j["model"].contains(k)) << k;
  for (const char* k : {"name", "version", "commit", "library"}) EXPECT_TRUE(j["reference"].contains(k)) << k;
  for (const char* k : {"name", "cos_min", "kl_max", "top1_min", "decode_match_min"}) {
    EXPECT_TRUE(j["profile"].contains(k)) << k;
  }
  for (const char* k : {"positions", "cos_min", "cos_mean", "kl_mean", "kl_p99", "kl_max", "top1_agreement",
                        "topk_overlap_mean", "max_abs", "first_divergence", "decode_match_rate", "nll_ours",
                        "nll_ref"}) {
    EXPECT_TRUE(j["summary"].contains(k)) << k;
  }
  const auto& pos = j["cases"][0]["positions"][0];
  for (const char* k : {"pos", "token", "cos", "l2", "max_abs", "kl", "top1_match", "topk_overlap"}) {
    EXPECT_TRUE(pos.contains(k)) << k;
  }
  EXPECT_EQ(j["cases"][0]["decode"]["n"], 4);
  EXPECT_TRUE(j["cases"][0]["first_divergence"].is_null());
  EXPECT_EQ(j["tokenization"]["cases"], 2);
  EXPECT_EQ(j["deviations"][0], r.deviations[0]);
  for (const char* k : {"ours_tok_s", "ref_tok_s", "seconds"}) EXPECT_TRUE(j["timing"].contains(k)) << k;

  const nlohmann::json rc = receipt_json(r);
  EXPECT_EQ(rc["schema"], "trit.crossval.receipt/1");
  EXPECT_FALSE(rc["platform"]["cpu"].get<std::string>().empty());
  EXPECT_EQ(rc["timestamp"].get<std::string>().back(), 'Z');
  EXPECT_FALSE(rc["compiler"].get<std::string>().empty());

  // Text and Markdown show the same numbers as the JSON.
  char cos[32];
  std::snprintf(cos, sizeof cos, "%.7f", j["summary"]["cos_min"].get<double>());
  EXPECT_NE(render_text(r).find(cos), std::string::npos);
  EXPECT_NE(render_markdown(r).find(cos), std::string::npos);
  EXPECT_NE(render_markdown(r).find("SiLU"), std::string::npos);
}

}  // namespace
}  // namespace trit::crossval
