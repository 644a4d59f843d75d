// Hostile inputs through the trit binary (issue 11 item 4): NaN/Inf weights found by
// `trit inspect --check`, and references that lie or crash under `trit crossval --ref-dir`:
// every such run reports `error` (finite noise: `fail`), never `pass`.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_test_util.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace trit::reliability {
namespace {

namespace fs = std::filesystem;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(trit_binary())) GTEST_SKIP() << "no trit binary at " << trit_binary() << " (build target trit)";
    dir_ = trit::testing::scratch_dir("trit-rel-cli");
  }
  fs::path dir_;
};

std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TEST_F(Cli, InspectCheckNamesTensorsWithNanOrInfWeights) {
  gguf::Writer w;
  w.set_string("general.architecture", "llama");
  std::vector<float> clean(64, 0.5f), with_nan(64, 0.25f), with_inf(64, -1.0f);
  with_nan[17] = std::numeric_limits<float>::quiet_NaN();
  with_inf[3] = std::numeric_limits<float>::infinity();
  ASSERT_TRUE(w.add_tensor("blk.0.attn_q.weight", TensorType::F32, {16, 4}, f32_bytes(with_nan)).ok());
  ASSERT_TRUE(w.add_tensor("blk.0.attn_k.weight", TensorType::F32, {16, 4}, f32_bytes(clean)).ok());
  ASSERT_TRUE(w.add_tensor("blk.0.ffn_up.weight", TensorType::F32, {16, 4}, f32_bytes(with_inf)).ok());
  // A Q8_0 block whose fp16 scale is NaN: every value of the block dequantizes to NaN.
  std::vector<uint8_t> q8(34, 1);
  const uint16_t nan_half = 0x7e00;
  std::memcpy(q8.data(), &nan_half, 2);
  ASSERT_TRUE(w.add_tensor("blk.0.ffn_down.weight", TensorType::Q8_0, {32}, q8).ok());
  const std::string path = (dir_ / "nan.gguf").string();
  ASSERT_TRUE(w.write(path).ok());

  Ran r = run({trit_binary(), "inspect", "--check", path});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("non-finite"), std::string::npos) << r.err;
  for (const char* bad : {"blk.0.attn_q.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight"}) {
    EXPECT_NE(r.err.find(bad), std::string::npos) << "stderr does not name " << bad << ":\n" << r.err;
  }
  EXPECT_EQ(r.err.find("blk.0.attn_k.weight"), std::string::npos) << r.err;

  Ran j = run({trit_binary(), "inspect", "--check", "--json", path});
  EXPECT_EQ(j.exit_code, 1);
  auto doc = nlohmann::json::parse(j.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << j.out;
  EXPECT_EQ(doc["non_finite"], 1 + 1 + 32);
  EXPECT_EQ(doc["tensors"][0]["non_finite"], 1);
  EXPECT_EQ(doc["tensors"][1]["non_finite"], 0);

  // Without NaNs: exit 0.
  gguf::Writer ok;
  ASSERT_TRUE(ok.add_tensor("t", TensorType::F32, {16, 4}, f32_bytes(clean)).ok());
  ASSERT_TRUE(ok.write((dir_ / "ok.gguf").string()).ok());
  EXPECT_EQ(run({trit_binary(), "inspect", "--check", (dir_ / "ok.gguf").string()}).exit_code, 0);
}

// The fake shim (fake_ref_shim.c) sits in FAKE_LANE_DIR/shim/libtrit_ref_llama.so.
class LyingReference : public Cli {
 protected:
  void SetUp() override {
    Cli::SetUp();
    if (IsSkipped()) return;
    model_ = (dir_ / "bitnet-tiny.gguf").string();
    if (!fs::exists(model_)) {
      Ran s = run({trit_binary(), "synth", "--arch", "bitnet", "--shape", "tiny", "--type", "tq2_0", "-o", model_});
      ASSERT_EQ(s.exit_code, 0) << s.err;
    }
    auto f = gguf::File::open(model_);
    ASSERT_TRUE(f.ok());
    auto tok = Tokenizer::from_gguf(*f);
    ASSERT_TRUE(tok.ok());
    n_vocab_ = (*tok)->n_vocab();
    for (int32_t id : (*tok)->tokenize(kPrompt, true, false)) {
      if (!tokens_.empty()) tokens_ += ',';
      tokens_ += std::to_string(id);
    }
  }
  // Runs crossval against the fake reference in `mode`; returns the lane's JSON (or null).
  nlohmann::json crossval(const std::string& mode, Ran* ran) {
    *ran = run({trit_binary(), "crossval", "--model", model_, "--lane", "llama", "--ref-dir", FAKE_LANE_DIR,
                "--prompt", kPrompt, "--decode", "3", "--threads", "1", "--ctx", "64", "--format", "json"},
               {"FAKE_REF_MODE=" + mode, "FAKE_REF_N_VOCAB=" + std::to_string(n_vocab_), "FAKE_REF_TOKENS=" + tokens_});
    auto j = nlohmann::json::parse(ran->out, nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
  }
  static constexpr const char* kPrompt = "Hello world";
  std::string model_, tokens_;
  int n_vocab_ = 0;
};

TEST_F(LyingReference, ErrorsAreReportedAsErrorNeverPass) {
  struct Case {
    const char* mode;
    const char* reason;  // a piece of the reported reason
  };
  for (const Case& c : {Case{"nan", "non-finite"}, Case{"inf", "non-finite"}, Case{"eval_error", "failed on purpose"},
                        Case{"open_error", "could not open"}, Case{"vocab_mismatch", "vocabulary sizes differ"},
                        Case{"tok_negative", "tokenize"}, Case{"tok_overflow", "tokenize"},
                        Case{"greedy_out_of_range", "outside the vocabulary"}, Case{"null_strings", ""}}) {
    SCOPED_TRACE(c.mode);
    Ran r;
    nlohmann::json j = crossval(c.mode, &r);
    ASSERT_TRUE(j.is_object()) << "no JSON on stdout; exit " << r.exit_code << " signal " << r.signal << "\n" << r.err;
    if (std::string(c.mode) == "null_strings") {  // a shim with null info strings still runs
      EXPECT_NE(j["status"], "error") << j["reason"];
      continue;
    }
    EXPECT_EQ(j["status"], "error") << j.dump(2).substr(0, 2000);
    EXPECT_NE(j["reason"].get<std::string>().find(c.reason), std::string::npos) << j["reason"];
    EXPECT_NE(r.exit_code, 0);
  }
}

TEST_F(LyingReference, GarbageLogitsFail) {
  Ran r;
  nlohmann::json j = crossval("garbage", &r);
  ASSERT_TRUE(j.is_object()) << r.err;
  EXPECT_EQ(j["status"], "fail") << j["reason"];
  EXPECT_EQ(r.exit_code, 1);
}

// A shim built before trit_ref_greedy_timed (the fake has no such symbol) still loads; only
// `trit bench -d` with it needs the function, and says to rebuild the shim.
TEST_F(LyingReference, BenchAtADepthNeedsTheTimedGreedyAndSaysSo) {
  const std::vector<std::string> env = {"TRIT_LLAMA_CPP_DIR=" + std::string(FAKE_LANE_DIR),
                                        "FAKE_REF_N_VOCAB=" + std::to_string(n_vocab_), "FAKE_REF_TOKENS=" + tokens_};
  const std::vector<std::string> bench = {trit_binary(), "bench", "-m", model_, "-p", "4", "-n", "2", "-r", "1",
                                          "-t", "1", "--no-ceiling", "--ref", "llama"};
  const Ran plain = run(bench, env);
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  auto deep = bench;
  deep.insert(deep.end(), {"-d", "8"});
  const Ran r = run(deep, env);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("predates trit_ref_greedy_timed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scripts/build-shim.sh"), std::string::npos) << r.err;
}

// The reference runs in trit's process: a reference that crashes takes the run down with it. What
// matters is that the run can never be mistaken for a pass: a signal or a non-zero exit, no JSON.
TEST_F(LyingReference, ACrashingReferenceIsNeverAPass) {
  Ran r;
  nlohmann::json j = crossval("crash", &r);
  EXPECT_TRUE(r.signal != 0 || r.exit_code != 0) << r.out;
  EXPECT_EQ(r.out.find("\"pass\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace trit::reliability
